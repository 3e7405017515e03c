// Recomputing the works a run's pages touched: each dirty work merged again from its source
// records and downloads, saved only if no run touched it since it was read.
import { hostname } from 'node:os';
import { monthOf } from '../oai/dates.ts';
import type { StateStore } from '../store/state.ts';
import { storedRecord } from '../store/source-records.ts';
import type { DirtyWork } from '../store/works.ts';
import { isPublisherRecord, mergeWork, type MergePolicy } from './merge-work.ts';
import type { Work } from './work.ts';

/** What recomputing needs, for one run. */
export interface WorksRun {
  state: StateStore;
  policy: MergePolicy;
  runId: string;
  /** Downloads of the last 12 months count from this month. */
  since: string;
  /** When the run started (a test's simulated time, or the real one). */
  now: Date;
  /** The run's clock: `now`, advancing with real time, for what is stamped when it happens. */
  clock: () => Date;
  /** works.jsonl is rewritten at most this often when works changed (0: by every such run). */
  snapshotEveryHours: number;
}

export interface WorksRunOptions {
  policy: MergePolicy;
  runId: string;
  now?: Date | undefined;
  snapshotEveryHours?: number | undefined;
}

/** Starts recomputing works for a run; until its change file is written, a run that dies leaves its touches to the next. */
export function worksRun(state: StateStore, options: WorksRunOptions): WorksRun {
  const now = options.now ?? new Date();
  const started = performance.now();
  const clock = () => new Date(now.getTime() + Math.round(performance.now() - started));
  state.works.registerRun(options.runId, process.pid, hostname());
  return { state, policy: options.policy, runId: options.runId, since: monthOf(now, 11), now, clock, snapshotEveryHours: options.snapshotEveryHours ?? 0 };
}

/**
 * Recomputes up to `limit` dirty works in one transaction; returns how many. Called between
 * pages during a harvest, while the next page is on its way, and for the rest at the end.
 */
export function recomputeDirtyWorks(run: WorksRun, limit = 500): number {
  const { state } = run;
  const batch = state.works.dirtyBatch(limit);
  if (batch.length === 0) return 0;
  const results = batch.map((item) => ({ ...recompute(run, item), mark: item.mark }));
  // Saved only where no run touched the work since it was read, and its mark cleared in the
  // same transaction: a result from older records never overwrites one from newer (the run
  // that recomputes after the newer touch saves its own).
  state.transaction(() => state.works.saveRecomputed(run.runId, results.map((r) => ({
    workId: r.id, mark: r.mark, before: r.before, unchanged: r.unchanged, work: r.work === null ? null : { status: r.work.status, workJson: r.json! },
  }))));
  return batch.length;
}

function recompute(run: WorksRun, item: DirtyWork): { id: string; before: string; work: Work | null; json: string | null; unchanged: boolean } {
  const { workId: id, held } = item;
  const before = held?.status ?? 'none';
  const records = item.records.map(storedRecord);
  // Its only record moved to another DOI: the work no longer exists (the publisher's record
  // of the DOI it had is no copy of its own).
  if (!records.some((r) => !isPublisherRecord(r))) return { id, before, work: null, json: null, unchanged: false };
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
