// The harvest state in PostgreSQL: the same nine table families as the SQLite store, over one
// connection, for a fleet of workers on several machines sharing one database. A page's
// records and checkpoint are committed in one transaction, as with SQLite.
import { randomUUID } from 'node:crypto';
import type { CrossrefCache } from '../crossref-cache.ts';
import type { DownloadStore } from '../downloads.ts';
import { StoreVersionError } from '../errors.ts';
import type { FileReads } from '../file-reads.ts';
import type { HarvestLog } from '../harvest-log.ts';
import type { PartitionPlans } from '../partition-plans.ts';
import type { RunHistory } from '../run-history.ts';
import type { SnapshotLog } from '../snapshot-log.ts';
import type { SourceRecords } from '../source-records.ts';
import type { PageCommit, StateStore } from '../state.ts';
import type { WorkStore } from '../works.ts';
import { PgConnection } from './connection.ts';
import { PgCrossrefCache } from './crossref-cache.ts';
import { PgDownloadStore } from './downloads.ts';
import { PgFileReads } from './file-reads.ts';
import { PgHarvestLog } from './harvest-log.ts';
import { PgPartitionPlans } from './partition-plans.ts';
import { PgRunHistory } from './run-history.ts';
import { PG_MIGRATIONS, PG_SCHEMA_V1_SQL, PG_SCHEMA_VERSION } from './schema.ts';
import { PgSnapshotLog } from './snapshot-log.ts';
import { PgSourceRecords } from './source-records.ts';
import { PgWorkStore } from './works.ts';
import type { LockHolder, LockResult } from '../source-lock.ts';
import { lockHolder, lockSource } from './source-lock.ts';
import { jobCounts, type JobCounts } from './job-queue.ts';

/** The advisory lock its openers take turns on to migrate a database (any fixed number; the table locks use the two-key form). */
const SCHEMA_LOCK = 7_310_526_281;
/** A deadlock aborts one of the transactions in it; a page commit only writes the database, so it can simply be made again. */
const DEADLOCK = '40P01';
const PAGE_ATTEMPTS = 3;

export class PgStateStore implements StateStore {
  readonly file: string;
  readonly harvests: HarvestLog;
  readonly plans: PartitionPlans;
  readonly records: SourceRecords;
  readonly works: WorkStore;
  readonly snapshots: SnapshotLog;
  readonly downloads: DownloadStore;
  readonly runs: RunHistory;
  readonly crossref: CrossrefCache;
  readonly files: FileReads;
  private readonly db: PgConnection;
  private readonly log: PgHarvestLog;

  constructor(url: string) {
    this.db = new PgConnection(url);
    this.file = this.db.location;
    try {
      migrate(this.db);
    } catch (error) {
      this.db.close();
      throw error;
    }
    this.harvests = this.log = new PgHarvestLog(this.db);
    this.plans = new PgPartitionPlans(this.db, this.harvests);
    this.records = new PgSourceRecords(this.db);
    this.works = new PgWorkStore(this.db);
    this.snapshots = new PgSnapshotLog(this.db);
    this.downloads = new PgDownloadStore(this.db);
    this.runs = new PgRunHistory(this.db);
    this.crossref = new PgCrossrefCache(this.db);
    this.files = new PgFileReads(this.db);
  }

  transaction<T>(work: () => T): T {
    return this.db.transaction(work);
  }

  commitPage(page: PageCommit): void {
    for (let attempt = 1; ; attempt++) {
      try {
        return this.db.transaction(() => this.writePage(page));
      } catch (error) {
        if ((error as { sqlState?: string }).sqlState !== DEADLOCK || attempt === PAGE_ATTEMPTS) throw error;
      }
    }
  }

  /** In the database, not the output folder: workers on several machines share the state, not always one folder. */
  lockSource(sourceId: string): LockResult {
    return lockSource(this.db, sourceId);
  }

  lockHolder(sourceId: string): LockHolder | undefined {
    return lockHolder(this.db, sourceId);
  }

  jobCounts(queue: string): Map<string, JobCounts> {
    return jobCounts(this.db, queue);
  }

  close(): void {
    this.db.close();
  }

  /** As SqliteStateStore's, but the headers are noted in one statement. */
  private writePage(page: PageCommit): void {
    this.log.noteRecords(page.recordKey, page.headers);
    for (const dropped of page.droppedFormats) this.records.dropFormatFields(dropped.sourceId, dropped.identifier);
    for (const fields of page.formatFields) this.records.saveFormatFields(fields);
    this.records.save(page.records);
    this.harvests.checkpoint(page.harvestId, page.checkpoint);
  }
}

/**
 * Brings the database to this program's schema in one transaction, so a migration stopped
 * half-way leaves the database as it was. Workers opening one database at once take turns
 * under an advisory lock: the first migrates, the others find it done.
 */
function migrate(db: PgConnection): void {
  const seen = schemaVersion(db);
  if (seen > PG_SCHEMA_VERSION) throw new StoreVersionError(db.location, seen, PG_SCHEMA_VERSION);
  if (seen === PG_SCHEMA_VERSION) return;
  db.transaction(() => {
    db.query('SELECT pg_advisory_xact_lock($1)', [SCHEMA_LOCK]);
    const found = schemaVersion(db);
    if (found > PG_SCHEMA_VERSION) throw new StoreVersionError(db.location, found, PG_SCHEMA_VERSION);
    if (found === 0) db.run(PG_SCHEMA_V1_SQL);
    for (let v = Math.max(found, 1); v < PG_SCHEMA_VERSION; v++) db.run(PG_MIGRATIONS[v]!);
    db.run(`INSERT INTO meta (key, value) VALUES ('schema_version', $1) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, [String(PG_SCHEMA_VERSION)]);
    db.run(`INSERT INTO meta (key, value) VALUES ('store_id', $1) ON CONFLICT (key) DO NOTHING`, [randomUUID()]);
  });
}

/** The database's schema version; 0 for a database the store never opened. */
function schemaVersion(db: PgConnection): number {
  const [meta] = db.query(`SELECT to_regclass('meta') IS NOT NULL AS present`);
  if (meta?.['present'] !== true) return 0;
  const [row] = db.query(`SELECT value FROM meta WHERE key = 'schema_version'`);
  return row ? Number(row['value']) : 0;
}
