import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WorksSnapshotState } from '../../../src/store/snapshot-log.ts';
import { startPostgres, type PostgresCluster } from '../../support/postgres.ts';
import { worksDatabase } from './fixture.ts';

let cluster: PostgresCluster;
beforeAll(async () => {
  cluster = await startPostgres();
});
afterAll(() => cluster?.stop());

describe('PgSnapshotLog', () => {
  it("keeps the snapshot's state in meta", () => {
    const f = worksDatabase(cluster);
    expect(f.snapshots.state()).toBeUndefined();
    const state: WorksSnapshotState = { run: 'r1', writtenAt: '2026-01-01T00:00:00Z', works: 3, probableDuplicates: 0, behind: false, changeFilesSince: [] };
    f.snapshots.saveState(state);
    f.snapshots.saveState({ ...state, works: 4, changeFilesSince: ['changes/r2.jsonl'] });
    expect(f.snapshots.state()).toEqual({ ...state, works: 4, changeFilesSince: ['changes/r2.jsonl'] });
    f.db.close();
  });

  it('notes no change before the first snapshot begins, and every change after it', () => {
    const f = worksDatabase(cluster);
    f.works.saveWork('doi:10.1/a', 'active', '{"a":1}', 'r1');
    expect(f.snapshots.pendingSince()).toBeUndefined();
    expect(f.snapshots.begin('snap-1')).toBe(0);
    expect(f.snapshots.pendingSince()).toBe('snap-1');
    f.works.saveWork('doi:10.1/b', 'active', '{"b":1}', 'r2');
    f.works.saveWork('doi:10.1/a', 'active', '{"a":2}', 'r2');
    const mark = f.snapshots.begin('snap-2');
    expect(f.snapshots.pendingCount(mark)).toBe(2);
    expect([...f.snapshots.pendingWorks(mark)]).toEqual([{ workId: 'doi:10.1/a', workJson: '{"a":2}' }, { workId: 'doi:10.1/b', workJson: '{"b":1}' }]);
    f.db.close();
  });

  it('gives a work changed again a new seq, never reused, so a snapshot forgets only the changes it holds', () => {
    const f = worksDatabase(cluster);
    f.snapshots.begin('snap-1');
    f.works.saveWork('doi:10.1/a', 'active', '{"a":1}', 'r1');
    f.works.saveWork('doi:10.1/b', 'active', '{"b":1}', 'r1');
    const mark = f.snapshots.begin('snap-2');
    // Changed again after the mark, then dropped: noted past it.
    f.works.saveWork('doi:10.1/a', 'active', '{"a":2}', 'r2');
    f.works.dropWork('doi:10.1/b');
    f.works.saveWork('doi:10.1/c', 'active', '{"c":1}', 'r2');
    expect(f.snapshots.pendingCount(mark)).toBe(0);
    f.snapshots.written(mark);
    const next = f.snapshots.begin('snap-3');
    expect(next).toBeGreaterThan(mark);
    expect([...f.snapshots.pendingWorks(next)]).toEqual([{ workId: 'doi:10.1/a', workJson: '{"a":2}' }, { workId: 'doi:10.1/b', workJson: null }, { workId: 'doi:10.1/c', workJson: '{"c":1}' }]);
    f.snapshots.written(next);
    expect(f.snapshots.pendingCount(Number.MAX_SAFE_INTEGER)).toBe(0);
    // Forgotten seqs are not handed out again.
    f.works.saveWork('doi:10.1/a', 'active', '{"a":3}', 'r3');
    expect(Number(f.db.query('SELECT seq FROM snapshot_pending')[0]!['seq'])).toBeGreaterThan(next);
    f.db.close();
  });

  it('reads the pending works a page at a time, in id order', () => {
    const f = worksDatabase(cluster);
    f.snapshots.begin('snap-1');
    const ids = Array.from({ length: 2300 }, (_, i) => `doi:10.1/${String(i).padStart(5, '0')}`);
    f.db.transaction(() => {
      for (const id of ids.slice().reverse()) f.works.saveWork(id, 'active', `{"id":"${id}"}`, 'r1');
    });
    const mark = f.snapshots.begin('snap-2');
    const pending = [...f.snapshots.pendingWorks(mark)];
    expect(pending.map((p) => p.workId)).toEqual(ids);
    expect(pending[2299]).toEqual({ workId: ids[2299], workJson: `{"id":"${ids[2299]}"}` });
    f.db.close();
  });
});
