// What the state can tell of a fleet's queue: pg-boss keeps its jobs in the state's own
// database (schema `pgboss`), so status reads them on the store's connection. The queue itself
// (sending, fetching, heartbeats) is pg-boss's, driven from src/pipeline/jobs.ts.
import type { PgConnection } from './connection.ts';

/** The fleet's one queue: every harvest job, keyed by its source's host. */
export const HARVEST_QUEUE = 'harvest-source';

/** A source's jobs that are not done: waiting, waiting to retry, running; and those that failed for good (kept a week). */
export interface JobCounts {
  queued: number;
  retrying: number;
  active: number;
  failed: number;
}

/**
 * Jobs queued, waiting to retry or active in a queue, on every worker: `$1` is the queue's name,
 * `$2` the ids of jobs whose handler succeeded but which pg-boss may not have marked completed yet.
 */
export const UNFINISHED_JOBS_SQL = `SELECT count(*)::int AS n FROM pgboss.job
  WHERE name = $1 AND (state IN ('created', 'retry') OR (state = 'active' AND NOT id = ANY($2::uuid[])))`;

/** A queue's jobs per source; empty before the first `enqueue` made pg-boss's tables. */
export function jobCounts(db: PgConnection, queue: string): Map<string, JobCounts> {
  const counts = new Map<string, JobCounts>();
  if (db.query(`SELECT to_regclass('pgboss.job') IS NOT NULL AS present`)[0]?.['present'] !== true) return counts;
  const rows = db.query(`SELECT data->>'sourceId' AS source, state::text AS state, count(*)::int AS n FROM pgboss.job
                         WHERE name = $1 AND state IN ('created', 'retry', 'active', 'failed') GROUP BY 1, 2`, [queue]);
  for (const row of rows) {
    const source = String(row['source']);
    const c = counts.get(source) ?? { queued: 0, retrying: 0, active: 0, failed: 0 };
    const n = Number(row['n']);
    if (row['state'] === 'created') c.queued += n;
    else if (row['state'] === 'retry') c.retrying += n;
    else if (row['state'] === 'active') c.active += n;
    else c.failed += n;
    counts.set(source, c);
  }
  return counts;
}
