// After a run: the works its pages touched are recomputed, the changes written to
// works/changes/<run>.jsonl, and works.jsonl replaced whole (a reader never sees half).
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { CommonRecord } from '../formats/common-record.ts';
import { mergeWork, type MergePolicy } from '../dedupe/merge-work.ts';
import type { StateStore } from '../store/state.ts';
import { writeFileAtomic } from '../sinks/atomic.ts';

export interface WorksSummary {
  touched: number;
  added: number;
  changed: number;
  removed: number;
  total: number;
  snapshot: string;
  changes: string | null;
  /** Groups of records without a DOI that look like one paper (title, year, first creator). */
  probableDuplicates: number;
  probableDuplicatesFile: string;
}

export type WorkChange = 'added' | 'changed' | 'removed';

export function updateWorks(state: StateStore, policy: MergePolicy, outDir: string, runId: string): WorksSummary {
  const summary: WorksSummary = {
    touched: 0, added: 0, changed: 0, removed: 0, total: 0, snapshot: join(outDir, 'works.jsonl'), changes: null,
    probableDuplicates: 0, probableDuplicatesFile: join(outDir, 'works', 'probable-duplicates.jsonl'),
  };
  const changes: string[] = [];
  for (const id of state.dirtyWorks()) {
    summary.touched++;
    const held = state.work(id);
    const records = state.workRecords(id).map((r) => ({ ...(JSON.parse(r.recordJson) as CommonRecord), deleted: r.deleted }));
    if (records.length === 0) {
      // Its only record moved to another DOI: the work no longer exists.
      state.dropWork(id);
      if (held) {
        summary.removed++;
        changes.push(JSON.stringify({ change: 'removed', id, work: null }));
      }
      continue;
    }
    const work = mergeWork(id, records, policy);
    const json = JSON.stringify(work);
    let change: WorkChange | null = null;
    if (!held) change = work.status === 'active' ? 'added' : null;
    else if (held.workJson !== json) {
      if (work.status === 'tombstone' && held.status !== 'tombstone') change = 'removed';
      else if (work.status === 'active' && held.status === 'tombstone') change = 'added';
      else change = 'changed';
    }
    state.saveWork(id, work.status, json, runId);
    if (change) {
      summary[change]++;
      changes.push(`{"change":"${change}","id":${JSON.stringify(id)},"work":${json}}`);
    }
  }
  if (changes.length > 0) {
    summary.changes = join(outDir, 'works', 'changes', `${runId}.jsonl`);
    writeFileAtomic(summary.changes, `${changes.join('\n')}\n`);
  }
  summary.total = writeSnapshot(summary.snapshot, state.allWorks());
  summary.probableDuplicates = writeSnapshot(summary.probableDuplicatesFile, probableDuplicateLines(state));
  return summary;
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

/** Streams lines into a temporary file, syncs it and renames it over the snapshot. */
function writeSnapshot(path: string, lines: Iterable<string>): number {
  mkdirSync(dirname(path), { recursive: true });
  const temp = `${path}.${process.pid}.tmp`;
  const fd = openSync(temp, 'w');
  let count = 0;
  try {
    let batch: string[] = [];
    const flush = () => {
      if (batch.length > 0) writeSync(fd, `${batch.join('\n')}\n`);
      batch = [];
    };
    for (const json of lines) {
      batch.push(json);
      count++;
      if (batch.length >= 1000) flush();
    }
    flush();
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, path);
  return count;
}
