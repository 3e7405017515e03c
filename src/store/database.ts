// The SQLite connection behind the store (node:sqlite, built into Node 24: no native build):
// opening and migrating the two files, prepared statements, transactions. Only the store's
// table modules use it; nothing outside src/store/ writes SQL.
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { markDirtySql, MIGRATIONS, RECOMPUTE_WORKS_BELOW, SCHEMA, SCHEMA_VERSION, WORKS_SCHEMA, WORKS_TABLES, worksDatabaseFile } from './schema.ts';
import { StoreVersionError } from './errors.ts';

const BUSY_WAIT_MS = 30_000;
const SQLITE_BUSY = 5;

/** The page size of a new state database (the works file's is 4 KiB too). */
const STATE_PAGE_BYTES = 4096;

/**
 * Runs `work`, again while SQLite answers "database is locked". Setting the journal mode takes
 * the database's exclusive lock without calling the busy handler, so ten runs opening a new
 * database at once failed now and then without this (twice in about ninety rounds of the
 * many-writers test).
 */
function whileBusy(work: () => void): void {
  const started = Date.now();
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    try {
      return work();
    } catch (error) {
      if ((error as { errcode?: number }).errcode !== SQLITE_BUSY || Date.now() - started > BUSY_WAIT_MS) throw error;
      Atomics.wait(pause, 0, 0, 20 + Math.random() * 30);
    }
  }
}

export class SqliteDatabase {
  readonly file: string;
  private readonly db: DatabaseSync;
  private readonly statements = new Map<string, StatementSync>();

  constructor(file: string) {
    this.file = file;
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    // The busy timeout is set first: runs starting together wait for each other's pragmas.
    this.db = new DatabaseSync(file, { timeout: 30_000 });
    // WAL: readers (status, reports) never block a harvest. NORMAL is safe here because
    // output is synced before each commit and truncated back to the committed offset.
    // 4 KiB pages: records come in no order (random identifiers and DOIs), so every page's
    // commit writes each index leaf it touched whole; at 200,000 records the files took 12.9 GB
    // of writes against 19.3 GB with 16 KiB pages (15.2 GB with 8 KiB), and the run 87 s of CPU
    // against 102 s (three pairs of runs). The cost is disk: records of a few KiB fill
    // small pages less well, a state file of 688 MB against 475 MB. This only takes effect
    // when the database is created; an older one keeps its pages (VACUUM changes them).
    whileBusy(() => this.db.exec(`PRAGMA page_size = ${STATE_PAGE_BYTES}; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;`));
    this.db.prepare('ATTACH DATABASE ? AS workdb').run(worksDatabaseFile(file));
    // 4 KiB: measured at a million records, a run touching 1% of the works took 0.65 s against
    // 0.85–0.92 s with 16 KiB pages; rebuilding all of them is no faster (pages half full).
    // Its WAL is checkpointed at 16 MB, as the database's own (1000 pages of 16 KiB): at 4 MB,
    // rebuilding a million works took a tenth longer.
    whileBusy(() => this.db.exec('PRAGMA workdb.page_size = 4096; PRAGMA workdb.journal_mode = WAL; PRAGMA workdb.synchronous = NORMAL; PRAGMA workdb.wal_autocheckpoint = 4000;'));
    this.migrate();
    this.openWorksFile();
  }

  /** A prepared statement; each is prepared once, as several run once per record or per work. */
  statement(sql: string): StatementSync {
    let statement = this.statements.get(sql);
    if (!statement) this.statements.set(sql, (statement = this.db.prepare(sql)));
    return statement;
  }

  /** Runs `work` in one write transaction; any throw rolls everything back. */
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

  /** Runs `read` in one read transaction: what it reads is of one moment, whatever commits meanwhile. */
  snapshot<T>(read: () => T): T {
    this.db.exec('BEGIN');
    try {
      return read();
    } finally {
      this.db.exec('COMMIT');
    }
  }

  close(): void {
    if (this.db.isOpen) this.db.close();
  }

  private migrate(): void {
    this.db.exec('CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);');
    const version = this.db.prepare(`SELECT value FROM meta WHERE key = 'schema_version'`).get() as { value: string } | undefined;
    if (version && Number(version.value) > SCHEMA_VERSION) throw new StoreVersionError(this.file, Number(version.value), SCHEMA_VERSION);
    // One transaction: a migration stopped half-way leaves the old database as it was.
    this.transaction(() => {
      const from = version ? Number(version.value) : SCHEMA_VERSION;
      for (let v = from; v < SCHEMA_VERSION; v++) this.db.exec(MIGRATIONS[v]!);
      this.db.exec(SCHEMA);
      if (from < RECOMPUTE_WORKS_BELOW) this.db.exec(markDirtySql('SELECT DISTINCT work_id FROM main.source_records'));
      this.db.prepare(`INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)`).run(String(SCHEMA_VERSION));
      this.db.prepare(`INSERT OR IGNORE INTO meta (key, value) VALUES ('store_id', ?)`).run(randomUUID());
    });
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
    if (inMain.length > 0) return this.moveWorksTables(inMain, () => pair.run(storeId));
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

  /** Each file commits on its own, so the order matters: copied first, dropped after; a crash in between leaves the originals to copy again. */
  private moveWorksTables(inMain: readonly string[], pair: () => void): void {
    this.transaction(() => {
      for (const table of WORKS_TABLES) {
        this.db.exec(`DELETE FROM workdb.${table}`);
        if (inMain.includes(table)) this.db.exec(`INSERT INTO workdb.${table} SELECT * FROM main.${table}`);
      }
      pair();
    });
    this.transaction(() => {
      for (const table of inMain) this.db.exec(`DROP TABLE main.${table}`);
    });
  }
}
