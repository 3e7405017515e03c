// After a run: the works its pages touched are recomputed, the changes written to
// works/changes/<run>.jsonl, and works.jsonl replaced whole (a reader never sees half)
// when it is due.
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { processIsGone } from '../store/source-lock.ts';
import { SnapshotWriter } from './snapshot-writer.ts';
import { noteSnapshotBehind, probableDuplicatesFile, snapshotDue, worksFile, writeWorksSnapshot } from './works-snapshot.ts';
import { mergeWork, type MergePolicy } from '../dedupe/merge-work.ts';
import type { Work } from '../dedupe/work.ts';
import { monthOf } from '../stats/fetch-stats.ts';
import type { StateStore } from '../store/state.ts';
import { storedRecord } from '../store/source-records.ts';
import type { DirtyWork } from '../store/works.ts';

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
  /** Whether this run rewrote works.jsonl, and which run the file reflects now. */
  snapshotWritten: boolean;
  snapshotOf: { run: string; writtenAt: string; behind: boolean; changeFilesSince: number; written: 'patched' | 'whole' | null } | null;
  /** Time spent recomputing touched works, and rewriting the snapshots. */
  recomputeMs: number;
  snapshotMs: number;
}

export type WorkChange = 'added' | 'changed' | 'removed';

/** What recomputing needs, for one run. */
export interface WorksRun {
  state: StateStore;
  policy: MergePolicy;
  runId: string;
  /** Downloads of the last 12 months count from this month. */
  since: string;
  now: Date;
  /** works.jsonl is rewritten at most this often when works changed (0: by every such run). */
  snapshotEveryHours: number;
}

/** Starts recomputing works for a run; until its change file is written, a run that dies leaves its touches to the next. */
export function worksRun(state: StateStore, policy: MergePolicy, runId: string, now: Date = new Date(), snapshotEveryHours = 0): WorksRun {
  state.works.registerRun(runId, process.pid, hostname());
  return { state, policy, runId, since: monthOf(now, 11), now, snapshotEveryHours };
}

/**
 * Recomputes up to `limit` dirty works in one transaction; returns how many. Called between
 * pages during a harvest, while the next page is on its way, and for the rest at the end.
 */
export function recomputeDirtyWorks(run: WorksRun, limit = 500): number {
  const { state } = run;
  const batch = state.works.dirtyBatch(limit);
  if (batch.length === 0) return 0;
  const results = batch.map((item, i) => ({ ...recompute(run, item), mark: batch[i]!.mark }));
  // Saved only where no run touched the work since it was read, and its mark cleared in the
  // same transaction: a result from older records never overwrites one from newer (the run
  // that recomputes after the newer touch saves its own).
  state.transaction(() => {
    for (const r of results) {
      if (!state.works.takeDirtyMark(r.id, r.mark)) continue;
      state.works.noteTouched(run.runId, r.id, r.before);
      if (r.work === null) state.works.dropWork(r.id);
      else if (!r.unchanged) state.works.saveWork(r.id, r.work.status, r.json!, run.runId);
    }
  });
  return batch.length;
}

export async function updateWorks(run: WorksRun, outDir: string): Promise<WorksSummary> {
  const { state, runId } = run;
  const summary: WorksSummary = {
    touched: 0, added: 0, changed: 0, removed: 0, total: 0, snapshot: worksFile(outDir), changes: null,
    probableDuplicates: 0, probableDuplicatesFile: probableDuplicatesFile(outDir), snapshotWritten: false, snapshotOf: null, recomputeMs: 0, snapshotMs: 0,
  };
  const started = performance.now();
  // In batches, each one transaction: memory stays flat however many works a run touched.
  while (recomputeDirtyWorks(run) > 0);
  state.works.adoptTouched(runId, processIsGone);
  const changes = new SnapshotWriter(join(outDir, 'works', 'changes', `${runId}.jsonl`));
  let lines: string[] = [];
  let snapshotStale = false;
  for (const t of state.works.touched(runId)) {
    summary.touched++;
    snapshotStale ||= t.updatedRun === runId || (t.status === null && t.before !== 'none');
    const change = changeOf(t.before, t.status, t.updatedRun === runId);
    if (!change) continue;
    summary[change]++;
    lines.push(`{"change":"${change}","id":${JSON.stringify(t.workId)},"work":${t.workJson ?? 'null'}}`);
    if (lines.length >= 200) {
      changes.write(lines);
      lines = [];
    }
  }
  changes.write(lines);
  // A run that changed no work leaves no change file.
  summary.changes = changes.finish() > 0 ? changes.path : null;
  // Noted before the touches are forgotten: a run killed in between leaves its touches to the
  // next run, one killed after leaves the snapshot marked behind; neither is lost.
  let snapshot = state.snapshots.state();
  if (snapshot && snapshotStale) snapshot = noteSnapshotBehind(state, outDir, snapshot, summary.changes);
  state.works.forgetTouched(runId);
  summary.recomputeMs = Math.round(performance.now() - started);
  const snapshotStarted = performance.now();
  // Untouched works leave the snapshots current: only a run that changed something rewrites
  // them, and with an interval only once it has passed.
  const missing = !existsSync(summary.snapshot) || !existsSync(summary.probableDuplicatesFile);
  summary.snapshotWritten = missing || !snapshot || (snapshot.behind && snapshotDue(snapshot.writtenAt, run.now, run.snapshotEveryHours));
  if (summary.snapshotWritten || !snapshot) snapshot = await writeWorksSnapshot(state, outDir, runId, run.now);
  summary.total = state.works.count();
  summary.probableDuplicates = snapshot.probableDuplicates;
  summary.snapshotOf = { run: snapshot.run, writtenAt: snapshot.writtenAt, behind: snapshot.behind, changeFilesSince: snapshot.changeFilesSince.length, written: snapshot.written ?? null };
  summary.snapshotMs = Math.round(performance.now() - snapshotStarted);
  return summary;
}

/** A work's change over a run, from its status before and after and whether its JSON changed. */
function changeOf(before: string, after: string | null, rewritten: boolean): WorkChange | null {
  if (after === 'active') return before === 'active' ? (rewritten ? 'changed' : null) : 'added';
  if (before === 'active') return 'removed';
  return before === 'tombstone' && after === 'tombstone' && rewritten ? 'changed' : null;
}

function recompute(run: WorksRun, item: DirtyWork): { id: string; before: string; work: Work | null; json: string | null; unchanged: boolean } {
  const { workId: id, held } = item;
  const before = held?.status ?? 'none';
  const records = item.records.map(storedRecord);
  // Its only record moved to another DOI: the work no longer exists.
  if (records.length === 0) return { id, before, work: null, json: null, unchanged: false };
  const work = mergeWork(id, records, run.policy);
  // Downloads summed over the live copies, per metric: IRStats2 and COUNTER never added together.
  for (const d of item.downloadRows) {
    const sum = (work.downloads[d.metric] ??= { last12Months: 0, allTime: 0 });
    sum.allTime += d.count;
    if (d.month >= run.since) sum.last12Months += d.count;
  }
  const json = JSON.stringify(work);
  return { id, before, work, json, unchanged: held?.workJson === json };
}
