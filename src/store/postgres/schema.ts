// The PostgreSQL state's tables, and the steps that bring an older database to them: the
// tables of ../schema.ts but the source records' and works' (./works-schema.ts), all in one
// database, whose version is in `meta` as SQLite's is.
//
// Key columns are COLLATE "C", as in ./works-schema.ts: rows are ordered by their bytes, as
// SQLite orders them, whatever the database's default collation. BIGINT for counts and
// offsets, which pass 2^31 (output offsets of large sources); BOOLEAN for flags.
import { WORKS_SCHEMA_SQL } from './works-schema.ts';

export const PG_SCHEMA_VERSION = 1;

const STATE_SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS meta (key TEXT COLLATE "C" PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS repositories (
  source_id TEXT COLLATE "C" PRIMARY KEY, base_url TEXT NOT NULL, identify_json TEXT NOT NULL, identified_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS lists (
  source_id TEXT COLLATE "C" NOT NULL, list_key TEXT COLLATE "C" NOT NULL,
  last_complete_response_date TEXT, last_complete_at TEXT, last_harvest_id TEXT,
  PRIMARY KEY (source_id, list_key)
);
CREATE TABLE IF NOT EXISTS harvests (
  harvest_id TEXT COLLATE "C" PRIMARY KEY, source_id TEXT COLLATE "C" NOT NULL, list_key TEXT COLLATE "C" NOT NULL,
  metadata_prefix TEXT NOT NULL, set_spec TEXT, from_arg TEXT, until_arg TEXT, "full" BOOLEAN NOT NULL,
  status TEXT NOT NULL, started_at TEXT COLLATE "C" NOT NULL, finished_at TEXT,
  first_response_date TEXT, token TEXT,
  pages BIGINT NOT NULL DEFAULT 0, records BIGINT NOT NULL DEFAULT 0, deleted BIGINT NOT NULL DEFAULT 0,
  unchanged BIGINT NOT NULL DEFAULT 0, last_datestamp TEXT,
  output_file TEXT NOT NULL, output_offset BIGINT NOT NULL DEFAULT 0, rejects_offset BIGINT NOT NULL DEFAULT 0,
  restarts BIGINT NOT NULL DEFAULT 0, complete_list_size BIGINT, last_error TEXT
);
CREATE INDEX IF NOT EXISTS harvests_running ON harvests (source_id, list_key, status);
CREATE TABLE IF NOT EXISTS record_versions (
  source_id TEXT COLLATE "C" NOT NULL, metadata_prefix TEXT COLLATE "C" NOT NULL, identifier TEXT COLLATE "C" NOT NULL,
  datestamp TEXT NOT NULL, deleted BOOLEAN NOT NULL, harvest_id TEXT NOT NULL,
  PRIMARY KEY (source_id, metadata_prefix, identifier)
);
-- A partitioned harvest of one list: its datestamp windows, each harvested as a list of its own.
CREATE TABLE IF NOT EXISTS partition_plans (
  source_id TEXT COLLATE "C" NOT NULL, list_key TEXT COLLATE "C" NOT NULL, plan_id TEXT COLLATE "C" NOT NULL,
  "full" BOOLEAN NOT NULL, windows_json TEXT NOT NULL, status TEXT NOT NULL, created_at TEXT COLLATE "C" NOT NULL,
  PRIMARY KEY (source_id, list_key, plan_id)
);
-- Download counts per source record, month and metric (irstats2:downloads, COUNTER metrics).
CREATE TABLE IF NOT EXISTS downloads (
  source_id TEXT COLLATE "C" NOT NULL, identifier TEXT COLLATE "C" NOT NULL, month TEXT COLLATE "C" NOT NULL, metric TEXT COLLATE "C" NOT NULL,
  count BIGINT NOT NULL,
  PRIMARY KEY (source_id, identifier, month, metric)
);
-- Months of statistics fetched per source; a month is fetched again only while it may still change.
CREATE TABLE IF NOT EXISTS stats_months (
  source_id TEXT COLLATE "C" NOT NULL, month TEXT COLLATE "C" NOT NULL, fetched_at TEXT NOT NULL, outcome TEXT NOT NULL,
  PRIMARY KEY (source_id, month)
);
-- One row per source and run: what status reports (last success, last failure, failures in a row).
CREATE TABLE IF NOT EXISTS source_runs (
  source_id TEXT COLLATE "C" NOT NULL, run_id TEXT COLLATE "C" NOT NULL, started_at TEXT NOT NULL, finished_at TEXT COLLATE "C" NOT NULL,
  status TEXT NOT NULL, error_json TEXT, records BIGINT NOT NULL, deleted BIGINT NOT NULL,
  PRIMARY KEY (source_id, finished_at, run_id)
);
-- Crossref's record of each DOI a work has: found (its JSON), missing (not a Crossref DOI), or
-- pending (wanted, not fetched yet: a run that could not ask leaves it for the next).
CREATE TABLE IF NOT EXISTS crossref_works (
  doi TEXT COLLATE "C" PRIMARY KEY, status TEXT COLLATE "C" NOT NULL, work_json TEXT, checked_at TEXT COLLATE "C"
);
CREATE INDEX IF NOT EXISTS crossref_works_due ON crossref_works (status, checked_at);
-- The last read of each file source (BibTeX): it is read again only when its content changed.
CREATE TABLE IF NOT EXISTS file_reads (
  source_id TEXT COLLATE "C" PRIMARY KEY, path TEXT NOT NULL, sha256 TEXT NOT NULL, entries BIGINT NOT NULL, read_at TEXT NOT NULL
);
-- Who holds each source's lock (a session advisory lock, which dies with its connection): for
-- the message of a run that finds the source taken, and for status. A row whose lock is free is
-- a holder that died.
CREATE TABLE IF NOT EXISTS source_locks (
  source_id TEXT COLLATE "C" PRIMARY KEY, pid INTEGER NOT NULL, host TEXT NOT NULL, since TEXT NOT NULL, token TEXT NOT NULL
);
`;

/** Version 1, made in an empty database; later versions are reached from it by PG_MIGRATIONS. */
export const PG_SCHEMA_V1_SQL = `${STATE_SCHEMA_SQL}${WORKS_SCHEMA_SQL}`;

/** Steps from one schema version to the next, run in order: `PG_MIGRATIONS[v]` brings version v to v + 1. */
export const PG_MIGRATIONS: Record<number, string> = {};
