// Harvest state: one store over the state database, split by what it stores. Each table family
// has one module, the one way to its tables, behind an interface a second backend implements.
// A page's records and its checkpoint are committed in one transaction together with the
// output offsets, so after a crash output and state always agree.
import type { OaiHeader } from '../oai/types.ts';
import { SqliteCrossrefCache, type CrossrefCache } from './crossref-cache.ts';
import { SqliteDatabase } from './database.ts';
import { SqliteDownloadStore, type DownloadStore } from './downloads.ts';
import { SqliteFileReads, type FileReads } from './file-reads.ts';
import { SqliteHarvestLog, type HarvestKey, type HarvestLog, type PageCheckpoint } from './harvest-log.ts';
import { SqlitePartitionPlans, type PartitionPlans } from './partition-plans.ts';
import { isPostgresUrl } from '../config/state-location.ts';
import { PgStateStore } from './postgres/state.ts';
import { SqliteRunHistory, type RunHistory } from './run-history.ts';
import { SqliteSnapshotLog, type SnapshotLog } from './snapshot-log.ts';
import { SqliteSourceRecords, type FormatFieldsRow, type SourceRecordRow, type SourceRecords } from './source-records.ts';
import { SqliteWorkStore, type WorkStore } from './works.ts';
import type { JobCounts } from './postgres/job-queue.ts';
import { acquireLock, currentHolder, sourceLockFile, type LockHolder, type LockResult } from './source-lock.ts';

/** What one page leaves in the state, committed at once. */
export interface PageCommit {
  harvestId: string;
  /** Which harvest the records are noted under (a partitioned harvest's windows share one). */
  recordKey: HarvestKey;
  /** The page's headers to note, each record's newest version once. */
  headers: readonly OaiHeader[];
  formatFields: readonly FormatFieldsRow[];
  /** Records deleted on the page: their formats are dropped. */
  droppedFormats: readonly { sourceId: string; identifier: string }[];
  records: readonly SourceRecordRow[];
  checkpoint: PageCheckpoint;
}

export interface StateStore {
  /** Where the state lives: a file path for SQLite, the database's URL (password masked) for PostgreSQL. */
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
  /** Runs `work` in one transaction; any throw rolls everything back. */
  transaction<T>(work: () => T): T;
  /** Commits a page's records, formats and checkpoint in one transaction. */
  commitPage(page: PageCommit): void;
  /**
   * Takes a source's lock for a run, or says who holds it: one run per source at a time among
   * those sharing this state (SQLite: a lock file in the output folder; PostgreSQL: the database).
   */
  lockSource(sourceId: string, outDir: string): LockResult;
  /** Who holds a source's lock now, if a live run does. */
  lockHolder(sourceId: string, outDir: string): LockHolder | undefined;
  /** A fleet queue's jobs per source, kept in a PostgreSQL state's database; undefined for SQLite, which has no fleet. */
  jobCounts(queue: string): Map<string, JobCounts> | undefined;
  close(): void;
}

class SqliteStateStore implements StateStore {
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
  private readonly db: SqliteDatabase;

  constructor(file: string) {
    this.file = file;
    this.db = new SqliteDatabase(file);
    this.harvests = new SqliteHarvestLog(this.db);
    this.plans = new SqlitePartitionPlans(this.db, this.harvests);
    this.records = new SqliteSourceRecords(this.db);
    this.works = new SqliteWorkStore(this.db);
    this.snapshots = new SqliteSnapshotLog(this.db);
    this.downloads = new SqliteDownloadStore(this.db);
    this.runs = new SqliteRunHistory(this.db);
    this.crossref = new SqliteCrossrefCache(this.db);
    this.files = new SqliteFileReads(this.db);
  }

  transaction<T>(work: () => T): T {
    return this.db.transaction(work);
  }

  commitPage(page: PageCommit): void {
    this.db.transaction(() => {
      for (const header of page.headers) this.harvests.noteRecord(page.recordKey, header);
      for (const dropped of page.droppedFormats) this.records.dropFormatFields(dropped.sourceId, dropped.identifier);
      for (const fields of page.formatFields) this.records.saveFormatFields(fields);
      this.records.save(page.records);
      this.harvests.checkpoint(page.harvestId, page.checkpoint);
    });
  }

  lockSource(sourceId: string, outDir: string): LockResult {
    return acquireLock(sourceLockFile(outDir, sourceId));
  }

  lockHolder(sourceId: string, outDir: string): LockHolder | undefined {
    return currentHolder(sourceLockFile(outDir, sourceId));
  }

  jobCounts(): undefined {
    return undefined;
  }

  close(): void {
    this.db.close();
  }
}

export const StateStore = {
  /**
   * Opens (creating or migrating) the state at `location`: a PostgreSQL database by its
   * `postgres://` or `postgresql://` URL, else the SQLite database at that path, or `:memory:`.
   */
  open(location: string): StateStore {
    return isPostgresUrl(location) ? new PgStateStore(location) : new SqliteStateStore(location);
  },
};
