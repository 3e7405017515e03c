// What happened to each source run after run: the memory behind `status`. Kept in the
// state database so a cron job, a service and a person asking all see the same history.
import type { ErrorCode } from '../oai/errors.ts';
import type { SqliteDatabase } from './database.ts';

/** `interrupted`: stopped by a signal; `locked`: another run held the source. Neither counts as a failure. */
export type SourceRunStatus = 'ok' | 'failed' | 'interrupted' | 'locked';

export interface SourceRunError {
  /** Absent in rows written before errors had codes. */
  code?: ErrorCode | undefined;
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

/** The one way to the source_runs table. */
export interface RunHistory {
  save(run: SourceRun): void;
  ofSource(sourceId: string): SourceHistory;
}

export class SqliteRunHistory implements RunHistory {
  private readonly db: SqliteDatabase;

  constructor(db: SqliteDatabase) {
    this.db = db;
  }

  save(run: SourceRun): void {
    this.db
      .statement(`INSERT OR REPLACE INTO source_runs (source_id, run_id, started_at, finished_at, status, error_json, records, deleted)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)`)
      .run(run.sourceId, run.runId, run.startedAt, run.finishedAt, run.status, run.error ? JSON.stringify(run.error) : null, run.records, run.deleted);
  }

  ofSource(sourceId: string): SourceHistory {
    const latest = (where: string) =>
      this.db.statement(`SELECT * FROM source_runs WHERE source_id = ? ${where} ORDER BY finished_at DESC, run_id DESC LIMIT 1`).get(sourceId);
    const lastSuccess = latest(`AND status = 'ok'`);
    const since = lastSuccess ? String(lastSuccess['finished_at']) : '';
    const failures = this.db.statement(`SELECT COUNT(*) AS n FROM source_runs WHERE source_id = ? AND status = 'failed' AND finished_at > ?`).get(sourceId, since)!;
    return {
      lastRun: toRun(latest('')),
      lastSuccess: toRun(lastSuccess),
      lastFailure: toRun(latest(`AND status = 'failed'`)),
      consecutiveFailures: Number(failures['n']),
    };
  }
}

/** A source_runs row as read by either backend. */
export function toRun(r: Record<string, unknown> | undefined): SourceRun | null {
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
