// Transaction-scoped advisory locks: where the SQLite store relied on its single writer to
// serialise a read-then-write, the PostgreSQL one makes the writers of one key take turns.
import type { PgConnection } from './connection.ts';

/**
 * Holds, until the transaction ends, the lock of `key` within `scope`. The two-key form keeps
 * these apart from any single-key lock (the schema's); a hash collision only makes two keys
 * wait for each other.
 */
export function lockUntilCommit(db: PgConnection, scope: string, key: string): void {
  db.query('SELECT pg_advisory_xact_lock(hashtext($1), hashtext($2))', [scope, key]);
}
