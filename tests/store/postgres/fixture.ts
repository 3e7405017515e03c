// A fresh database with the tables the works modules use, until PgStateStore opens one: the
// works schema, the meta table and the downloads table (another module's, read by dirtyBatch).
import { PgConnection } from '../../../src/store/postgres/connection.ts';
import { PgSnapshotLog } from '../../../src/store/postgres/snapshot-log.ts';
import { PgSourceRecords } from '../../../src/store/postgres/source-records.ts';
import { PgWorkStore } from '../../../src/store/postgres/works.ts';
import { WORKS_SCHEMA_SQL } from '../../../src/store/postgres/works-schema.ts';
import type { PostgresCluster } from '../../support/postgres.ts';

let databases = 0;

export interface WorksFixture {
  url: string;
  db: PgConnection;
  records: PgSourceRecords;
  works: PgWorkStore;
  snapshots: PgSnapshotLog;
}

export function worksDatabase(cluster: PostgresCluster): WorksFixture {
  const url = cluster.createDatabase(`works_${process.pid}_${++databases}`);
  const db = new PgConnection(url);
  db.query(`${WORKS_SCHEMA_SQL}
    CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS downloads (
      source_id TEXT NOT NULL, identifier TEXT NOT NULL, month TEXT NOT NULL, metric TEXT NOT NULL, count INTEGER NOT NULL,
      PRIMARY KEY (source_id, identifier, month, metric));`);
  return { url, db, ...modules(db) };
}

export function modules(db: PgConnection): { records: PgSourceRecords; works: PgWorkStore; snapshots: PgSnapshotLog } {
  return { records: new PgSourceRecords(db), works: new PgWorkStore(db), snapshots: new PgSnapshotLog(db) };
}
