// One run at a time per source across every machine of a fleet: a session-level advisory lock
// on the run's own connection. PostgreSQL releases it when that connection ends, so a worker
// killed on any machine frees its sources at once, where a lock file on a shared folder could
// not tell a holder on another host was gone.
import { createHash, randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { LockHolder, LockResult } from '../source-lock.ts';
import type { PgConnection, PgRow } from './connection.ts';

const UNKNOWN: LockHolder = { pid: 0, host: 'unknown', since: 'unknown' };

/**
 * The source's advisory lock key, from a hash wide enough that two sources never share one in
 * practice; as two 32-bit halves, which is how pg_locks shows a lock and the two-key functions take it.
 */
function lockKey(sourceId: string): [number, number] {
  const digest = createHash('sha256').update(`oai-harvester source ${sourceId}`).digest();
  return [digest.readInt32BE(0), digest.readInt32BE(4)];
}

function holderOf(row: PgRow | undefined): LockHolder | undefined {
  return row ? { pid: Number(row['pid']), host: String(row['host']), since: String(row['since']), token: String(row['token']) } : undefined;
}

/**
 * Takes the source's lock on this connection, or says who holds it. Advisory locks are
 * re-entrant within one session: callers sharing a connection (a schedule's runs) must not
 * run one source twice at once, which the schedule already keeps to.
 */
export function lockSource(db: PgConnection, sourceId: string): LockResult {
  const [high, low] = lockKey(sourceId);
  const [taken] = db.query('SELECT pg_try_advisory_lock($1::int, $2::int) AS got', [high, low]);
  if (taken?.['got'] !== true) {
    return { acquired: false, holder: holderOf(db.query('SELECT pid, host, since, token FROM source_locks WHERE source_id = $1', [sourceId])[0]) ?? UNKNOWN };
  }
  const previous = holderOf(db.query('SELECT pid, host, since, token FROM source_locks WHERE source_id = $1', [sourceId])[0]);
  const me: LockHolder = { pid: process.pid, host: hostname(), since: new Date().toISOString(), token: randomBytes(8).toString('hex') };
  db.run(`INSERT INTO source_locks (source_id, pid, host, since, token) VALUES ($1, $2, $3, $4, $5)
          ON CONFLICT (source_id) DO UPDATE SET pid = excluded.pid, host = excluded.host, since = excluded.since, token = excluded.token`,
  [sourceId, me.pid, me.host, me.since, me.token!]);
  let released = false;
  const release = (): void => {
    if (released) return;
    released = true;
    db.run('DELETE FROM source_locks WHERE source_id = $1 AND token = $2', [sourceId, me.token!]);
    db.query('SELECT pg_advisory_unlock($1::int, $2::int)', [high, low]);
  };
  // A row left behind is a holder whose connection ended without releasing: it died.
  return { acquired: true, release, ...(previous ? { tookOverFrom: previous } : {}) };
}

/** Who holds the source's lock now, if its session is alive. */
export function lockHolder(db: PgConnection, sourceId: string): LockHolder | undefined {
  const [high, low] = lockKey(sourceId);
  // The two-key form shows in pg_locks as classid (first key), objid (second) and objsubid 2.
  const [row] = db.query(`SELECT l.pid, l.host, l.since, l.token FROM source_locks l
    WHERE l.source_id = $1 AND EXISTS (SELECT 1 FROM pg_locks p WHERE p.locktype = 'advisory' AND p.granted
      AND p.classid = ($2::int)::oid AND p.objid = ($3::int)::oid AND p.objsubid = 2)`, [sourceId, high, low]);
  return holderOf(row);
}
