// A batch of recomputed works saved at once, on both backends: a work touched again since it
// was read keeps its mark and its older result unsaved; the others are saved, dropped or left
// as they were, each noted as touched by the run, and noted for the next snapshot once one is.
import { describe, expect, it } from 'vitest';
import { stateBackends } from '../../support/state-backends.ts';

const { backends } = stateBackends();
const live = (sourceId: string, identifier: string, workId: string, recordJson = '{}') => ({ sourceId, identifier, deleted: false, workId, recordJson });

describe.each(backends)('saveRecomputed on $name', (backend) => {
  it('takes the marks still as read and saves, drops or keeps those works; a work touched since keeps its mark', () => {
    const state = backend.open();
    state.transaction(() => state.records.save([live('s', 'a', 'doi:10.1/a'), live('s', 'b', 'doi:10.1/b'), live('s', 'c', 'doi:10.1/c'), live('s', 'd', 'doi:10.1/d')]));
    state.transaction(() => state.works.saveWork('doi:10.1/c', 'active', '{"id":"c","v":0}', 'earlier'));
    state.transaction(() => state.works.saveWork('doi:10.1/d', 'active', '{"id":"d"}', 'earlier'));
    state.snapshots.begin('snap');
    const batch = state.works.dirtyBatch(10);
    expect(batch.map((w) => w.workId)).toEqual(['doi:10.1/a', 'doi:10.1/b', 'doi:10.1/c', 'doi:10.1/d']);
    // Another run touches b after the batch was read.
    state.transaction(() => state.records.save([live('t', 'x', 'doi:10.1/b')]));
    const mark = (id: string) => batch.find((w) => w.workId === id)!.mark;
    const taken = state.transaction(() => state.works.saveRecomputed('run-1', [
      { workId: 'doi:10.1/a', mark: mark('doi:10.1/a'), before: 'none', work: { status: 'active', workJson: '{"id":"a"}' }, unchanged: false },
      { workId: 'doi:10.1/b', mark: mark('doi:10.1/b'), before: 'none', work: { status: 'active', workJson: '{"id":"b","stale":true}' }, unchanged: false },
      { workId: 'doi:10.1/c', mark: mark('doi:10.1/c'), before: 'active', work: null, unchanged: false },
      { workId: 'doi:10.1/d', mark: mark('doi:10.1/d'), before: 'active', work: { status: 'active', workJson: '{"id":"d"}' }, unchanged: true },
    ]));
    expect(taken).toBe(3);
    expect(state.works.work('doi:10.1/a')).toEqual({ status: 'active', workJson: '{"id":"a"}' });
    expect(state.works.work('doi:10.1/b')).toBeUndefined();
    expect(state.works.work('doi:10.1/c')).toBeUndefined();
    expect(state.works.work('doi:10.1/d')).toEqual({ status: 'active', workJson: '{"id":"d"}' });
    expect(state.works.dirtyBatch(10).map((w) => w.workId)).toEqual(['doi:10.1/b']);
    expect([...state.works.touched('run-1')].map((t) => [t.workId, t.before, t.status, t.updatedRun])).toEqual([
      ['doi:10.1/a', 'none', 'active', 'run-1'], ['doi:10.1/c', 'active', null, null], ['doi:10.1/d', 'active', 'active', 'earlier'],
    ]);
    // Rewritten and dropped works are noted for the next snapshot; the unchanged one is not.
    const upTo = state.snapshots.begin('snap-2');
    expect([...state.snapshots.pendingWorks(upTo)].map((p) => [p.workId, p.workJson])).toEqual([['doi:10.1/a', '{"id":"a"}'], ['doi:10.1/c', null]]);
  });
});
