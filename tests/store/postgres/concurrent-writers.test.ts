// Workers on several machines sharing one PostgreSQL state, each transaction forced to overlap
// the other: the second is started and made to wait on the first's locks (watched in
// pg_stat_activity) before the first commits, never left to timing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgConnection } from '../../../src/store/postgres/connection.ts';
import type { SourceRecordRow } from '../../../src/store/source-records.ts';
import { startPostgres, type PostgresCluster } from '../../support/postgres.ts';
import { modules, worksDatabase } from './fixture.ts';
import { lockWaiters, PgSession, stillPending } from './session.ts';
import { heldText } from '../../support/json-bytes.ts';
import { jsonDocumentText } from '../../../src/store/json-bytes.ts';

let cluster: PostgresCluster;
beforeAll(async () => {
  cluster = await startPostgres();
});
afterAll(() => cluster?.stop());

const live = (sourceId: string, identifier: string, workId: string, recordJson = '{}'): SourceRecordRow => ({ sourceId, identifier, deleted: false, workId, recordJson });
const markOf = (db: PgConnection, workId: string): number => Number(db.query('SELECT mark FROM dirty_works WHERE work_id = $1', [workId])[0]!['mark']);

/** The fixture's connection as worker A, a worker B in a thread of its own, and a monitor that also reads as a recomputing worker would. */
async function fleet() {
  const a = worksDatabase(cluster);
  const b = await PgSession.open(a.url);
  const monitorDb = new PgConnection(a.url);
  const monitor = { db: monitorDb, ...modules(monitorDb) };
  const close = async () => {
    await b.close();
    a.db.close();
    monitorDb.close();
  };
  return { a, b, monitor, close };
}

describe('PostgreSQL store under concurrent workers', () => {
  it('leaves one work whose recompute sees both copies when two workers commit records of one DOI at the same moment', async () => {
    const { a, b, monitor, close } = await fleet();
    const doi = 'doi:10.1/shared';
    a.db.query('BEGIN');
    a.records.save([live('s', 'a', doi, '{"copy":"s"}')]);
    await b.sql('BEGIN');
    const bSaved = b.call('records', 'save', [live('t', 'b', doi, '{"copy":"t"}')]);
    // B has written its record and waits on A's touch of the work's dirty mark.
    await lockWaiters(monitor.db, 1);
    expect(monitor.works.dirtyBatch(10)).toEqual([]);
    a.db.query('COMMIT');
    await bSaved;
    // A recompute reading now sees A's copy only, with A's mark...
    const [early] = monitor.works.dirtyBatch(10);
    expect(early!.records).toEqual([{ recordJson: '{"copy":"s"}', deleted: false }]);
    await b.sql('COMMIT');
    // ...which B's touch replaced: that result is not saved, and the work stays dirty.
    expect(monitor.db.transaction(() => monitor.works.takeDirtyMark(doi, early!.mark))).toBe(false);
    const [late] = monitor.works.dirtyBatch(10);
    expect(late!.workId).toBe(doi);
    expect(late!.records).toEqual([{ recordJson: '{"copy":"s"}', deleted: false }, { recordJson: '{"copy":"t"}', deleted: false }]);
    expect(monitor.db.transaction(() => monitor.works.takeDirtyMark(doi, late!.mark))).toBe(true);
    expect(monitor.works.dirtyBatch(10)).toEqual([]);
    await close();
  });

  /** A moves the record from doi:10.1/one (or saves it new) to doi:10.1/two; B, overlapping, saves `second` of it. */
  async function raceOnOneRecord(second: SourceRecordRow, held = true) {
    const fleetOf = await fleet();
    const { a, b, monitor } = fleetOf;
    if (held) a.records.save([live('s', 'a', 'doi:10.1/one')]);
    a.db.run('DELETE FROM dirty_works');
    a.db.query('BEGIN');
    a.records.save([live('s', 'a', 'doi:10.1/two')]);
    const markOfA = markOf(a.db, 'doi:10.1/two');
    await b.sql('BEGIN');
    const bSaved = b.call('records', 'save', [second]);
    await lockWaiters(monitor.db, 1);
    a.db.query('COMMIT');
    await bSaved;
    await b.sql('COMMIT');
    return { ...fleetOf, markOfA };
  }

  it('marks every work a record passed through when two workers move it at the same moment', async () => {
    const { monitor, close, markOfA } = await raceOnOneRecord(live('s', 'a', 'doi:10.1/three'));
    // B read the record's work from the row as A committed it: doi:10.1/two, which a recompute
    // may have read with the record in it, is touched again and will be recomputed without it.
    expect(monitor.works.dirtyBatch(10).map((w) => w.workId)).toEqual(['doi:10.1/one', 'doi:10.1/three', 'doi:10.1/two']);
    expect(markOf(monitor.db, 'doi:10.1/two')).not.toBe(markOfA);
    expect(monitor.records.ofWork('doi:10.1/three')).toHaveLength(1);
    expect(monitor.records.ofWork('doi:10.1/two')).toEqual([]);
    await close();
  });

  it('marks the work a record is in as another worker commits it when deleting that record at the same moment', async () => {
    const { monitor, close, markOfA } = await raceOnOneRecord({ sourceId: 's', identifier: 'a', deleted: true, workId: null, recordJson: null });
    // A recompute of doi:10.1/two between the commits saw the copy live: it is touched again.
    expect(monitor.records.ofWork('doi:10.1/two')).toEqual([{ recordJson: '{}', deleted: true }]);
    expect(markOf(monitor.db, 'doi:10.1/two')).not.toBe(markOfA);
    await close();
  });

  it('keeps one row of a record new to both workers saving it at the same moment, marking the work the first gave it', async () => {
    const { monitor, close, markOfA } = await raceOnOneRecord(live('s', 'a', 'doi:10.1/three', '{"by":"b"}'), false);
    expect([...monitor.records.all()].map(heldText)).toEqual([{ sourceId: 's', identifier: 'a', deleted: false, workId: 'doi:10.1/three', recordJson: '{"by":"b"}' }]);
    expect(monitor.works.dirtyBatch(10).map((w) => w.workId)).toEqual(['doi:10.1/three', 'doi:10.1/two']);
    expect(markOf(monitor.db, 'doi:10.1/two')).not.toBe(markOfA);
    await close();
  });

  it('takes the row locks of two batches of the same records in one order, however each is given, so neither deadlocks', async () => {
    const { a, b, monitor, close } = await fleet();
    const c = await PgSession.open(a.url);
    const ids = Array.from({ length: 200 }, (_, i) => `id${String(i).padStart(3, '0')}`);
    a.records.save(ids.map((id) => live('s', id, `doi:10.1/${id}`)));
    // A holds the first and the last record. Locking in the order given, B (ascending) would
    // wait on the first and C (descending) on the last; released, they would meet in the middle.
    a.db.query('BEGIN');
    a.db.query(`SELECT 1 FROM source_records WHERE source_id = 's' AND identifier IN ('id000', 'id199') FOR UPDATE`);
    await b.sql('BEGIN');
    await c.sql('BEGIN');
    const bSaved = b.call('records', 'save', ids.map((id) => live('s', id, `doi:10.2/${id}`, '{"by":"b"}')));
    const cSaved = c.call('records', 'save', ids.slice().reverse().map((id) => live('s', id, `doi:10.2/${id}`, '{"by":"c"}')));
    await lockWaiters(monitor.db, 2);
    a.db.query('COMMIT');
    const [bOutcome, cOutcome] = await Promise.allSettled([bSaved.then(() => b.sql('COMMIT')), cSaved.then(() => c.sql('COMMIT'))]);
    expect([bOutcome.status, cOutcome.status]).toEqual(['fulfilled', 'fulfilled']);
    const by = new Set([...monitor.records.all('s')].map((r) => jsonDocumentText(r.recordJson)));
    expect(by.size).toBe(1);
    expect(monitor.works.dirtyBatch(1000)).toHaveLength(400);
    await c.close();
    await close();
  });

  it("holds a snapshot's begin until a change being committed with a lower seq is in, so its mark passes over none", async () => {
    const { a, b, monitor, close } = await fleet();
    monitor.snapshots.begin('snap-1');
    a.db.query('BEGIN');
    a.works.saveWork('doi:10.1/slow', 'active', '{"slow":1}', 'r1');
    // A later change, committed first, with a higher seq.
    monitor.works.saveWork('doi:10.1/fast', 'active', '{"fast":1}', 'r2');
    const begun = b.call('snapshots', 'begin', 'snap-2');
    await lockWaiters(monitor.db, 1);
    expect(await stillPending(begun)).toBe('pending');
    a.db.query('COMMIT');
    const mark = Number(await begun);
    expect([...monitor.snapshots.pendingWorks(mark)]).toEqual([{ workId: 'doi:10.1/fast', workJson: '{"fast":1}' }, { workId: 'doi:10.1/slow', workJson: '{"slow":1}' }]);
    // Changes after the mark are noted past it, for the next snapshot.
    monitor.works.saveWork('doi:10.1/slow', 'active', '{"slow":2}', 'r3');
    expect(monitor.snapshots.pendingCount(mark)).toBe(1);
    monitor.snapshots.written(mark);
    expect([...monitor.snapshots.pendingWorks(Number.MAX_SAFE_INTEGER)]).toEqual([{ workId: 'doi:10.1/slow', workJson: '{"slow":2}' }]);
    await close();
  });

  it("notes a change that waited behind the first snapshot's begin: it sees the pending_since that begin committed", async () => {
    const { a, b, monitor, close } = await fleet();
    const c = await PgSession.open(a.url);
    // No snapshot yet: A's change is noted nowhere, and begin waits for A all the same.
    a.db.query('BEGIN');
    a.works.saveWork('doi:10.1/a', 'active', '{"a":1}', 'r1');
    const begun = b.call('snapshots', 'begin', 'snap-1');
    await lockWaiters(monitor.db, 1);
    // C's note queues behind begin; when it runs, it sees pending_since that begin committed.
    await c.sql('BEGIN');
    const cSaved = c.call('works', 'saveWork', 'doi:10.1/c', 'active', '{"c":1}', 'r2');
    await lockWaiters(monitor.db, 2);
    a.db.query('COMMIT');
    const mark = Number(await begun);
    await cSaved;
    await c.sql('COMMIT');
    // The first snapshot, written whole after begin, reads A's change; C's may come after its read, and is noted past its mark.
    expect(monitor.works.work('doi:10.1/a')).toEqual({ status: 'active', workJson: '{"a":1}' });
    expect(monitor.snapshots.pendingCount(mark)).toBe(0);
    expect([...monitor.snapshots.pendingWorks(Number.MAX_SAFE_INTEGER)]).toEqual([{ workId: 'doi:10.1/c', workJson: '{"c":1}' }]);
    await c.close();
    await close();
  });
});
