// The reads of file sources, alike on both backends.
import { describe, expect, it } from 'vitest';
import { stateBackends } from '../../support/state-backends.ts';

const { backends } = stateBackends();

describe.each(backends)('file reads ($name)', (backend) => {
  it('keeps the last read of each file source, replacing the one before', () => {
    const state = backend.open();
    expect(state.files.get('bib')).toBeUndefined();
    state.files.save({ sourceId: 'bib', path: '/a.bib', sha256: 'aa', entries: 3, readAt: '2030-01-01' });
    state.files.save({ sourceId: 'other', path: '/o.bib', sha256: 'oo', entries: 1, readAt: '2030-01-01' });
    state.files.save({ sourceId: 'bib', path: '/b.bib', sha256: 'bb', entries: 4, readAt: '2030-01-02' });
    expect(state.files.get('bib')).toEqual({ sourceId: 'bib', path: '/b.bib', sha256: 'bb', entries: 4, readAt: '2030-01-02' });
    expect(state.files.get('other')?.sha256).toBe('oo');
  });
});
