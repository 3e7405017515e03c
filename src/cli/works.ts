// After a run: the works its pages touched are recomputed, the changes written to
// works/changes/<run>.jsonl, and works.jsonl replaced whole (a reader never sees half).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { SnapshotWriter, writeSnapshotFile } from '../sinks/snapshot-writer.ts';
import type { CommonRecord } from '../formats/common-record.ts';
import { mergeWork, type MergePolicy } from '../dedupe/merge-work.ts';
import type { Work } from '../dedupe/work.ts';
import { monthOf } from './stats-run.ts';
import type { StateStore } from '../store/state.ts';

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
  /** Time spent recomputing touched works, and rewriting the snapshots. */
  recomputeMs: number;
  snapshotMs: number;
}

export type WorkChange = 'added' | 'changed' | 'removed';

export function updateWorks(state: StateStore, policy: MergePolicy, outDir: string, runId: string, now: Date = new Date()): WorksSummary {
  const since = monthOf(now, 11);
  const summary: WorksSummary = {
    touched: 0, added: 0, changed: 0, removed: 0, total: 0, snapshot: join(outDir, 'works.jsonl'), changes: null,
    probableDuplicates: 0, probableDuplicatesFile: join(outDir, 'works', 'probable-duplicates.jsonl'), recomputeMs: 0, snapshotMs: 0,
  };
  const started = performance.now();
  const changes = new SnapshotWriter(join(outDir, 'works', 'changes', `${runId}.jsonl`));
  // In batches, each one transaction: memory stays flat however many works a run touched.
  for (let batch = state.dirtyWorks(500); batch.length > 0; batch = state.dirtyWorks(500)) {
    const results = batch.map((id) => recompute(state, policy, id, since));
    const lines: string[] = [];
    state.transaction(() => {
      for (const r of results) {
        summary.touched++;
        if (r.work) state.saveWork(r.id, r.work.status, r.json!, runId);
        else state.dropWork(r.id);
        if (r.change) {
          summary[r.change]++;
          lines.push(`{"change":"${r.change}","id":${JSON.stringify(r.id)},"work":${r.json ?? 'null'}}`);
        }
      }
    });
    changes.write(lines);
  }
  // A run that changed no work leaves no change file.
  summary.changes = changes.finish() > 0 ? changes.path : null;
  summary.recomputeMs = Math.round(performance.now() - started);
  const snapshotStarted = performance.now();
  // Untouched works leave the snapshots current: only a run that changed something rewrites them.
  if (summary.touched > 0 || !existsSync(summary.snapshot) || !existsSync(summary.probableDuplicatesFile)) {
    summary.total = writeSnapshotFile(summary.snapshot, state.allWorks());
    summary.probableDuplicates = writeSnapshotFile(summary.probableDuplicatesFile, probableDuplicateLines(state));
  } else {
    summary.total = state.workCount();
    summary.probableDuplicates = [...state.probableDuplicates()].length;
  }
  summary.snapshotMs = Math.round(performance.now() - snapshotStarted);
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

function recompute(state: StateStore, policy: MergePolicy, id: string, since: string): { id: string; work: Work | null; json: string | null; change: WorkChange | null } {
  const held = state.work(id);
  const records = state.workRecords(id).map((r) => ({ ...(JSON.parse(r.recordJson) as CommonRecord), deleted: r.deleted }));
  // Its only record moved to another DOI: the work no longer exists.
  if (records.length === 0) return { id, work: null, json: null, change: held ? 'removed' : null };
  const work = mergeWork(id, records, policy);
  // Downloads summed over the live copies, per metric: IRStats2 and COUNTER never added together.
  for (const d of state.workDownloads(id, since)) work.downloads[d.metric] = { last12Months: d.recent, allTime: d.allTime };
  const json = JSON.stringify(work);
  let change: WorkChange | null = null;
  if (!held) change = work.status === 'active' ? 'added' : null;
  else if (held.workJson !== json) {
    if (work.status === 'tombstone' && held.status !== 'tombstone') change = 'removed';
    else if (work.status === 'active' && held.status === 'tombstone') change = 'added';
    else change = 'changed';
  }
  return { id, work, json, change };
}

