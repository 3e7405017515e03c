// Opening a PostgreSQL state: which backend a location names, the schema made once however
// many workers open a new database at once, the store's id, and a newer database refused.
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoreVersionError } from '../../../src/store/errors.ts';
import { PG_SCHEMA_VERSION } from '../../../src/store/postgres/schema.ts';
import { StateStore } from '../../../src/store/state.ts';
import { startPostgres, type PostgresCluster } from '../../support/postgres.ts';
import { contender } from '../../support/state-backends.ts';

let cluster: PostgresCluster;
let databases = 0;
beforeAll(async () => {
  cluster = await startPostgres();
});
afterAll(() => cluster?.stop());

function newDatabase(): { name: string; url: string } {
  const name = `state_${++databases}`;
  return { name, url: cluster.createDatabase(name) };
}

const meta = (database: string) => cluster.psql(database, `SELECT key, value FROM meta ORDER BY key`).trim().split('\n').map((l) => l.split('\t'));

describe('PostgreSQL state', () => {
  it('opens a PostgreSQL state for a postgres:// or postgresql:// URL, named with its password masked', () => {
    const { name, url } = newDatabase();
    for (const scheme of ['postgres', 'postgresql']) {
      const location = url.replace(/^postgresql:\/\/harvester@/, `${scheme}://harvester:sekrit@`);
      const state = StateStore.open(location);
      expect(state.file).toBe(location.replace(':sekrit@', ':***@'));
      state.close();
      expect(existsSync(location)).toBe(false);
    }
    expect(meta(name).map(([key]) => key)).toEqual(['schema_version', 'store_id']);
  });

  it('makes every table of the state, the source records and works among them', () => {
    const { name, url } = newDatabase();
    StateStore.open(url).close();
    const tables = cluster.psql(name, `SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename`).trim().split('\n');
    expect(tables).toEqual([
      'crossref_works', 'dirty_works', 'downloads', 'file_reads', 'format_fields', 'harvests', 'lists', 'meta', 'partition_plans', 'record_versions',
      'repositories', 'run_touched_works', 'snapshot_pending', 'source_locks', 'source_records', 'source_runs', 'stats_months', 'works', 'works_meta', 'works_runs',
    ]);
  });

  it('keeps its store id and version from one opening to the next', () => {
    const { name, url } = newDatabase();
    StateStore.open(url).close();
    const first = meta(name);
    StateStore.open(url).close();
    expect(meta(name)).toEqual(first);
    expect(first[0]).toEqual(['schema_version', String(PG_SCHEMA_VERSION)]);
    expect(first[1]![1]).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('migrates a new database once when several workers open it at once, each of them opening it', async () => {
    for (let round = 0; round < 3; round++) {
      const { name, url } = newDatabase();
      const workers = await Promise.all([0, 1, 2, 3].map(() => contender()));
      const at = Date.now() + 100;
      const opened = await Promise.all(workers.map((w) => w.go({ location: url, call: 'open', at })));
      expect(opened, `round ${round}`).toEqual(workers.map(() => ({ ok: true, result: url })));
      expect(meta(name).map(([key]) => key)).toEqual(['schema_version', 'store_id']);
    }
  });

  it('refuses a database of a newer schema version, leaving it as it was', () => {
    const { name, url } = newDatabase();
    StateStore.open(url).close();
    cluster.psql(name, `UPDATE meta SET value = '${PG_SCHEMA_VERSION + 1}' WHERE key = 'schema_version'`);
    const before = meta(name);
    expect(() => StateStore.open(url)).toThrow(StoreVersionError);
    expect(() => StateStore.open(url)).toThrow(`has schema version ${PG_SCHEMA_VERSION + 1}, newer than this program's ${PG_SCHEMA_VERSION}`);
    expect(meta(name)).toEqual(before);
  });
});
