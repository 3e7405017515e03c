// works.jsonl and works/probable-duplicates.jsonl: every current work, rewritten whole and
// renamed into place, then works/snapshot.json saying which run they reflect and which
// change files came after. Rewriting costs time in proportion to all works, so with
// `works.snapshotEveryHours` a run that changed few works may leave it to a later run.
import { join, relative } from 'node:path';
import { writeSnapshotFile } from '../sinks/snapshot-writer.ts';
import { writeFileAtomic } from '../sinks/atomic.ts';
import type { CommonRecord } from '../formats/common-record.ts';
import type { StateStore } from '../store/state.ts';
import { saveWorksSnapshotState, type WorksSnapshotState } from '../store/works-snapshot-state.ts';

export const worksFile = (outDir: string) => join(outDir, 'works.jsonl');
export const probableDuplicatesFile = (outDir: string) => join(outDir, 'works', 'probable-duplicates.jsonl');
export const snapshotManifestFile = (outDir: string) => join(outDir, 'works', 'snapshot.json');

/** Writes both snapshots now, whatever the interval; returns what works/snapshot.json says. */
export function writeWorksSnapshot(state: StateStore, outDir: string, run: string, now: Date): WorksSnapshotState {
  const works = writeSnapshotFile(worksFile(outDir), state.allWorks());
  const probableDuplicates = writeSnapshotFile(probableDuplicatesFile(outDir), probableDuplicateLines(state));
  const snapshot: WorksSnapshotState = { run, writtenAt: now.toISOString(), works, probableDuplicates, behind: false, changeFilesSince: [] };
  saveSnapshotState(state, outDir, snapshot);
  return snapshot;
}

/** The snapshot is left as it is; the works a run changed are noted as not in it yet. */
export function noteSnapshotBehind(state: StateStore, outDir: string, previous: WorksSnapshotState, changeFile: string | null): WorksSnapshotState {
  const changeFilesSince = changeFile ? [...previous.changeFilesSince, relative(outDir, changeFile)] : previous.changeFilesSince;
  const snapshot: WorksSnapshotState = { ...previous, behind: true, changeFilesSince };
  saveSnapshotState(state, outDir, snapshot);
  return snapshot;
}

/** Whether a snapshot written at `writtenAt` may be replaced at `now` under an interval of `everyHours`. */
export function snapshotDue(writtenAt: string, now: Date, everyHours: number): boolean {
  return now.getTime() - Date.parse(writtenAt) >= everyHours * 3_600_000;
}

function saveSnapshotState(state: StateStore, outDir: string, snapshot: WorksSnapshotState): void {
  saveWorksSnapshotState(state, snapshot);
  const manifest = { worksFile: 'works.jsonl', probableDuplicatesFile: 'works/probable-duplicates.jsonl', ...snapshot };
  writeFileAtomic(snapshotManifestFile(outDir), `${JSON.stringify(manifest, null, 2)}\n`);
}

/** One line per group, with the evidence: each record's title, year, first creator and work. */
function* probableDuplicateLines(state: StateStore): Generator<string> {
  for (const group of state.probableDuplicates()) {
    const [title, year, creator] = group.key.split('|');
    const records = group.records.map(({ recordJson, workId }) => {
      const r = JSON.parse(recordJson) as CommonRecord;
      return {
        id: r.id, work: workId, title: r.title, published: r.dates.published?.value ?? null,
        firstCreator: r.creators[0]?.name ?? null, landingPage: r.landingPage,
      };
    });
    const merged = new Set(records.map((r) => r.work)).size === 1;
    yield JSON.stringify({ key: group.key, evidence: { title, year, firstCreatorFamily: creator }, merged, records });
  }
}
