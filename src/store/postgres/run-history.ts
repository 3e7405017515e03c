// The run history per source in PostgreSQL: the same table and behaviour as ../run-history.ts.
import { toRun, type RunHistory, type SourceHistory, type SourceRun } from '../run-history.ts';
import type { PgConnection } from './connection.ts';

export class PgRunHistory implements RunHistory {
  private readonly db: PgConnection;

  constructor(db: PgConnection) {
    this.db = db;
  }

  save(run: SourceRun): void {
    this.db.run(`INSERT INTO source_runs (source_id, run_id, started_at, finished_at, status, error_json, records, deleted)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                 ON CONFLICT (source_id, finished_at, run_id) DO UPDATE SET started_at = excluded.started_at, status = excluded.status,
                   error_json = excluded.error_json, records = excluded.records, deleted = excluded.deleted`,
    [run.sourceId, run.runId, run.startedAt, run.finishedAt, run.status, run.error ? JSON.stringify(run.error) : null, run.records, run.deleted]);
  }

  ofSource(sourceId: string): SourceHistory {
    const latest = (where: string) =>
      this.db.query(`SELECT * FROM source_runs WHERE source_id = $1 ${where} ORDER BY finished_at DESC, run_id DESC LIMIT 1`, [sourceId])[0];
    const lastSuccess = latest(`AND status = 'ok'`);
    const since = lastSuccess ? String(lastSuccess['finished_at']) : '';
    const [failures] = this.db.query(`SELECT COUNT(*) AS n FROM source_runs WHERE source_id = $1 AND status = 'failed' AND finished_at > $2`, [sourceId, since]);
    return {
      lastRun: toRun(latest('')),
      lastSuccess: toRun(lastSuccess),
      lastFailure: toRun(latest(`AND status = 'failed'`)),
      consecutiveFailures: Number(failures!['n']),
    };
  }
}
