// What happened to each source run after run: the memory behind `status`. Kept in the
// state database so a cron job, a service and a person asking all see the same history.
import type { StateStore } from './state.ts';

/** `interrupted`: stopped by a signal; `locked`: another run held the source. Neither counts as a failure. */
export type SourceRunStatus = 'ok' | 'failed' | 'interrupted' | 'locked';

export interface SourceRunError {
  name: string;
  message: string;
  verb?: string | undefined;
  url?: string | undefined;
}

export interface SourceRun {
  sourceId: string;
  runId: string;
  startedAt: string;
  finishedAt: string;
  status: SourceRunStatus;
  error: SourceRunError | null;
  records: number;
  deleted: number;
}

export interface SourceHistory {
  lastRun: SourceRun | null;
  lastSuccess: SourceRun | null;
  lastFailure: SourceRun | null;
  /** Failed runs since the last success (locked and interrupted runs are passed over). */
  consecutiveFailures: number;
}

export function saveSourceRun(state: StateStore, run: SourceRun): void {
  state
    .statement(`INSERT OR REPLACE INTO source_runs (source_id, run_id, started_at, finished_at, status, error_json, records, deleted)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)`)
    .run(run.sourceId, run.runId, run.startedAt, run.finishedAt, run.status, run.error ? JSON.stringify(run.error) : null, run.records, run.deleted);
}

export function sourceHistory(state: StateStore, sourceId: string): SourceHistory {
  const latest = (where: string) =>
    state.statement(`SELECT * FROM source_runs WHERE source_id = ? ${where} ORDER BY finished_at DESC, run_id DESC LIMIT 1`).get(sourceId);
  const lastSuccess = latest(`AND status = 'ok'`);
  const since = lastSuccess ? String(lastSuccess['finished_at']) : '';
  const failures = state
    .statement(`SELECT COUNT(*) AS n FROM source_runs WHERE source_id = ? AND status = 'failed' AND finished_at > ?`)
    .get(sourceId, since) as { n: number };
  return {
    lastRun: toRun(latest('')),
    lastSuccess: toRun(lastSuccess),
    lastFailure: toRun(latest(`AND status = 'failed'`)),
    consecutiveFailures: Number(failures.n),
  };
}

export interface ListSize {
  list: string;
  metadataPrefix: string;
  set: string | null;
  /** The completeListSize the server gave in the latest harvest of the whole list (no `from`), if it gave one. */
  server: number | null;
  serverAsOf: string | null;
  /** Records held in this format (live and deleted); null for a set, whose members are not tracked. */
  held: number | null;
}

/** Per list, the server's own count against ours: a large gap means records are being missed. */
export function listSizes(state: StateStore, sourceId: string): ListSize[] {
  const rows = state
    .statement(`SELECT list_key, metadata_prefix, set_spec, complete_list_size, started_at FROM harvests h
                WHERE source_id = ? AND from_arg IS NULL AND complete_list_size IS NOT NULL AND list_key NOT LIKE '%@%'
                  AND started_at = (SELECT MAX(started_at) FROM harvests WHERE source_id = h.source_id AND list_key = h.list_key
                                    AND from_arg IS NULL AND complete_list_size IS NOT NULL)
                ORDER BY list_key`)
    .all(sourceId);
  const lists = new Map<string, ListSize>();
  for (const r of rows) {
    const list = String(r['list_key']);
    const set = r['set_spec'] === null ? null : String(r['set_spec']);
    const metadataPrefix = String(r['metadata_prefix']);
    lists.set(list, {
      list, metadataPrefix, set, server: Number(r['complete_list_size']), serverAsOf: String(r['started_at']),
      held: set === null ? heldInFormat(state, sourceId, metadataPrefix) : null,
    });
  }
  // Lists whose server never said how long they are still show what we hold.
  for (const r of state.statement(`SELECT DISTINCT list_key, metadata_prefix, set_spec FROM harvests WHERE source_id = ? AND list_key NOT LIKE '%@%'`).all(sourceId)) {
    const list = String(r['list_key']);
    if (lists.has(list)) continue;
    const set = r['set_spec'] === null ? null : String(r['set_spec']);
    const metadataPrefix = String(r['metadata_prefix']);
    lists.set(list, { list, metadataPrefix, set, server: null, serverAsOf: null, held: set === null ? heldInFormat(state, sourceId, metadataPrefix) : null });
  }
  return [...lists.values()].sort((a, b) => a.list.localeCompare(b.list));
}

function heldInFormat(state: StateStore, sourceId: string, metadataPrefix: string): number {
  const row = state.statement(`SELECT COUNT(*) AS n FROM record_versions WHERE source_id = ? AND metadata_prefix = ?`).get(sourceId, metadataPrefix) as { n: number };
  return Number(row.n);
}

/** Works with at least one live record from the source. */
export function sourceWorkCount(state: StateStore, sourceId: string): number {
  const row = state.statement(`SELECT COUNT(DISTINCT work_id) AS n FROM source_records WHERE source_id = ? AND deleted = 0`).get(sourceId) as { n: number };
  return Number(row.n);
}

function toRun(r: Record<string, unknown> | undefined): SourceRun | null {
  if (!r) return null;
  return {
    sourceId: String(r['source_id']),
    runId: String(r['run_id']),
    startedAt: String(r['started_at']),
    finishedAt: String(r['finished_at']),
    status: String(r['status']) as SourceRunStatus,
    error: r['error_json'] === null ? null : (JSON.parse(String(r['error_json'])) as SourceRunError),
    records: Number(r['records']),
    deleted: Number(r['deleted']),
  };
}
