// The state database's tables, and the steps that bring an older database to them. The
// works live in a file of their own beside it (`<state>-works`), attached as `workdb`.

export const SCHEMA_VERSION = 10;

export const SCHEMA = `
CREATE TABLE IF NOT EXISTS repositories (
  source_id TEXT PRIMARY KEY, base_url TEXT NOT NULL, identify_json TEXT NOT NULL, identified_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS lists (
  source_id TEXT NOT NULL, list_key TEXT NOT NULL,
  last_complete_response_date TEXT, last_complete_at TEXT, last_harvest_id TEXT,
  PRIMARY KEY (source_id, list_key)
);
CREATE TABLE IF NOT EXISTS harvests (
  harvest_id TEXT PRIMARY KEY, source_id TEXT NOT NULL, list_key TEXT NOT NULL,
  metadata_prefix TEXT NOT NULL, set_spec TEXT, from_arg TEXT, until_arg TEXT, full INTEGER NOT NULL,
  status TEXT NOT NULL, started_at TEXT NOT NULL, finished_at TEXT,
  first_response_date TEXT, token TEXT,
  pages INTEGER NOT NULL DEFAULT 0, records INTEGER NOT NULL DEFAULT 0, deleted INTEGER NOT NULL DEFAULT 0,
  unchanged INTEGER NOT NULL DEFAULT 0, last_datestamp TEXT,
  output_file TEXT NOT NULL, output_offset INTEGER NOT NULL DEFAULT 0, rejects_offset INTEGER NOT NULL DEFAULT 0,
  restarts INTEGER NOT NULL DEFAULT 0, complete_list_size INTEGER, last_error TEXT
);
CREATE INDEX IF NOT EXISTS harvests_running ON harvests (source_id, list_key, status);
CREATE TABLE IF NOT EXISTS record_versions (
  source_id TEXT NOT NULL, metadata_prefix TEXT NOT NULL, identifier TEXT NOT NULL, datestamp TEXT NOT NULL,
  deleted INTEGER NOT NULL, harvest_id TEXT NOT NULL,
  PRIMARY KEY (source_id, metadata_prefix, identifier)
) WITHOUT ROWID;
-- The normalised fields of each format of a record, for sources harvested in several formats.
-- The current common record of each source record, and the work it belongs to.
-- Rowid tables: rows of kilobytes of JSON overflow the pages of a WITHOUT ROWID table and
-- more than double its size and writes.
CREATE TABLE IF NOT EXISTS source_records (
  source_id TEXT NOT NULL, identifier TEXT NOT NULL, work_id TEXT NOT NULL, deleted INTEGER NOT NULL, record_json TEXT NOT NULL,
  match_key TEXT,
  PRIMARY KEY (source_id, identifier)
);
CREATE INDEX IF NOT EXISTS source_records_by_work ON source_records (work_id);
CREATE INDEX IF NOT EXISTS source_records_by_match ON source_records (match_key) WHERE match_key IS NOT NULL;
-- Works touched since they were last recomputed; committed with the pages that touched them.
-- \`mark\` changes with every touch: a mark is cleared only if no run touched the work again meanwhile.
CREATE TABLE IF NOT EXISTS dirty_works (work_id TEXT PRIMARY KEY, mark INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;
-- A partitioned harvest of one list: its datestamp windows, each harvested as a list of its own.
CREATE TABLE IF NOT EXISTS partition_plans (
  source_id TEXT NOT NULL, list_key TEXT NOT NULL, plan_id TEXT NOT NULL, full INTEGER NOT NULL, windows_json TEXT NOT NULL,
  status TEXT NOT NULL, created_at TEXT NOT NULL, PRIMARY KEY (source_id, list_key, plan_id)
) WITHOUT ROWID;
-- Download counts per source record, month and metric (irstats2:downloads, COUNTER metrics).
CREATE TABLE IF NOT EXISTS downloads (
  source_id TEXT NOT NULL, identifier TEXT NOT NULL, month TEXT NOT NULL, metric TEXT NOT NULL, count INTEGER NOT NULL,
  PRIMARY KEY (source_id, identifier, month, metric)
) WITHOUT ROWID;
-- Months of statistics fetched per source; a month is fetched again only while it may still change.
CREATE TABLE IF NOT EXISTS stats_months (
  source_id TEXT NOT NULL, month TEXT NOT NULL, fetched_at TEXT NOT NULL, outcome TEXT NOT NULL,
  PRIMARY KEY (source_id, month)
) WITHOUT ROWID;
-- One row per source and run: what status reports (last success, last failure, failures in a row).
CREATE TABLE IF NOT EXISTS source_runs (
  source_id TEXT NOT NULL, run_id TEXT NOT NULL, started_at TEXT NOT NULL, finished_at TEXT NOT NULL, status TEXT NOT NULL,
  error_json TEXT, records INTEGER NOT NULL, deleted INTEGER NOT NULL,
  PRIMARY KEY (source_id, finished_at, run_id)
) WITHOUT ROWID;
-- Crossref's record of each DOI a work has: found (its JSON), missing (not a Crossref DOI), or
-- pending (wanted, not fetched yet: a run that could not ask leaves it for the next).
CREATE TABLE IF NOT EXISTS crossref_works (
  doi TEXT PRIMARY KEY, status TEXT NOT NULL, work_json TEXT, checked_at TEXT
);
CREATE INDEX IF NOT EXISTS crossref_works_due ON crossref_works (status, checked_at);
-- The last read of each file source (BibTeX): it is read again only when its content changed.
CREATE TABLE IF NOT EXISTS file_reads (
  source_id TEXT PRIMARY KEY, path TEXT NOT NULL, sha256 TEXT NOT NULL, entries INTEGER NOT NULL, read_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS format_fields (
  source_id TEXT NOT NULL, identifier TEXT NOT NULL, format TEXT NOT NULL, datestamp TEXT NOT NULL, fields_json TEXT NOT NULL,
  PRIMARY KEY (source_id, identifier, format)
) WITHOUT ROWID;
`;

/**
 * The works, in a file of their own beside the state database (\`<state>-works\`): small pages,
 * because an incremental run rewrites one page for each work it touched, scattered over the
 * table; the source records keep large pages, which suit rows of kilobytes written in order.
 */
export const WORKS_SCHEMA = `
CREATE TABLE IF NOT EXISTS workdb.meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS workdb.works (
  work_id TEXT PRIMARY KEY, status TEXT NOT NULL, work_json TEXT NOT NULL, updated_run TEXT NOT NULL
);
-- Runs in progress that recompute works, so the touches of one that died can be adopted.
CREATE TABLE IF NOT EXISTS workdb.works_runs (run_id TEXT PRIMARY KEY, pid INTEGER NOT NULL, host TEXT NOT NULL) WITHOUT ROWID;
-- Works a run recomputed, with their status before it: the run's change file is written from these.
CREATE TABLE IF NOT EXISTS workdb.run_touched_works (
  run_id TEXT NOT NULL, work_id TEXT NOT NULL, before TEXT NOT NULL, PRIMARY KEY (run_id, work_id)
) WITHOUT ROWID;
-- Works rewritten or dropped since works.jsonl was written, for the next one to patch in. A
-- work changed again gets a new seq (never reused), so a snapshot forgets only what it holds.
CREATE TABLE IF NOT EXISTS workdb.snapshot_pending (seq INTEGER PRIMARY KEY AUTOINCREMENT, work_id TEXT NOT NULL UNIQUE);
`;

/**
 * Notes a work as changed since works.jsonl, once a snapshot has started noting them: before
 * the first, the next snapshot is written whole anyway, and a first harvest of a million works
 * need not note each one.
 */
export const NOTE_PENDING_SQL = `INSERT OR REPLACE INTO workdb.snapshot_pending (work_id)
  SELECT ? WHERE EXISTS (SELECT 1 FROM workdb.meta WHERE key = 'pending_since')`;

/** The tables a version 7 database kept in itself; version 8 moves them to the works file. */
export const WORKS_TABLES = ['works', 'works_runs', 'run_touched_works'] as const;

/**
 * The statement that marks works dirty, from `VALUES (?)` or a `SELECT work_id … WHERE …`.
 * Every touch gives the mark a fresh random value, never one it had: a run recomputing the work
 * meanwhile clears the mark only if it is still the one it read (see takeDirtyMark). A counter
 * would restart at 0 once a mark was cleared, and another run's read of that 0 could then clear
 * a touch it never saw.
 */
export function markDirtySql(rows: string): string {
  return `INSERT INTO main.dirty_works (work_id, mark) SELECT touched.*, abs(random() % 9007199254740991) FROM (${rows}) AS touched WHERE true
          ON CONFLICT (work_id) DO UPDATE SET mark = abs(random() % 9007199254740991)`;
}

/** The works file of a state database. */
export function worksDatabaseFile(stateFile: string): string {
  return stateFile === ':memory:' ? ':memory:' : `${stateFile}-works`;
}

/** Steps from one schema version to the next, run in order on an older database. */
/**
 * A database older than this holds works an older merge wrote (work schema 1, without
 * `updates`): once the tables are up to date, every work is marked for the next run to recompute.
 */
export const RECOMPUTE_WORKS_BELOW = 10;

export const MIGRATIONS: Record<number, string> = {
  // v1 kept the skip state per record, not per record and format; it is rebuilt as records
  // are seen again (an unchanged record in the next overlap is written once more).
  1: `DROP TABLE IF EXISTS records; ALTER TABLE harvests ADD COLUMN rejects_offset INTEGER NOT NULL DEFAULT 0;`,
  // v3 adds source records and works (created by SCHEMA); records seen from now on fill them.
  2: ``,
  // v4 adds the probable-duplicate key of records without a DOI.
  3: `CREATE TABLE IF NOT EXISTS source_records (
        source_id TEXT NOT NULL, identifier TEXT NOT NULL, work_id TEXT NOT NULL, deleted INTEGER NOT NULL, record_json TEXT NOT NULL,
        PRIMARY KEY (source_id, identifier)) WITHOUT ROWID;
      ALTER TABLE source_records ADD COLUMN match_key TEXT;`,
  // v5 adds download statistics (created by SCHEMA).
  4: ``,
  // v6 adds the run history per source (created by SCHEMA).
  5: ``,
  // v7 keeps source records and works in rowid tables (SCHEMA recreates their indexes).
  6: `CREATE TABLE IF NOT EXISTS works (work_id TEXT PRIMARY KEY, status TEXT NOT NULL, work_json TEXT NOT NULL, updated_run TEXT NOT NULL) WITHOUT ROWID;
      CREATE TABLE source_records_v7 (
        source_id TEXT NOT NULL, identifier TEXT NOT NULL, work_id TEXT NOT NULL, deleted INTEGER NOT NULL, record_json TEXT NOT NULL,
        match_key TEXT, PRIMARY KEY (source_id, identifier));
      INSERT INTO source_records_v7 SELECT source_id, identifier, work_id, deleted, record_json, match_key FROM source_records;
      DROP TABLE source_records;
      ALTER TABLE source_records_v7 RENAME TO source_records;
      CREATE TABLE works_v7 (work_id TEXT PRIMARY KEY, status TEXT NOT NULL, work_json TEXT NOT NULL, updated_run TEXT NOT NULL);
      INSERT INTO works_v7 SELECT work_id, status, work_json, updated_run FROM works;
      DROP TABLE works;
      ALTER TABLE works_v7 RENAME TO works;`,
  // v8 counts the touches of a dirty work; its works move to a file of their own (openWorksFile).
  7: `CREATE TABLE IF NOT EXISTS dirty_works (work_id TEXT PRIMARY KEY) WITHOUT ROWID;
      ALTER TABLE dirty_works ADD COLUMN mark INTEGER NOT NULL DEFAULT 0;`,
  // v9 notes the works changed since works.jsonl was written (workdb.snapshot_pending, made
  // with the works file); older programs, which would not, must not write to it.
  8: `SELECT 1;`,
  // v10 caches Crossref records and notes file sources' reads (tables created by SCHEMA); its
  // works carry their corrections and retractions (RECOMPUTE_WORKS_BELOW).
  9: `SELECT 1;`,
};
