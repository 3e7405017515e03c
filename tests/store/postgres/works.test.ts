import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPostgres, type PostgresCluster } from '../../support/postgres.ts';
import { PgConnection } from '../../../src/store/postgres/connection.ts';
import { modules, worksDatabase } from './fixture.ts';
import { touchedText } from '../../support/json-bytes.ts';
import { jsonDocumentText } from '../../../src/store/json-bytes.ts';

let cluster: PostgresCluster;
beforeAll(async () => {
  cluster = await startPostgres();
});
afterAll(() => cluster?.stop());

const live = (sourceId: string, identifier: string, workId: string, recordJson = '{}') => ({ sourceId, identifier, deleted: false, workId, recordJson });

describe('PgWorkStore', () => {
  it('keeps the dirty mark of a work touched again while it was being recomputed, and the older result unsaved', () => {
    const f = worksDatabase(cluster);
    f.records.save([live('s', 'a', 'doi:10.1/x', '{"v":1}')]);
    const [first] = f.works.dirtyBatch(10);
    // Another worker saves a second copy of the work before the first one's result is committed.
    f.records.save([live('t', 'b', 'doi:10.1/x', '{"v":2}')]);
    expect(f.db.transaction(() => f.works.takeDirtyMark(first!.workId, first!.mark))).toBe(false);
    const [second] = f.works.dirtyBatch(10);
    expect([second!.workId, second!.records.length]).toEqual(['doi:10.1/x', 2]);
    expect(f.db.transaction(() => f.works.takeDirtyMark(second!.workId, second!.mark))).toBe(true);
    expect(f.works.dirtyBatch(10)).toEqual([]);
    f.db.close();
  });

  it('never takes a touch it did not see for one it did, after the mark was cleared and set again', () => {
    const f = worksDatabase(cluster);
    f.records.save([live('s', 'a', 'doi:10.1/x', '{"v":1}')]);
    const [stale] = f.works.dirtyBatch(10);
    const [fresh] = f.works.dirtyBatch(10);
    expect(f.db.transaction(() => f.works.takeDirtyMark(fresh!.workId, fresh!.mark))).toBe(true);
    f.records.save([live('u', 'c', 'doi:10.1/x', '{"v":3}')]);
    expect(f.db.transaction(() => f.works.takeDirtyMark(stale!.workId, stale!.mark))).toBe(false);
    expect(f.works.dirtyBatch(10).map((w) => w.workId)).toEqual(['doi:10.1/x']);
    f.db.close();
  });

  it('reads a batch of dirty works in id order with their held work, records and live copies’ downloads', () => {
    const f = worksDatabase(cluster);
    f.records.save([live('s', 'b', 'doi:10.1/b', '{"b":1}'), live('s', 'a', 'doi:10.1/a', '{"a":1}'), live('t', 'a', 'doi:10.1/a', '{"a":2}'), live('s', 'c', 'doi:10.1/c')]);
    f.records.save([{ sourceId: 't', identifier: 'a', deleted: true, workId: null, recordJson: null }]);
    f.works.saveWork('doi:10.1/a', 'active', '{"id":"a"}', 'r0');
    expect(f.works.dirtyBatch(10).map((w) => w.downloadRows)).toEqual([[], [], []]);
    f.db.run(`INSERT INTO downloads VALUES ('s', 'a', '2025-01', 'irstats2', 3), ('s', 'a', '2025-02', 'irstats2', 4), ('t', 'a', '2025-01', 'irstats2', 50), ('s', 'b', '2025-01', 'counter', 1)`);
    const batch = f.works.dirtyBatch(2);
    expect(batch.map((w) => w.workId)).toEqual(['doi:10.1/a', 'doi:10.1/b']);
    expect(batch[0]).toMatchObject({
      held: { status: 'active', workJson: '{"id":"a"}' },
      records: [{ recordJson: '{"a":1}', deleted: false }, { recordJson: '{"a":2}', deleted: true }],
      downloadRows: [{ metric: 'irstats2', month: '2025-01', count: 3 }, { metric: 'irstats2', month: '2025-02', count: 4 }],
    });
    expect(batch[1]).toMatchObject({ held: undefined, records: [{ recordJson: '{"b":1}', deleted: false }], downloadRows: [{ metric: 'counter', month: '2025-01', count: 1 }] });
    expect(typeof batch[0]!.mark).toBe('number');
    expect(Number.isSafeInteger(batch[0]!.mark)).toBe(true);
    f.db.close();
  });

  it('saves, replaces and drops works, and reads them all a page at a time in id order', () => {
    const f = worksDatabase(cluster);
    const ids = Array.from({ length: 2100 }, (_, i) => `doi:10.1/${String(i).padStart(5, '0')}`);
    f.db.transaction(() => {
      for (const id of ids.slice().reverse()) f.works.saveWork(id, 'active', `{"id":"${id}"}`, 'r1');
    });
    f.works.saveWork(ids[0]!, 'retracted', '{"v":2}', 'r2');
    f.works.dropWork(ids[1]!);
    expect(f.works.work(ids[0]!)).toEqual({ status: 'retracted', workJson: '{"v":2}' });
    expect(f.works.work(ids[1]!)).toBeUndefined();
    expect(f.works.count()).toBe(2099);
    const all = [...f.works.all()].map(jsonDocumentText);
    expect(all).toHaveLength(2099);
    expect(all[0]).toBe('{"v":2}');
    expect(all.slice(1)).toEqual(ids.slice(2).map((id) => `{"id":"${id}"}`));
    f.db.close();
  });

  it("notes each work's status before a run first recomputed it, and reads them with the work now, page by page", () => {
    const f = worksDatabase(cluster);
    f.works.registerRun('r1', 1, 'h');
    const ids = Array.from({ length: 1500 }, (_, i) => `doi:10.1/${String(i).padStart(5, '0')}`);
    for (const id of ids) f.works.noteTouched('r1', id, 'none');
    f.works.noteTouched('r1', ids[0]!, 'active');
    f.works.saveWork(ids[0]!, 'active', '{}', 'r1');
    const touched = [...f.works.touched('r1')].map(touchedText);
    expect(touched).toHaveLength(1500);
    expect(touched[0]).toEqual({ workId: ids[0], before: 'none', status: 'active', workJson: '{}', updatedRun: 'r1' });
    expect(touched[1]).toEqual({ workId: ids[1], before: 'none', status: null, workJson: null, updatedRun: null });
    f.works.forgetTouched('r1');
    expect([...f.works.touched('r1')]).toEqual([]);
    f.db.close();
  });

  it('adopts the touches of a run that died, keeping its status before where both touched a work', () => {
    const f = worksDatabase(cluster);
    f.works.registerRun('dead', 111, 'h');
    f.works.registerRun('alive', 222, 'h');
    f.works.registerRun('me', 333, 'h');
    f.works.noteTouched('dead', 'doi:10.1/x', 'none');
    f.works.noteTouched('dead', 'doi:10.1/y', 'active');
    f.works.saveWork('doi:10.1/x', 'active', '{}', 'dead');
    f.works.saveWork('doi:10.1/y', 'active', '{}', 'me');
    f.works.noteTouched('me', 'doi:10.1/y', 'active-by-me');
    f.works.noteTouched('alive', 'doi:10.1/z', 'none');
    expect(f.works.adoptTouched('me', (pid) => pid === 111)).toBe(2);
    expect([...f.works.touched('me')].map((t) => [t.workId, t.before, t.updatedRun])).toEqual([['doi:10.1/x', 'none', 'me'], ['doi:10.1/y', 'active', 'me']]);
    expect([...f.works.touched('alive')]).toHaveLength(1);
    expect(f.db.query('SELECT run_id FROM works_runs ORDER BY run_id').map((r) => r['run_id'])).toEqual(['alive', 'me']);
    expect(f.works.adoptTouched('me', (pid) => pid === 111)).toBe(0);
    f.db.close();
  });

  it('adopts the touches of a run whose database session ended, though its pid looks alive from here (a worker killed on another machine)', () => {
    const f = worksDatabase(cluster);
    const elsewhere = new PgConnection(f.url);
    const theirs = modules(elsewhere);
    theirs.works.registerRun('killed-elsewhere', 4242, 'another-host');
    theirs.works.noteTouched('killed-elsewhere', 'doi:10.1/k', 'none');
    f.works.registerRun('me', 333, 'h');
    const neverGone = () => false;
    // Its session is alive: nothing to adopt.
    expect(f.works.adoptTouched('me', neverGone)).toBe(0);
    elsewhere.close();
    // The server lets go of the ended session's backend within moments.
    const pause = new Int32Array(new SharedArrayBuffer(4));
    let adopted = 0;
    for (let i = 0; i < 100 && adopted === 0; i++) {
      adopted = f.works.adoptTouched('me', neverGone);
      if (adopted === 0) Atomics.wait(pause, 0, 0, 50);
    }
    expect(adopted).toBe(1);
    expect([...f.works.touched('me')].map((t) => t.workId)).toEqual(['doi:10.1/k']);
    f.db.close();
  });
});
