// Harvest state in SQLite (node:sqlite, built into Node 24: no native build). A page's
// records and its checkpoint are committed in one transaction together with the output
// offset, so after a crash output and state always agree.
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Identify, OaiHeader } from '../oai/types.ts';
import { redactUrl } from '../oai/secrets.ts';
import type { CommonRecord } from '../formats/common-record.ts';

export type HarvestStatus = 'running' | 'complete' | 'abandoned';

export interface HarvestRow {
  harvestId: string;
  sourceId: string;
  listKey: string;
  metadataPrefix: string;
  setSpec: string | null;
  fromArg: string | null;
  untilArg: string | null;
  full: boolean;
  status: HarvestStatus;
  startedAt: string;
  finishedAt: string | null;
  firstResponseDate: string | null;
  token: string | null;
  pages: number;
  records: number;
  deleted: number;
  unchanged: number;
  lastDatestamp: string | null;
  outputFile: string;
  outputOffset: number;
  rejectsOffset: number;
  restarts: number;
  completeListSize: number | null;
  lastError: string | null;
}

export interface PageCheckpoint {
  token: string | null;
  responseDate: string;
  written: number;
  deleted: number;
  unchanged: number;
  lastDatestamp: string | null;
  outputOffset: number;
  rejectsOffset: number;
  completeListSize: number | null;
}

/** A dirty work with what recomputing it needs; `mark` tells whether it was touched again meanwhile. */
export interface DirtyWork {
  workId: string;
  mark: number;
  held: { status: string; workJson: string } | undefined;
  records: { recordJson: string; deleted: boolean }[];
  downloadRows: { metric: string; month: string; count: number }[];
}

/** A stored source record as a common record, with the deleted state its row holds now. */
export function storedRecord(row: { recordJson: string; deleted: boolean }): CommonRecord {
  // Set on the parsed object rather than spread into a copy: a merge reads thousands of these.
  const record = JSON.parse(row.recordJson) as CommonRecord;
  record.deleted = row.deleted;
  return record;
}

/** Which harvest a record is noted for: the skip state is per source, format and record. */
export type HarvestKey = Pick<HarvestRow, 'sourceId' | 'metadataPrefix' | 'harvestId' | 'full'>;

const SCHEMA_VERSION = 9;

const SCHEMA = `
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
const WORKS_SCHEMA = `
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
const NOTE_PENDING_SQL = `INSERT OR REPLACE INTO workdb.snapshot_pending (work_id)
  SELECT ? WHERE EXISTS (SELECT 1 FROM workdb.meta WHERE key = 'pending_since')`;

/** The tables a version 7 database kept in itself; version 8 moves them to the works file. */
const WORKS_TABLES = ['works', 'works_runs', 'run_touched_works'] as const;

/**
 * The statement that marks works dirty, from `VALUES (?)` or a `SELECT work_id … WHERE …`.
 * Every touch gives the mark a fresh random value, never one it had: a run recomputing the work
 * meanwhile clears the mark only if it is still the one it read (see takeDirtyMark). A counter
 * would restart at 0 once a mark was cleared, and another run's read of that 0 could then clear
 * a touch it never saw.
 */
function markDirtySql(rows: string): string {
  return `INSERT INTO main.dirty_works (work_id, mark) SELECT touched.*, abs(random() % 9007199254740991) FROM (${rows}) AS touched WHERE true
          ON CONFLICT (work_id) DO UPDATE SET mark = abs(random() % 9007199254740991)`;
}

/** The works file of a state database. */
export function worksDatabaseFile(stateFile: string): string {
  return stateFile === ':memory:' ? ':memory:' : `${stateFile}-works`;
}

/** Steps from one schema version to the next, run in order on an older database. */
const MIGRATIONS: Record<number, string> = {
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
};

export class StateStore {
  readonly file: string;
  private readonly db: DatabaseSync;
  private readonly upsertRecord: StatementSync;
  private readonly selectRecords: StatementSync;
  private readonly checkpointPage: StatementSync;
  private readonly statements = new Map<string, StatementSync>();

  private constructor(file: string) {
    this.file = file;
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    // The busy timeout is set first: runs starting together wait for each other's pragmas.
    this.db = new DatabaseSync(file, { timeout: 30_000 });
    // WAL: readers (status, reports) never block a harvest. NORMAL is safe here because
    // output is synced before each commit and truncated back to the committed offset.
    // 16 KiB pages hold several records of a few KiB of JSON each; 4 KiB pages held one, half
    // empty. This only takes effect when the database is created.
    this.db.exec('PRAGMA page_size = 16384; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;');
    this.db.prepare('ATTACH DATABASE ? AS workdb').run(worksDatabaseFile(file));
    // 4 KiB: measured at a million records, a run touching 1% of the works took 0.65 s against
    // 0.85–0.92 s with 16 KiB pages; rebuilding all of them is no faster (pages half full).
    // Its WAL is checkpointed at 16 MB, as the database's own (1000 pages of 16 KiB): at 4 MB,
    // rebuilding a million works took a tenth longer.
    this.db.exec('PRAGMA workdb.page_size = 4096; PRAGMA workdb.journal_mode = WAL; PRAGMA workdb.synchronous = NORMAL; PRAGMA workdb.wal_autocheckpoint = 4000;');
    this.db.exec('CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);');
    const version = this.db.prepare(`SELECT value FROM meta WHERE key = 'schema_version'`).get() as { value: string } | undefined;
    if (version && Number(version.value) > SCHEMA_VERSION) {
      throw new Error(`state database ${file} has schema version ${version.value}, newer than this program's ${SCHEMA_VERSION}`);
    }
    // One transaction: a migration stopped half-way leaves the old database as it was.
    this.transaction(() => {
      for (let v = version ? Number(version.value) : SCHEMA_VERSION; v < SCHEMA_VERSION; v++) this.db.exec(MIGRATIONS[v]!);
      this.db.exec(SCHEMA);
      this.db.prepare(`INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)`).run(String(SCHEMA_VERSION));
      this.db.prepare(`INSERT OR IGNORE INTO meta (key, value) VALUES ('store_id', ?)`).run(randomUUID());
    });
    this.openWorksFile();
    // A record is written when it is new or changed; with `full`, once per harvest.
    this.upsertRecord = this.db.prepare(`
      INSERT INTO record_versions (source_id, metadata_prefix, identifier, datestamp, deleted, harvest_id) VALUES (?, ?, ?, ?, ?, ?)
      ON CONFLICT (source_id, metadata_prefix, identifier) DO UPDATE SET
        datestamp = excluded.datestamp, deleted = excluded.deleted, harvest_id = excluded.harvest_id
      WHERE record_versions.datestamp IS NOT excluded.datestamp OR record_versions.deleted IS NOT excluded.deleted
         OR (? AND record_versions.harvest_id IS NOT excluded.harvest_id)`);
    this.selectRecords = this.db.prepare(`
      SELECT identifier, datestamp, deleted, harvest_id FROM record_versions
      WHERE source_id = ? AND metadata_prefix = ? AND identifier IN (SELECT value FROM json_each(?))`);
    this.checkpointPage = this.db.prepare(`
      UPDATE harvests SET token = ?, first_response_date = COALESCE(first_response_date, ?),
        pages = pages + 1, records = records + ?, deleted = deleted + ?, unchanged = unchanged + ?,
        last_datestamp = COALESCE(?, last_datestamp), output_offset = ?, rejects_offset = ?,
        complete_list_size = COALESCE(?, complete_list_size)
      WHERE harvest_id = ?`);
  }

  /** A prepared statement, for the store's other modules (run history, work downloads). */
  statement(sql: string): StatementSync {
    return this.stmt(sql);
  }

  /** Statements are prepared once: several run once per record or per work. */
  private stmt(sql: string): StatementSync {
    let statement = this.statements.get(sql);
    if (!statement) this.statements.set(sql, (statement = this.db.prepare(sql)));
    return statement;
  }

  /**
   * Pairs the works file with this database. Works a version 7 database kept in itself move
   * there; a works file that is missing, or belongs to another state database, is emptied and
   * every work marked for the next run to recompute from the source records.
   */
  private openWorksFile(): void {
    const storeId = String(this.db.prepare(`SELECT value FROM main.meta WHERE key = 'store_id'`).get()!['value']);
    this.transaction(() => this.db.exec(WORKS_SCHEMA));
    const pair = this.db.prepare(`INSERT OR REPLACE INTO workdb.meta (key, value) VALUES ('store_id', ?)`);
    const inMain = this.db.prepare(`SELECT name FROM main.sqlite_schema WHERE type = 'table' AND name IN (${WORKS_TABLES.map((t) => `'${t}'`).join(', ')})`)
      .all().map((r) => String(r['name']));
    // Each file commits on its own, so the order matters: copied first, dropped after; a crash
    // in between leaves the originals to copy again.
    if (inMain.length > 0) {
      this.transaction(() => {
        for (const table of WORKS_TABLES) {
          this.db.exec(`DELETE FROM workdb.${table}`);
          if (inMain.includes(table)) this.db.exec(`INSERT INTO workdb.${table} SELECT * FROM main.${table}`);
        }
        pair.run(storeId);
      });
      this.transaction(() => {
        for (const table of inMain) this.db.exec(`DROP TABLE main.${table}`);
      });
      return;
    }
    if (this.db.prepare(`SELECT value FROM workdb.meta WHERE key = 'store_id'`).get()?.['value'] === storeId) return;
    // Marked before the works file is emptied: a crash in between loses no work.
    this.transaction(() => this.db.exec(markDirtySql('SELECT DISTINCT work_id FROM main.source_records')));
    this.transaction(() => {
      for (const table of WORKS_TABLES) this.db.exec(`DELETE FROM workdb.${table}`);
      // Its changes since works.jsonl are unknown: the next snapshot is written whole.
      this.db.exec(`DELETE FROM workdb.snapshot_pending; DELETE FROM workdb.meta WHERE key = 'pending_since'`);
      pair.run(storeId);
    });
  }

  static open(file: string): StateStore {
    return new StateStore(file);
  }

  close(): void {
    if (this.db.isOpen) this.db.close();
  }

  /** Runs `work` in one transaction; any throw rolls everything back. */
  transaction<T>(work: () => T): T {
    this.db.exec('BEGIN IMMEDIATE');
    try {
      const result = work();
      this.db.exec('COMMIT');
      return result;
    } catch (error) {
      // SQLite rolls back by itself on some failures (a full disk): then there is nothing to undo.
      if (this.db.isTransaction) this.db.exec('ROLLBACK');
      throw error;
    }
  }

  /** The base URL is held as it may be shown: a key in its query never reaches the database. */
  saveIdentify(sourceId: string, baseUrl: string, identify: Identify): void {
    this.stmt(`INSERT OR REPLACE INTO repositories (source_id, base_url, identify_json, identified_at) VALUES (?, ?, ?, ?)`)
      .run(sourceId, redactUrl(baseUrl), JSON.stringify(identify), new Date().toISOString());
  }

  savedIdentify(sourceId: string, baseUrl: string): Identify | undefined {
    const row = this.stmt(`SELECT identify_json FROM repositories WHERE source_id = ? AND base_url = ?`).get(sourceId, redactUrl(baseUrl)) as
      | { identify_json: string }
      | undefined;
    return row ? (JSON.parse(row.identify_json) as Identify) : undefined;
  }

  lastCompleteResponseDate(sourceId: string, listKey: string): string | undefined {
    return this.lastComplete(sourceId, listKey)?.responseDate ?? undefined;
  }

  /** When the list was last harvested whole: by the server's clock, and by ours. */
  lastComplete(sourceId: string, listKey: string): { responseDate: string | null; at: string } | undefined {
    const row = this.stmt(`SELECT last_complete_response_date AS d, last_complete_at AS at FROM lists WHERE source_id = ? AND list_key = ?`)
      .get(sourceId, listKey) as { d: string | null; at: string | null } | undefined;
    return row && (row.d !== null || row.at !== null) ? { responseDate: row.d, at: row.at ?? new Date(0).toISOString() } : undefined;
  }

  runningHarvest(sourceId: string, listKey: string): HarvestRow | undefined {
    const row = this.stmt(`SELECT * FROM harvests WHERE source_id = ? AND list_key = ? AND status = 'running' ORDER BY started_at DESC LIMIT 1`)
      .get(sourceId, listKey);
    return row ? toHarvestRow(row) : undefined;
  }

  harvest(harvestId: string): HarvestRow | undefined {
    const row = this.stmt(`SELECT * FROM harvests WHERE harvest_id = ?`).get(harvestId);
    return row ? toHarvestRow(row) : undefined;
  }

  startHarvest(h: Pick<HarvestRow, 'harvestId' | 'sourceId' | 'listKey' | 'metadataPrefix' | 'setSpec' | 'fromArg' | 'untilArg' | 'full' | 'outputFile'>): HarvestRow {
    this.stmt(`INSERT INTO harvests (harvest_id, source_id, list_key, metadata_prefix, set_spec, from_arg, until_arg, full, status, started_at, output_file)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'running', ?, ?)`)
      .run(h.harvestId, h.sourceId, h.listKey, h.metadataPrefix, h.setSpec, h.fromArg, h.untilArg, h.full ? 1 : 0, new Date().toISOString(), h.outputFile);
    return this.harvest(h.harvestId)!;
  }

  abandonHarvest(harvestId: string, reason: string): void {
    this.stmt(`UPDATE harvests SET status = 'abandoned', finished_at = ?, last_error = ? WHERE harvest_id = ?`).run(new Date().toISOString(), reason, harvestId);
  }

  /**
   * Records the header; true when the record must be written (new, changed, or not yet
   * written by this harvest when `full`). Call inside `transaction`.
   */
  noteRecord(harvest: HarvestKey, header: OaiHeader): boolean {
    const result = this.upsertRecord.run(
      harvest.sourceId, harvest.metadataPrefix, header.identifier, header.datestamp, header.deleted ? 1 : 0, harvest.harvestId,
      harvest.full ? 1 : 0,
    );
    return Number(result.changes) > 0;
  }

  /**
   * Read-only twin of noteRecord for a whole page, in one query: which headers must be
   * written. Lets a page's output be written and synced before the transaction that
   * records it is opened.
   */
  needsWrite(harvest: HarvestKey, headers: readonly OaiHeader[]): boolean[] {
    const { harvestId, full } = harvest;
    const rows = this.selectRecords.all(harvest.sourceId, harvest.metadataPrefix, JSON.stringify(headers.map((h) => h.identifier))) as {
      identifier: string; datestamp: string; deleted: number; harvest_id: string;
    }[];
    const held = new Map(rows.map((r) => [r.identifier, r]));
    return headers.map((header) => {
      const row = held.get(header.identifier);
      if (!row) return true;
      if (row.datestamp !== header.datestamp || (row.deleted === 1) !== header.deleted) return true;
      return full && row.harvest_id !== harvestId;
    });
  }

  checkpoint(harvestId: string, page: PageCheckpoint): void {
    this.checkpointPage.run(
      page.token, page.responseDate, page.written, page.deleted, page.unchanged, page.lastDatestamp,
      page.outputOffset, page.rejectsOffset, page.completeListSize, harvestId,
    );
  }

  /** A refused token: the list starts again from its original from/until. */
  restartHarvest(harvestId: string, reason: string): void {
    this.stmt(`UPDATE harvests SET token = NULL, restarts = restarts + 1, last_error = ? WHERE harvest_id = ?`).run(reason, harvestId);
  }

  noteError(harvestId: string, message: string): void {
    this.stmt(`UPDATE harvests SET last_error = ? WHERE harvest_id = ?`).run(message, harvestId);
  }

  /** The next incremental harvest of the list starts from this harvest's first responseDate. */
  completeHarvest(harvestId: string): void {
    this.transaction(() => {
      const now = new Date().toISOString();
      this.stmt(`UPDATE harvests SET status = 'complete', finished_at = ?, token = NULL, last_error = NULL WHERE harvest_id = ?`).run(now, harvestId);
      const h = this.harvest(harvestId)!;
      this.markListComplete(h.sourceId, h.listKey, h.firstResponseDate, harvestId);
    });
  }

  /** A list harvested whole, as of `responseDate` (the server's clock): incremental runs start there. */
  markListComplete(sourceId: string, listKey: string, responseDate: string | null, harvestId: string): void {
    this.stmt(`INSERT INTO lists (source_id, list_key, last_complete_response_date, last_complete_at, last_harvest_id) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (source_id, list_key) DO UPDATE SET last_complete_response_date = excluded.last_complete_response_date,
                last_complete_at = excluded.last_complete_at, last_harvest_id = excluded.last_harvest_id`)
      .run(sourceId, listKey, responseDate, new Date().toISOString(), harvestId);
  }

  /** Records held for a source, counted once whatever the number of formats. */
  recordCounts(sourceId: string): { live: number; deleted: number } {
    const row = this.stmt(`SELECT COALESCE(SUM(deleted = 0), 0) AS live, COALESCE(SUM(deleted = 1), 0) AS deleted FROM (
                  SELECT identifier, MIN(deleted) AS deleted FROM record_versions WHERE source_id = ? GROUP BY identifier)`)
      .get(sourceId) as { live: number; deleted: number };
    return { live: Number(row.live), deleted: Number(row.deleted) };
  }

  /**
   * Keeps a record's current common record and marks its work (and the work it left, when
   * its DOI changed) for recomputing. A deleted record keeps its work and is marked deleted.
   */
  saveSourceRecord(
    sourceId: string,
    identifier: string,
    deleted: boolean,
    workId: string | null,
    recordJson: string | null,
    matchKey: string | null = null,
  ): void {
    const held = this.stmt(`SELECT work_id, record_json FROM source_records WHERE source_id = ? AND identifier = ?`).get(sourceId, identifier) as
      | { work_id: string; record_json: string }
      | undefined;
    const markDirty = this.stmt(markDirtySql('VALUES (?)'));
    if (deleted || workId === null || recordJson === null) {
      if (!held) return;
      this.stmt(`UPDATE source_records SET deleted = 1 WHERE source_id = ? AND identifier = ?`).run(sourceId, identifier);
      markDirty.run(held.work_id);
      return;
    }
    // An upsert keeps the row where it is: a replace would delete it and insert it anew,
    // rewriting its index entries too.
    this.stmt(`INSERT INTO source_records (source_id, identifier, work_id, deleted, record_json, match_key) VALUES (?, ?, ?, 0, ?, ?)
               ON CONFLICT (source_id, identifier) DO UPDATE SET work_id = excluded.work_id, deleted = 0, record_json = excluded.record_json, match_key = excluded.match_key`)
      .run(sourceId, identifier, workId, recordJson, matchKey);
    markDirty.run(workId);
    if (held && held.work_id !== workId) markDirty.run(held.work_id);
  }

  /** The common records (JSON, deleted ones included) of a work's source records. */
  workRecords(workId: string): { recordJson: string; deleted: boolean }[] {
    return (this.stmt(`SELECT record_json, deleted FROM source_records WHERE work_id = ?`).all(workId) as { record_json: string; deleted: number }[]).map(
      (r) => ({ recordJson: r.record_json, deleted: r.deleted === 1 }),
    );
  }

  /**
   * The next `limit` dirty works with what recomputing them needs, in three queries for the
   * whole batch rather than three per work: the stored work, its records, and its downloads
   * (skipped while the source has no statistics at all).
   */
  dirtyBatch(limit: number): DirtyWork[] {
    // One read transaction: the marks, works, records and downloads are of one moment, however
    // many runs commit meanwhile; and the works are named, not re-selected by each query (a
    // "first N dirty works" re-evaluated later may be another set, leaving a work no records).
    this.db.exec('BEGIN');
    try {
      const marks = this.stmt(`SELECT work_id, mark FROM dirty_works ORDER BY work_id LIMIT ?`).all(limit);
      if (marks.length === 0) return [];
      const batch = new Map(marks.map((r): [string, DirtyWork] => [String(r['work_id']), { workId: String(r['work_id']), mark: Number(r['mark']), held: undefined, records: [], downloadRows: [] }]));
      const ids = JSON.stringify([...batch.keys()]);
      const named = `SELECT value FROM json_each(?)`;
      for (const r of this.stmt(`SELECT work_id, status, work_json FROM workdb.works WHERE work_id IN (${named})`).iterate(ids)) {
        batch.get(String(r['work_id']))!.held = { status: String(r['status']), workJson: String(r['work_json']) };
      }
      for (const r of this.stmt(`SELECT work_id, record_json, deleted FROM source_records WHERE work_id IN (${named})`).iterate(ids)) {
        batch.get(String(r['work_id']))!.records.push({ recordJson: String(r['record_json']), deleted: r['deleted'] === 1 });
      }
      if (this.stmt(`SELECT EXISTS (SELECT 1 FROM downloads) AS any`).get()!['any'] === 1) {
        for (const r of this.stmt(`SELECT s.work_id, d.metric, d.month, d.count FROM downloads d
                                   JOIN source_records s ON s.source_id = d.source_id AND s.identifier = d.identifier
                                   WHERE s.deleted = 0 AND s.work_id IN (${named}) ORDER BY d.metric`).iterate(ids)) {
          batch.get(String(r['work_id']))!.downloadRows.push({ metric: String(r['metric']), month: String(r['month']), count: Number(r['count']) });
        }
      }
      return [...batch.values()];
    } finally {
      this.db.exec('COMMIT');
    }
  }

  work(workId: string): { status: string; workJson: string } | undefined {
    const row = this.stmt(`SELECT status, work_json FROM workdb.works WHERE work_id = ?`).get(workId) as { status: string; work_json: string } | undefined;
    return row ? { status: row.status, workJson: row.work_json } : undefined;
  }

  /** Stores a recomputed work; call inside `transaction`, and clear its dirty mark after it commits. */
  saveWork(workId: string, status: string, workJson: string, runId: string): void {
    this.stmt(`INSERT INTO workdb.works (work_id, status, work_json, updated_run) VALUES (?, ?, ?, ?)
               ON CONFLICT (work_id) DO UPDATE SET status = excluded.status, work_json = excluded.work_json, updated_run = excluded.updated_run`).run(workId, status, workJson, runId);
    this.stmt(NOTE_PENDING_SQL).run(workId);
  }

  /**
   * Clears a recomputed work's mark if it is still the one read, inside the transaction that
   * saves the result: true when it was, and the result may be saved. A work touched again
   * since (another mark) or recomputed by another run from newer records (no mark) keeps
   * what that run does.
   */
  takeDirtyMark(workId: string, mark: number): boolean {
    return Number(this.stmt(`DELETE FROM dirty_works WHERE work_id = ? AND mark = ?`).run(workId, mark).changes) > 0;
  }

  /** Notes, once per run, a work's status before the run first recomputed it. */
  noteTouchedWork(runId: string, workId: string, before: string): void {
    this.stmt(`INSERT OR IGNORE INTO workdb.run_touched_works (run_id, work_id, before) VALUES (?, ?, ?)`).run(runId, workId, before);
  }

  /** The works a run recomputed: their status before it, and now (null: the work is gone). */
  *touchedWorks(runId: string): Generator<{ workId: string; before: string; status: string | null; workJson: string | null; updatedRun: string | null }> {
    for (const r of this.stmt(`SELECT t.work_id, t.before, w.status, w.work_json, w.updated_run FROM workdb.run_touched_works t
                               LEFT JOIN workdb.works w ON w.work_id = t.work_id WHERE t.run_id = ? ORDER BY t.work_id`).iterate(runId)) {
      yield {
        workId: String(r['work_id']), before: String(r['before']), status: (r['status'] as string | null) ?? null,
        workJson: (r['work_json'] as string | null) ?? null, updatedRun: (r['updated_run'] as string | null) ?? null,
      };
    }
  }

  /** Ends a run's record of touched works. */
  forgetTouchedWorks(runId: string): void {
    this.transaction(() => {
      this.stmt(`DELETE FROM workdb.run_touched_works WHERE run_id = ?`).run(runId);
      this.stmt(`DELETE FROM workdb.works_runs WHERE run_id = ?`).run(runId);
    });
  }

  registerWorksRun(runId: string, pid: number, host: string): void {
    this.stmt(`INSERT OR REPLACE INTO workdb.works_runs (run_id, pid, host) VALUES (?, ?, ?)`).run(runId, pid, host);
  }

  /**
   * The works recomputed by runs that died (kill -9) before writing their change file become
   * this run's, so their changes are reported once, by the next run to finish.
   */
  adoptTouchedWorks(runId: string, isGone: (pid: number, host: string) => boolean): number {
    const dead = (this.stmt(`SELECT run_id, pid, host FROM workdb.works_runs WHERE run_id <> ?`).all(runId))
      .filter((r) => isGone(Number(r['pid']), String(r['host'])))
      .map((r) => String(r['run_id']));
    let adopted = 0;
    this.transaction(() => {
      for (const id of dead) {
        // Where both touched a work, the dead run saw it first: its status before is the one to keep.
        this.stmt(`DELETE FROM workdb.run_touched_works WHERE run_id = ? AND work_id IN (SELECT work_id FROM workdb.run_touched_works WHERE run_id = ?)`).run(runId, id);
        // What the dead run rewrote counts as rewritten by this one: its change file reports it.
        this.stmt(`UPDATE workdb.works SET updated_run = ? WHERE updated_run = ? AND work_id IN (SELECT work_id FROM workdb.run_touched_works WHERE run_id = ?)`).run(runId, id, id);
        adopted += Number(this.stmt(`UPDATE workdb.run_touched_works SET run_id = ? WHERE run_id = ?`).run(runId, id).changes);
        this.stmt(`DELETE FROM workdb.works_runs WHERE run_id = ?`).run(id);
      }
    });
    return adopted;
  }

  /** A work with no source records left (its only record moved to another DOI) disappears; inside `transaction`. */
  dropWork(workId: string): void {
    this.stmt(`DELETE FROM workdb.works WHERE work_id = ?`).run(workId);
    this.stmt(NOTE_PENDING_SQL).run(workId);
  }

  /**
   * Starts a snapshot for `run`: from here on every change is noted for the next one, and the
   * changes up to the mark returned are this one's to take in (a change committed after it is
   * noted, whether or not the file ends up holding it).
   */
  beginSnapshot(run: string): number {
    return this.transaction(() => {
      this.stmt(`INSERT OR REPLACE INTO workdb.meta (key, value) VALUES ('pending_since', ?)`).run(run);
      return Number(this.stmt(`SELECT COALESCE(MAX(seq), 0) AS mark FROM workdb.snapshot_pending`).get()!['mark']);
    });
  }

  snapshotPendingCount(upTo: number): number {
    return Number(this.stmt(`SELECT COUNT(*) AS n FROM workdb.snapshot_pending WHERE seq <= ?`).get(upTo)!['n']);
  }

  /** The works changed up to `upTo`, in id order as works.jsonl is, with their JSON now (null: gone). */
  *snapshotPendingWorks(upTo: number): Generator<{ workId: string; workJson: string | null }> {
    for (const r of this.stmt(`SELECT p.work_id, w.work_json FROM workdb.snapshot_pending p LEFT JOIN workdb.works w ON w.work_id = p.work_id
                               WHERE p.seq <= ? ORDER BY p.work_id`).iterate(upTo)) {
      yield { workId: String(r['work_id']), workJson: (r['work_json'] as string | null) ?? null };
    }
  }

  /** Once a works.jsonl holding every change up to `upTo` is in place: those are forgotten. */
  snapshotWritten(upTo: number): void {
    this.stmt(`DELETE FROM workdb.snapshot_pending WHERE seq <= ?`).run(upTo);
  }

  /** The snapshot whose later changes snapshot_pending holds; none for a works file that never saw one written. */
  snapshotPendingSince(): string | undefined {
    const row = this.stmt(`SELECT value FROM workdb.meta WHERE key = 'pending_since'`).get();
    return row ? String(row['value']) : undefined;
  }

  /** Live records without a DOI that share a probable-duplicate key with another, grouped. */
  *probableDuplicates(): Generator<{ key: string; records: { recordJson: string; workId: string }[] }> {
    const keys = this.stmt(`SELECT match_key FROM source_records WHERE deleted = 0 AND match_key IS NOT NULL
                                  GROUP BY match_key HAVING COUNT(*) > 1 ORDER BY match_key`);
    const members = this.stmt(`SELECT record_json, work_id FROM source_records WHERE match_key = ? AND deleted = 0 ORDER BY source_id, identifier`);
    for (const row of keys.iterate()) {
      const key = (row as { match_key: string }).match_key;
      const records = (members.all(key) as { record_json: string; work_id: string }[]).map((r) => ({ recordJson: r.record_json, workId: r.work_id }));
      yield { key, records };
    }
  }

  fetchedStatsMonths(sourceId: string): Set<string> {
    const rows = this.stmt(`SELECT month FROM stats_months WHERE source_id = ? AND outcome = 'ok'`).all(sourceId) as { month: string }[];
    return new Set(rows.map((r) => r.month));
  }

  /**
   * Replaces a source's counts for one month and metric family in one transaction, marks the
   * works of the items whose counts changed, and records the month as fetched.
   */
  saveMonthDownloads(sourceId: string, month: string, metrics: readonly string[], rows: readonly { identifier: string; metric: string; count: number }[], outcome: string): void {
    this.transaction(() => {
      const before = new Map<string, number>();
      const placeholders = metrics.map(() => '?').join(', ');
      for (const r of this.stmt(`SELECT identifier, metric, count FROM downloads WHERE source_id = ? AND month = ? AND metric IN (${placeholders})`)
        .all(sourceId, month, ...metrics) as { identifier: string; metric: string; count: number }[]) {
        before.set(`${r.identifier}\u0000${r.metric}`, r.count);
      }
      this.stmt(`DELETE FROM downloads WHERE source_id = ? AND month = ? AND metric IN (${placeholders})`).run(sourceId, month, ...metrics);
      const insert = this.stmt(`INSERT OR REPLACE INTO downloads (source_id, identifier, month, metric, count) VALUES (?, ?, ?, ?, ?)`);
      const changed = new Set<string>();
      for (const r of rows) {
        insert.run(sourceId, r.identifier, month, r.metric, r.count);
        const key = `${r.identifier}\u0000${r.metric}`;
        if (before.get(key) !== r.count) changed.add(r.identifier);
        before.delete(key);
      }
      for (const key of before.keys()) changed.add(key.split('\u0000')[0]!);
      const mark = this.stmt(markDirtySql('SELECT work_id FROM source_records WHERE source_id = ? AND identifier = ?'));
      for (const identifier of changed) mark.run(sourceId, identifier);
      this.stmt(`INSERT OR REPLACE INTO stats_months (source_id, month, fetched_at, outcome) VALUES (?, ?, ?, ?)`).run(sourceId, month, new Date().toISOString(), outcome);
    });
  }

  /** A month the server could not give yet (try later) is remembered as not fetched. */
  noteStatsMonth(sourceId: string, month: string, outcome: string): void {
    this.stmt(`INSERT OR REPLACE INTO stats_months (source_id, month, fetched_at, outcome) VALUES (?, ?, ?, ?)`).run(sourceId, month, new Date().toISOString(), outcome);
  }

  /** Source records of a source, by identifier and by DOI, to match statistics items to. */
  sourceIdentifiers(sourceId: string): { identifier: string; workId: string }[] {
    return this.stmt(`SELECT identifier, work_id AS workId FROM source_records WHERE source_id = ?`).all(sourceId) as { identifier: string; workId: string }[];
  }

  /** Every download row with its record's work, for stats/downloads.jsonl. */
  *allDownloads(): Generator<{ sourceId: string; identifier: string; month: string; metric: string; count: number; workId: string | null }> {
    for (const row of this.stmt(`SELECT d.source_id AS sourceId, d.identifier, d.month, d.metric, d.count, s.work_id AS workId FROM downloads d
                LEFT JOIN source_records s ON s.source_id = d.source_id AND s.identifier = d.identifier
                ORDER BY d.source_id, d.identifier, d.month, d.metric`)
      .iterate()) {
      yield row as { sourceId: string; identifier: string; month: string; metric: string; count: number; workId: string | null };
    }
  }

  workCount(): number {
    return Number((this.stmt(`SELECT COUNT(*) AS n FROM workdb.works`).get() as { n: number }).n);
  }

  /** Every work, in id order, one at a time: the snapshot never holds them all in memory. */
  *allWorks(): Generator<string> {
    for (const row of this.stmt(`SELECT work_json FROM workdb.works ORDER BY work_id`).iterate()) yield (row as { work_json: string }).work_json;
  }

  /** Keeps one format's normalised fields of a record, for merging with its other formats. */
  saveFormatFields(sourceId: string, identifier: string, format: string, datestamp: string, fieldsJson: string): void {
    this.stmt(`INSERT OR REPLACE INTO format_fields (source_id, identifier, format, datestamp, fields_json) VALUES (?, ?, ?, ?, ?)`)
      .run(sourceId, identifier, format, datestamp, fieldsJson);
  }

  formatFields(sourceId: string, identifier: string): { format: string; fieldsJson: string }[] {
    return (
      this.stmt(`SELECT format, fields_json FROM format_fields WHERE source_id = ? AND identifier = ?`).all(sourceId, identifier) as {
        format: string;
        fields_json: string;
      }[]
    ).map((r) => ({ format: r.format, fieldsJson: r.fields_json }));
  }

  /** Per identifier, the datestamp its fields in one format were held at (absent: none held). One query per page. */
  heldFormatDatestamps(sourceId: string, format: string, identifiers: readonly string[]): Map<string, string> {
    const held = new Map<string, string>();
    for (let i = 0; i < identifiers.length; i += 500) {
      const chunk = identifiers.slice(i, i + 500);
      const rows = this.db
        .prepare(`SELECT identifier, datestamp FROM format_fields WHERE source_id = ? AND format = ? AND identifier IN (${chunk.map(() => '?').join(',')})`)
        .all(sourceId, format, ...chunk) as { identifier: string; datestamp: string }[];
      for (const r of rows) held.set(r.identifier, r.datestamp);
    }
    return held;
  }

  /** A deleted record has no formats left to merge. */
  dropFormatFields(sourceId: string, identifier: string): void {
    this.stmt(`DELETE FROM format_fields WHERE source_id = ? AND identifier = ?`).run(sourceId, identifier);
  }
}

function toHarvestRow(r: Record<string, unknown>): HarvestRow {
  const s = (v: unknown) => (v === null || v === undefined ? null : String(v));
  return {
    harvestId: String(r['harvest_id']),
    sourceId: String(r['source_id']),
    listKey: String(r['list_key']),
    metadataPrefix: String(r['metadata_prefix']),
    setSpec: s(r['set_spec']),
    fromArg: s(r['from_arg']),
    untilArg: s(r['until_arg']),
    full: Number(r['full']) === 1,
    status: String(r['status']) as HarvestStatus,
    startedAt: String(r['started_at']),
    finishedAt: s(r['finished_at']),
    firstResponseDate: s(r['first_response_date']),
    token: s(r['token']),
    pages: Number(r['pages']),
    records: Number(r['records']),
    deleted: Number(r['deleted']),
    unchanged: Number(r['unchanged']),
    lastDatestamp: s(r['last_datestamp']),
    outputFile: String(r['output_file']),
    outputOffset: Number(r['output_offset']),
    rejectsOffset: Number(r['rejects_offset']),
    restarts: Number(r['restarts']),
    completeListSize: r['complete_list_size'] === null ? null : Number(r['complete_list_size']),
    lastError: s(r['last_error']),
  };
}
