// After a run: the works its pages touched are recomputed, the changes written to
// works/changes/<run>.jsonl, and works.jsonl replaced whole (a reader never sees half)
// when it is due.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { StateStore } from '../store/state.ts';
import type { WorksSnapshotState } from '../store/snapshot-log.ts';
import { processIsGone } from '../store/source-lock.ts';
import { SnapshotWriter } from './snapshot-writer.ts';
import { letOthersRun } from './event-loop.ts';
import { tablesFile } from './tables.ts';
import { noteSnapshotBehind, probableDuplicatesFile, snapshotDue, worksFile, writeWorksSnapshot } from './works-snapshot.ts';
import { recomputeDirtyWorks, type WorksRun } from '../dedupe/recompute-works.ts';

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
  /** The Parquet tables, written with works.jsonl (output/tables/): rows per table; null when not written this run. */
  tables: WorksSnapshotState['tables'] | null;
  snapshotOf: { run: string; writtenAt: string; behind: boolean; changeFilesSince: number; written: 'patched' | 'whole' | null } | null;
  /** Time spent recomputing touched works, and rewriting the snapshots. */
  recomputeMs: number;
  snapshotMs: number;
}

export type WorkChange = 'added' | 'changed' | 'removed';

/**
 * The works as they are, for a run that did nothing (every source held by another run): it
 * recomputes nothing and writes nothing, so it never empties or rewrites what another is writing.
 */
export function worksLeftAlone(state: StateStore, outDir: string): WorksSummary {
  const snapshot = state.snapshots.state();
  return {
    ...emptySummary(outDir), total: state.works.count(), probableDuplicates: snapshot?.probableDuplicates ?? 0,
    snapshotOf: snapshot ? snapshotOf(snapshot) : null,
  };
}

/** Which run works.jsonl reflects, as the run summary shows it. */
function snapshotOf(snapshot: WorksSnapshotState): NonNullable<WorksSummary['snapshotOf']> {
  return { run: snapshot.run, writtenAt: snapshot.writtenAt, behind: snapshot.behind, changeFilesSince: snapshot.changeFilesSince.length, written: snapshot.written ?? null };
}

function emptySummary(outDir: string): WorksSummary {
  return {
    touched: 0, added: 0, changed: 0, removed: 0, total: 0, snapshot: worksFile(outDir), changes: null,
    probableDuplicates: 0, probableDuplicatesFile: probableDuplicatesFile(outDir), snapshotWritten: false, tables: null, snapshotOf: null, recomputeMs: 0, snapshotMs: 0,
  };
}

/**
 * Recomputes the works the run touched and writes its change file; works.jsonl and the tables
 * too when due, unless `writeSnapshot` is false (a fleet's job: `works snapshot` writes them).
 */
export async function updateWorks(run: WorksRun, outDir: string, { writeSnapshot = true }: { writeSnapshot?: boolean } = {}): Promise<WorksSummary> {
  const { state, runId } = run;
  const summary = emptySummary(outDir);
  const started = performance.now();
  // In batches, each one transaction: memory stays flat however many works a run touched.
  while (recomputeDirtyWorks(run) > 0) await letOthersRun();
  state.works.adoptTouched(runId, processIsGone);
  const changes = new SnapshotWriter(join(outDir, 'works', 'changes', `${runId}.jsonl`));
  let lines = 0;
  let snapshotStale = false;
  for (const t of state.works.touched(runId)) {
    summary.touched++;
    snapshotStale ||= t.updatedRun === runId || (t.status === null && t.before !== 'none');
    const change = changeOf(t.before, t.status, t.updatedRun === runId);
    if (!change) continue;
    summary[change]++;
    // The work's JSON goes in as the store holds it: no parse, no second serialisation.
    changes.line([`{"change":"${change}","id":${JSON.stringify(t.workId)},"work":`, t.workJson ?? 'null', '}']);
    if (++lines % 200 === 0) await letOthersRun();
  }
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
  const missing = !existsSync(summary.snapshot) || !existsSync(summary.probableDuplicatesFile) || !existsSync(tablesFile(outDir, 'works'));
  summary.snapshotWritten = writeSnapshot && (missing || !snapshot || (snapshot.behind && snapshotDue(snapshot.writtenAt, run.clock(), run.snapshotEveryHours)));
  // Without a snapshot yet, a run that may write one always does (`!snapshot` above); a
  // fleet's job, which may not, leaves none.
  if (summary.snapshotWritten) {
    snapshot = await writeWorksSnapshot(state, outDir, runId, run.clock);
    summary.tables = snapshot.tables ?? null;
  }
  summary.total = state.works.count();
  summary.probableDuplicates = snapshot?.probableDuplicates ?? 0;
  summary.snapshotOf = snapshot ? snapshotOf(snapshot) : null;
  summary.snapshotMs = Math.round(performance.now() - snapshotStarted);
  return summary;
}

/** A work's change over a run, from its status before and after and whether its JSON changed. */
function changeOf(before: string, after: string | null, rewritten: boolean): WorkChange | null {
  if (after === 'active') return before === 'active' ? (rewritten ? 'changed' : null) : 'added';
  if (before === 'active') return 'removed';
  return before === 'tombstone' && after === 'tombstone' && rewritten ? 'changed' : null;
}
