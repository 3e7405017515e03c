// works.jsonl and works/probable-duplicates.jsonl: every current work, written to a temporary
// file (works.jsonl patched from the previous one where it can be) and renamed into place,
// then works/snapshot.json saying which run they reflect and which change files came after.
// Writing costs time in proportion to all works, so with `works.snapshotEveryHours` a run
// that changed few works may leave it to a later run.
import { statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { writeTables } from './tables.ts';
import { writeSnapshotFile } from './snapshot-writer.ts';
import { patchSnapshotFile, SnapshotPatchError } from './snapshot-patch.ts';
import { writeFileAtomic } from './atomic.ts';
import type { CommonRecord } from '../formats/common-record.ts';
import type { StateStore } from '../store/state.ts';
import { acquireLock } from '../store/source-lock.ts';
import type { WorksSnapshotState } from '../store/snapshot-log.ts';

export const worksFile = (outDir: string) => join(outDir, 'works.jsonl');
export const probableDuplicatesFile = (outDir: string) => join(outDir, 'works', 'probable-duplicates.jsonl');
export const snapshotManifestFile = (outDir: string) => join(outDir, 'works', 'snapshot.json');

// Source ids start with a letter or digit, so no source's lock can take this name.
export const worksSnapshotLockFile = (outDir: string) => join(outDir, 'locks', '_works-snapshot.lock');

/** A patch is worth it while the changes are a small part of the file; past that, writing it whole reads in order. */
const PATCH_AT_MOST = 0.2;

/**
 * Writes both snapshots now, whatever the interval; returns what works/snapshot.json says.
 * works.jsonl is patched (the previous file copied, the works changed since replaced) when the
 * previous one is the file the state database last wrote, and written whole otherwise. One
 * process at a time: runs of other sources sharing the output folder wait their turn.
 */
export async function writeWorksSnapshot(state: StateStore, outDir: string, run: string, clock: () => Date, waitMs = 600_000): Promise<WorksSnapshotState> {
  const release = await waitForLock(worksSnapshotLockFile(outDir), waitMs);
  try {
    const path = worksFile(outDir);
    const canPatch = patchable(state, path, state.snapshots.state());
    // Changes after this mark may or may not make it into the file; they stay noted for the next.
    const upTo = state.snapshots.begin(run);
    let works: number | undefined;
    let patchRefused: string | undefined;
    if (canPatch && state.snapshots.pendingCount(upTo) <= Math.max(100, canPatch.works * PATCH_AT_MOST)) {
      const changes = (function* () {
        for (const w of state.snapshots.pendingWorks(upTo)) yield { id: w.workId, line: w.workJson };
      })();
      try {
        works = patchSnapshotFile(path, path, changes);
      } catch (error) {
        if (!(error instanceof SnapshotPatchError)) throw error;
        patchRefused = error.message;
      }
    }
    const written = works === undefined ? 'whole' : 'patched';
    works ??= await writeSnapshotFile(path, state.works.all());
    const probableDuplicates = await writeSnapshotFile(probableDuplicatesFile(outDir), probableDuplicateLines(state));
    // The tables are written with works.jsonl, under its lock: both show the same works.
    const { dir: _dir, ...tables } = writeTables(state, outDir);
    void _dir;
    const file = statSync(path);
    const snapshot: WorksSnapshotState = {
      // When the files were written, after any wait for the lock: what a reader of them needs to know.
      run, writtenAt: clock().toISOString(), works, probableDuplicates, behind: false, changeFilesSince: [],
      written, ...(patchRefused ? { patchRefused } : {}), bytes: file.size, mtimeMs: file.mtimeMs, tables,
    };
    saveSnapshotState(state, outDir, snapshot);
    state.snapshots.written(upTo);
    return snapshot;
  } finally {
    release();
  }
}

/**
 * The last snapshot, if works.jsonl is the file it wrote (same size and time, so not edited or
 * replaced since) and every change since is noted.
 */
function patchable(state: StateStore, path: string, previous: WorksSnapshotState | undefined): WorksSnapshotState | undefined {
  if (previous?.bytes === undefined) return undefined;
  const file = statSync(path, { throwIfNoEntry: false });
  if (!file || file.size !== previous.bytes || file.mtimeMs !== previous.mtimeMs) return undefined;
  return state.snapshots.pendingSince() === previous.run ? previous : undefined;
}

/**
 * Takes the lock, waiting while another live process holds it. The wait yields to the event
 * loop, so a run waiting here still answers SIGINT and SIGTERM and a schedule's timers fire.
 */
async function waitForLock(path: string, waitMs: number): Promise<() => void> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const lock = acquireLock(path);
    if (lock.acquired) return lock.release;
    if (Date.now() >= deadline) {
      throw new Error(`works.jsonl is being written by process ${lock.holder.pid} on ${lock.holder.host} (since ${lock.holder.since}); gave up after ${Math.round(waitMs / 1000)} s (${path})`);
    }
    await sleep(100);
  }
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
  // Without an interval it is always due: comparing clocks would let a run that started before
  // another (which wrote since) take the file for fresh and leave its own changes out of it.
  if (everyHours <= 0) return true;
  // A tenth of the interval (an hour at most) early is due: a daily cron run that reaches this
  // point a minute sooner than yesterday's still writes today.
  const interval = everyHours * 3_600_000;
  return now.getTime() - Date.parse(writtenAt) >= interval - Math.min(interval / 10, 3_600_000);
}

function saveSnapshotState(state: StateStore, outDir: string, snapshot: WorksSnapshotState): void {
  state.snapshots.saveState(snapshot);
  const manifest = { worksFile: 'works.jsonl', probableDuplicatesFile: 'works/probable-duplicates.jsonl', ...snapshot };
  writeFileAtomic(snapshotManifestFile(outDir), `${JSON.stringify(manifest, null, 2)}\n`);
}

/** One line per group, with the evidence: each record's title, year, first creator and work. */
function* probableDuplicateLines(state: StateStore): Generator<string> {
  for (const group of state.records.probableDuplicates()) {
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
