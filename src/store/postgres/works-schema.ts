// The PostgreSQL tables of source records and works, translated from the SQLite schema (its
// `SCHEMA` and `WORKS_SCHEMA`). PostgreSQL keeps them in the one schema with the rest of the
// state: the SQLite works file exists for its page size, which PostgreSQL does not need.
//
// Key columns are COLLATE "C": rows are then ordered by their bytes, as SQLite orders them (the
// works of works.jsonl and its patches are in that order), and every transaction sorting keys
// sorts them alike, whatever the database's default collation, so row locks are taken in one
// order.

export const WORKS_SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS source_records (
  source_id TEXT COLLATE "C" NOT NULL, identifier TEXT COLLATE "C" NOT NULL, work_id TEXT COLLATE "C" NOT NULL,
  deleted INTEGER NOT NULL, record_json TEXT NOT NULL, match_key TEXT COLLATE "C",
  PRIMARY KEY (source_id, identifier)
);
CREATE INDEX IF NOT EXISTS source_records_by_work ON source_records (work_id);
CREATE INDEX IF NOT EXISTS source_records_by_match ON source_records (match_key) WHERE match_key IS NOT NULL;
CREATE TABLE IF NOT EXISTS format_fields (
  source_id TEXT COLLATE "C" NOT NULL, identifier TEXT COLLATE "C" NOT NULL, format TEXT COLLATE "C" NOT NULL,
  datestamp TEXT NOT NULL, fields_json TEXT NOT NULL,
  PRIMARY KEY (source_id, identifier, format)
);
-- Works touched since they were last recomputed; committed with the pages that touched them.
-- \`mark\` is random and fresh with every touch: a mark is cleared only if no run touched the work again meanwhile.
CREATE TABLE IF NOT EXISTS dirty_works (work_id TEXT COLLATE "C" PRIMARY KEY, mark BIGINT NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS works (
  work_id TEXT COLLATE "C" PRIMARY KEY, status TEXT NOT NULL, work_json TEXT NOT NULL, updated_run TEXT NOT NULL
);
-- Runs in progress that recompute works, so the touches of one that died can be adopted.
-- With the database session each run writes through: a run whose session ended died, on whatever
-- machine, which its pid alone cannot tell from another host.
CREATE TABLE IF NOT EXISTS works_runs (run_id TEXT PRIMARY KEY, pid INTEGER NOT NULL, host TEXT NOT NULL, session_pid INTEGER NOT NULL, session_start TEXT NOT NULL);
-- Works a run recomputed, with their status before it: the run's change file is written from these.
CREATE TABLE IF NOT EXISTS run_touched_works (
  run_id TEXT NOT NULL, work_id TEXT COLLATE "C" NOT NULL, before TEXT NOT NULL, PRIMARY KEY (run_id, work_id)
);
-- Works rewritten or dropped since works.jsonl was written, for the next one to patch in. A
-- work changed again gets a new seq from the sequence (never reused, never cycled), so a
-- snapshot forgets only what it holds.
CREATE SEQUENCE IF NOT EXISTS snapshot_pending_seq AS BIGINT NO CYCLE;
CREATE TABLE IF NOT EXISTS snapshot_pending (
  seq BIGINT PRIMARY KEY DEFAULT nextval('snapshot_pending_seq'), work_id TEXT COLLATE "C" NOT NULL UNIQUE
);
-- What SQLite kept in the works file's meta: \`pending_since\`, the snapshot whose later changes are noted.
CREATE TABLE IF NOT EXISTS works_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
`;

/** A fresh random mark, below 2^53 so that it reads back exactly as a JS number. */
const RANDOM_MARK = `floor(random() * 9007199254740991)::bigint`;

/**
 * The statement that marks works dirty, from any query whose first column is work ids (as
 * `markDirtySql` in ../schema.ts): `SELECT unnest($1::text[])`, `SELECT work_id FROM … WHERE …`.
 * Every touch gives the mark a fresh random value, so a run that read the old one cannot clear
 * it (see takeDirtyMark). Distinct, as one upsert may not touch a row twice; sorted, so that
 * two transactions marking overlapping works lock their rows in one order and never deadlock.
 * A concurrent touch of the same work waits for this one to commit, then gives it a mark of its own.
 */
export function markDirtyPgSql(rows: string): string {
  return `INSERT INTO dirty_works (work_id, mark)
          SELECT touched.work_id, ${RANDOM_MARK} FROM (SELECT DISTINCT r.work_id FROM (${rows}) AS r(work_id) WHERE r.work_id IS NOT NULL) AS touched
          ORDER BY touched.work_id COLLATE "C"
          ON CONFLICT (work_id) DO UPDATE SET mark = excluded.mark`;
}

/**
 * Notes a work as changed since works.jsonl, once a snapshot has started noting them (as
 * NOTE_PENDING_SQL in ../schema.ts). A work noted before gets a new seq: the one drawn for the
 * proposed row. The statement takes its lock on snapshot_pending before its snapshot, so it
 * sees a `begin` that committed while it waited for that lock (see PgSnapshotLog.begin).
 */
export const NOTE_PENDING_PG_SQL = `INSERT INTO snapshot_pending (work_id)
  SELECT $1 WHERE EXISTS (SELECT 1 FROM works_meta WHERE key = 'pending_since')
  ON CONFLICT (work_id) DO UPDATE SET seq = excluded.seq`;

/** NOTE_PENDING_PG_SQL for many works at once (`$1`, text[]), noted in key order. */
export const NOTE_PENDING_MANY_PG_SQL = `INSERT INTO snapshot_pending (work_id)
  SELECT w.work_id FROM unnest($1::text[]) AS w(work_id) WHERE EXISTS (SELECT 1 FROM works_meta WHERE key = 'pending_since')
  ORDER BY w.work_id COLLATE "C"
  ON CONFLICT (work_id) DO UPDATE SET seq = excluded.seq`;
