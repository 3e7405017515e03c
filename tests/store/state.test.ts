import { copyFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { StateStore } from '../../src/store/state.ts';
import { worksDatabaseFile } from '../../src/store/schema.ts';
import { tempDir } from '../support/run.ts';
import { touchedText } from '../support/json-bytes.ts';

const header = (identifier: string, datestamp: string, deleted = false) => ({ identifier, datestamp, setSpecs: [], deleted });
const key = (harvestId: string, full: boolean, sourceId = 's') => ({ sourceId, metadataPrefix: 'oai_dc', harvestId, full });

/** A state database as an older version left it, built from its DDL. */
async function oldDatabase(sql: string): Promise<string> {
  const { DatabaseSync } = await import('node:sqlite');
  const file = join(tempDir(), 'state.sqlite');
  const old = new DatabaseSync(file);
  old.exec(sql);
  old.close();
  return file;
}

// What each table family does, on both backends, is in tests/store/postgres/; here, the SQLite
// store's migrations and the dirty marks of works.
describe('StateStore', () => {
  it('migrates a version 1 database', async () => {
    const file = await oldDatabase(`CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL); INSERT INTO meta VALUES ('schema_version', '1');
      CREATE TABLE harvests (harvest_id TEXT PRIMARY KEY, source_id TEXT NOT NULL, list_key TEXT NOT NULL, metadata_prefix TEXT NOT NULL,
        set_spec TEXT, from_arg TEXT, until_arg TEXT, full INTEGER NOT NULL, status TEXT NOT NULL, started_at TEXT NOT NULL, finished_at TEXT,
        first_response_date TEXT, token TEXT, pages INTEGER NOT NULL DEFAULT 0, records INTEGER NOT NULL DEFAULT 0,
        deleted INTEGER NOT NULL DEFAULT 0, unchanged INTEGER NOT NULL DEFAULT 0, last_datestamp TEXT, output_file TEXT NOT NULL,
        output_offset INTEGER NOT NULL DEFAULT 0, restarts INTEGER NOT NULL DEFAULT 0, complete_list_size INTEGER, last_error TEXT);
      INSERT INTO harvests (harvest_id, source_id, list_key, metadata_prefix, full, status, started_at, output_file, token, pages)
        VALUES ('h', 's', 'oai_dc', 'oai_dc', 0, 'running', '2026-01-01', 'x.jsonl', 'tok', 3);
      CREATE TABLE records (source_id TEXT, identifier TEXT, datestamp TEXT, deleted INTEGER, harvest_id TEXT);`);
    const state = StateStore.open(file);
    expect(state.harvests.runningHarvest('s', 'oai_dc')).toMatchObject({ token: 'tok', pages: 3, rejectsOffset: 0 });
    expect(state.harvests.noteRecord(key('h', false), header('a', '2021'))).toBe(true);
    // Through every version to the newest: source records with their match key.
    state.records.save([{ sourceId: 's', identifier: 'a', deleted: false, workId: 'record:s:a', recordJson: '{}', matchKey: 'k' }]);
    state.records.save([{ sourceId: 's', identifier: 'b', deleted: false, workId: 'record:s:b', recordJson: '{}', matchKey: 'k' }]);
    expect([...state.records.probableDuplicates()].map((g) => [g.key, g.records.length])).toEqual([['k', 2]]);
    state.close();
  });

  it('moves source records and works of a version 6 database into rowid tables, keeping every row', async () => {
    const { DatabaseSync } = await import('node:sqlite');
    const file = await oldDatabase(`CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL); INSERT INTO meta VALUES ('schema_version', '6');
      CREATE TABLE source_records (source_id TEXT NOT NULL, identifier TEXT NOT NULL, work_id TEXT NOT NULL, deleted INTEGER NOT NULL,
        record_json TEXT NOT NULL, match_key TEXT, PRIMARY KEY (source_id, identifier)) WITHOUT ROWID;
      CREATE INDEX source_records_by_work ON source_records (work_id);
      INSERT INTO source_records VALUES ('s', 'a', 'doi:10.1/x', 0, '{"id":"s:a"}', NULL), ('s', 'b', 'doi:10.1/x', 1, '{"id":"s:b"}', NULL);
      CREATE TABLE works (work_id TEXT PRIMARY KEY, status TEXT NOT NULL, work_json TEXT NOT NULL, updated_run TEXT NOT NULL) WITHOUT ROWID;
      INSERT INTO works VALUES ('doi:10.1/x', 'active', '{"id":"doi:10.1/x"}', 'r1');`);
    const state = StateStore.open(file);
    expect(state.records.ofWork('doi:10.1/x')).toEqual([{ recordJson: '{"id":"s:a"}', deleted: false }, { recordJson: '{"id":"s:b"}', deleted: true }]);
    expect(state.works.work('doi:10.1/x')).toEqual({ status: 'active', workJson: '{"id":"doi:10.1/x"}' });
    state.close();
    const ddl = [file, worksDatabaseFile(file)].flatMap((f) => {
      const db = new DatabaseSync(f);
      const rows = db.prepare(`SELECT name, sql FROM sqlite_schema WHERE name IN ('source_records', 'works', 'source_records_by_work')`).all();
      db.close();
      return rows;
    });
    expect(ddl.map((r) => r['name']).sort()).toEqual(['source_records', 'source_records_by_work', 'works']);
    for (const r of ddl) expect(String(r['sql'])).not.toContain('WITHOUT ROWID');
  });

  it('creates a state database and its works file with 4 KiB pages, which random keys rewrite a leaf at a time', async () => {
    const { DatabaseSync } = await import('node:sqlite');
    const file = join(tempDir(), 'state.sqlite');
    StateStore.open(file).close();
    for (const f of [file, worksDatabaseFile(file)]) {
      const db = new DatabaseSync(f);
      expect(db.prepare('PRAGMA page_size').get()).toEqual({ page_size: 4096 });
      db.close();
    }
  });

  it('moves the works of a version 7 database to a works file of small pages, keeping every row', async () => {
    const { DatabaseSync } = await import('node:sqlite');
    const file = await oldDatabase(`PRAGMA page_size = 16384; CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL); INSERT INTO meta VALUES ('schema_version', '7');
      CREATE TABLE dirty_works (work_id TEXT PRIMARY KEY) WITHOUT ROWID; INSERT INTO dirty_works VALUES ('doi:10.1/y');
      CREATE TABLE works (work_id TEXT PRIMARY KEY, status TEXT NOT NULL, work_json TEXT NOT NULL, updated_run TEXT NOT NULL);
      INSERT INTO works VALUES ('doi:10.1/x', 'active', '{"id":"doi:10.1/x"}', 'r1');
      CREATE TABLE works_runs (run_id TEXT PRIMARY KEY, pid INTEGER NOT NULL, host TEXT NOT NULL) WITHOUT ROWID;
      INSERT INTO works_runs VALUES ('r2', 1, 'h');
      CREATE TABLE run_touched_works (run_id TEXT NOT NULL, work_id TEXT NOT NULL, before TEXT NOT NULL, PRIMARY KEY (run_id, work_id)) WITHOUT ROWID;
      INSERT INTO run_touched_works VALUES ('r2', 'doi:10.1/x', 'none');`);
    // A copy that stopped before the originals were dropped (a crash) is made again.
    const half = new DatabaseSync(worksDatabaseFile(file));
    half.exec(`CREATE TABLE works (work_id TEXT PRIMARY KEY, status TEXT NOT NULL, work_json TEXT NOT NULL, updated_run TEXT NOT NULL);
      INSERT INTO works VALUES ('doi:10.1/x', 'active', '{"id":"doi:10.1/x"}', 'r1');`);
    half.close();
    const state = StateStore.open(file);
    expect(state.works.work('doi:10.1/x')).toEqual({ status: 'active', workJson: '{"id":"doi:10.1/x"}' });
    expect([...state.works.touched('r2')].map(touchedText)).toEqual([{ workId: 'doi:10.1/x', before: 'none', status: 'active', workJson: '{"id":"doi:10.1/x"}', updatedRun: 'r1' }]);
    expect(state.works.dirtyBatch(10).map((w) => [w.workId, w.mark])).toEqual([['doi:10.1/y', 0]]);
    state.close();
    const main = new DatabaseSync(file);
    expect(main.prepare(`SELECT name FROM sqlite_schema WHERE name IN ('works', 'works_runs', 'run_touched_works')`).all()).toEqual([]);
    // An older database keeps the pages it was made with: changing them takes a VACUUM.
    expect(main.prepare('PRAGMA page_size').get()).toEqual({ page_size: 16384 });
    main.close();
    const works = new DatabaseSync(worksDatabaseFile(file));
    expect(works.prepare('PRAGMA page_size').get()).toEqual({ page_size: 4096 });
    works.close();
    expect(StateStore.open(file).works.work('doi:10.1/x')?.status).toBe('active');
  });

  it('marks every work for recomputing when it opens a version 9 database, whose works lack corrections and retractions', async () => {
    const { DatabaseSync } = await import('node:sqlite');
    const file = join(tempDir(), 'state.sqlite');
    let state = StateStore.open(file);
    state.records.save([{ sourceId: 's', identifier: 'a', deleted: false, workId: 'doi:10.1/x', recordJson: '{}' }]);
    const [dirty] = state.works.dirtyBatch(10);
    state.transaction(() => state.works.takeDirtyMark(dirty!.workId, dirty!.mark) && state.works.saveWork('doi:10.1/x', 'active', '{"id":"doi:10.1/x"}', 'r1'));
    state.close();
    const db = new DatabaseSync(file);
    db.exec(`UPDATE meta SET value = '9' WHERE key = 'schema_version'`);
    db.close();
    state = StateStore.open(file);
    expect(state.works.dirtyBatch(10).map((w) => w.workId)).toEqual(['doi:10.1/x']);
    expect(state.crossref.counts()).toEqual({ found: 0, missing: 0, pending: 0 });
    state.close();
  });

  it('marks every work for recomputing when its works file is missing or belongs to another state database', () => {
    const file = join(tempDir(), 'state.sqlite');
    let state = StateStore.open(file);
    state.records.save([{ sourceId: 's', identifier: 'a', deleted: false, workId: 'doi:10.1/x', recordJson: '{}' }]);
    const [dirty] = state.works.dirtyBatch(10);
    state.transaction(() => state.works.takeDirtyMark(dirty!.workId, dirty!.mark) && state.works.saveWork('doi:10.1/x', 'active', '{"id":"doi:10.1/x"}', 'r1'));
    expect(state.works.dirtyBatch(10)).toEqual([]);
    state.close();
    rmSync(worksDatabaseFile(file));
    state = StateStore.open(file);
    expect(state.works.work('doi:10.1/x')).toBeUndefined();
    expect(state.works.dirtyBatch(10).map((w) => w.workId)).toEqual(['doi:10.1/x']);
    state.close();
    // Another state database's works file, put in its place, is not taken for this one's.
    const other = join(tempDir(), 'state.sqlite');
    const otherState = StateStore.open(other);
    otherState.transaction(() => otherState.works.saveWork('doi:10.1/z', 'active', '{}', 'r9'));
    otherState.close();
    copyFileSync(worksDatabaseFile(other), worksDatabaseFile(file));
    state = StateStore.open(file);
    expect(state.works.count()).toBe(0);
    state.close();
  });

  it('keeps the dirty mark of a work touched again while it was being recomputed, and the older result unsaved', () => {
    const state = StateStore.open(join(tempDir(), 'state.sqlite'));
    state.records.save([{ sourceId: 's', identifier: 'a', deleted: false, workId: 'doi:10.1/x', recordJson: '{"v":1}' }]);
    const [first] = state.works.dirtyBatch(10);
    // Another run saves a second copy of the work before the first one's result is committed.
    state.records.save([{ sourceId: 't', identifier: 'b', deleted: false, workId: 'doi:10.1/x', recordJson: '{"v":2}' }]);
    expect(state.transaction(() => state.works.takeDirtyMark(first!.workId, first!.mark))).toBe(false);
    const [second] = state.works.dirtyBatch(10);
    expect([second!.workId, second!.records.length]).toEqual(['doi:10.1/x', 2]);
    expect(state.transaction(() => state.works.takeDirtyMark(second!.workId, second!.mark))).toBe(true);
    expect(state.works.dirtyBatch(10)).toEqual([]);
    state.close();
  });

  it('never takes a touch it did not see for one it did, after the mark was cleared and set again', () => {
    const state = StateStore.open(join(tempDir(), 'state.sqlite'));
    state.records.save([{ sourceId: 's', identifier: 'a', deleted: false, workId: 'doi:10.1/x', recordJson: '{"v":1}' }]);
    const [stale] = state.works.dirtyBatch(10);
    // Another run recomputes and clears it; then a third copy arrives, marking it afresh.
    const [fresh] = state.works.dirtyBatch(10);
    expect(state.transaction(() => state.works.takeDirtyMark(fresh!.workId, fresh!.mark))).toBe(true);
    state.records.save([{ sourceId: 'u', identifier: 'c', deleted: false, workId: 'doi:10.1/x', recordJson: '{"v":3}' }]);
    // The first run's read, older than the new touch, cannot clear it.
    expect(state.transaction(() => state.works.takeDirtyMark(stale!.workId, stale!.mark))).toBe(false);
    expect(state.works.dirtyBatch(10).map((w) => w.workId)).toEqual(['doi:10.1/x']);
    state.close();
  });
});
