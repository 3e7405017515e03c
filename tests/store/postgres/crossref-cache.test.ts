// The Crossref cache, alike on both backends.
import { describe, expect, it } from 'vitest';
import type { StateStore } from '../../../src/store/state.ts';
import { stateBackends } from '../../support/state-backends.ts';

const { backends } = stateBackends();
const before = { found: '2030-01-10', missing: '2030-01-05' };

/** Saves a work as recomputed, its dirty mark taken. */
function saveWork(state: StateStore, workId: string, status: string): void {
  state.transaction(() => state.works.saveWork(workId, status, '{}', 'r1'));
}

describe.each(backends)('crossref cache ($name)', (backend) => {
  it('notes wanted DOIs as pending once, keeping what is known of those it holds', () => {
    const state = backend.open();
    state.crossref.saveFound('10.1/a', '{"DOI":"10.1/a"}', '2030-01-01');
    state.crossref.want(['10.1/a', '10.1/b', '10.1/b', '10.1/c']);
    state.crossref.want([]);
    expect(state.crossref.get('10.1/a')).toEqual({ doi: '10.1/a', status: 'found', workJson: '{"DOI":"10.1/a"}', checkedAt: '2030-01-01' });
    expect(state.crossref.get('10.1/b')).toEqual({ doi: '10.1/b', status: 'pending', workJson: null, checkedAt: null });
    expect(state.crossref.get('10.1/z')).toBeUndefined();
    expect(state.crossref.counts()).toEqual({ found: 1, missing: 0, pending: 2 });
  });

  it('wants the DOIs of active works and of works waiting to be recomputed, not of others', () => {
    const state = backend.open();
    saveWork(state, 'doi:10.1/active', 'active');
    saveWork(state, 'doi:10.1/withdrawn', 'withdrawn');
    saveWork(state, 'record:s:x', 'active');
    state.records.save([
      { sourceId: 's', identifier: 'a', deleted: false, workId: 'doi:10.1/dirty', recordJson: '{}' },
      { sourceId: 's', identifier: 'b', deleted: false, workId: 'record:s:b', recordJson: '{}' },
    ]);
    state.crossref.saveMissing('10.1/active', '2030-01-01');
    state.crossref.wantWorks();
    expect(state.crossref.due(10, before)).toEqual(['10.1/dirty', '10.1/active']);
    expect(state.crossref.counts()).toEqual({ found: 0, missing: 1, pending: 1 });
  });

  it('gives pending DOIs first, then those of active works checked before their interval, up to the limit', () => {
    const state = backend.open();
    saveWork(state, 'doi:10.1/f-old', 'active');
    saveWork(state, 'doi:10.1/f-new', 'active');
    saveWork(state, 'doi:10.1/m-old', 'active');
    saveWork(state, 'doi:10.1/m-mid', 'active');
    saveWork(state, 'doi:10.1/gone', 'withdrawn');
    state.crossref.saveFound('10.1/f-old', '{}', '2030-01-09');
    state.crossref.saveFound('10.1/f-new', '{}', '2030-01-10');
    state.crossref.saveMissing('10.1/m-old', '2030-01-04');
    // Checked before the found interval, but missing ones have their own.
    state.crossref.saveMissing('10.1/m-mid', '2030-01-06');
    state.crossref.saveFound('10.1/gone', '{}', '2000-01-01');
    state.crossref.saveFound('10.1/no-work', '{}', '2000-01-01');
    state.crossref.want(['10.1/z-pending', '10.1/a-pending']);
    expect(state.crossref.due(10, before)).toEqual(['10.1/a-pending', '10.1/z-pending', '10.1/f-old', '10.1/m-old']);
    expect(state.crossref.due(3, before)).toEqual(['10.1/a-pending', '10.1/z-pending', '10.1/f-old']);
  });

  it('replaces what it knows of a DOI with the latest answer', () => {
    const state = backend.open();
    state.crossref.want(['10.1/a']);
    state.crossref.saveFound('10.1/a', '{"v":1}', '2030-01-01');
    state.crossref.saveMissing('10.1/a', '2030-01-02');
    expect(state.crossref.get('10.1/a')).toEqual({ doi: '10.1/a', status: 'missing', workJson: null, checkedAt: '2030-01-02' });
    state.crossref.saveFound('10.1/a', '{"v":2}', '2030-01-03');
    expect(state.crossref.get('10.1/a')).toEqual({ doi: '10.1/a', status: 'found', workJson: '{"v":2}', checkedAt: '2030-01-03' });
    expect(state.crossref.counts()).toEqual({ found: 1, missing: 0, pending: 0 });
  });
});
