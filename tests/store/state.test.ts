import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { StateStore } from '../../src/store/state.ts';
import { tempDir } from '../support/run.ts';

const header = (identifier: string, datestamp: string, deleted = false) => ({ identifier, datestamp, setSpecs: [], deleted });

describe('StateStore', () => {
  it('marks a record for writing when new or changed, and once per harvest when full', () => {
    const state = StateStore.open(join(tempDir(), 'state.sqlite'));
    expect(state.noteRecord('s', header('a', '2021-01-01'), 'h1', false)).toBe(true);
    expect(state.noteRecord('s', header('a', '2021-01-01'), 'h1', false)).toBe(false);
    expect(state.noteRecord('s', header('a', '2021-01-02'), 'h1', false)).toBe(true);
    expect(state.noteRecord('s', header('a', '2021-01-02', true), 'h1', false)).toBe(true);
    expect(state.noteRecord('s', header('a', '2021-01-02', true), 'h2', true)).toBe(true);
    expect(state.noteRecord('s', header('a', '2021-01-02', true), 'h2', true)).toBe(false);
    expect(state.recordCounts('s')).toEqual({ live: 0, deleted: 1 });
    state.close();
  });

  it('tells, for a whole page at once, which headers must be written', () => {
    const state = StateStore.open(join(tempDir(), 'state.sqlite'));
    state.noteRecord('s', header('a', '2021-01-01'), 'h1', false);
    state.noteRecord('s', header('b', '2021-01-01'), 'h1', false);
    const page = [header('a', '2021-01-01'), header('b', '2021-02-01'), header('c', '2021-01-01'), header('a', '2021-01-01', true)];
    expect(state.needsWrite('s', page, 'h1', false)).toEqual([false, true, true, true]);
    expect(state.needsWrite('other', page, 'h1', false)).toEqual([true, true, true, true]);
    expect(state.needsWrite('s', page.slice(0, 1), 'h2', true)).toEqual([true]);
    state.close();
  });

  it('rolls a page back whole when the work inside the transaction throws', () => {
    const file = join(tempDir(), 'state.sqlite');
    const state = StateStore.open(file);
    state.startHarvest({ harvestId: 'h', sourceId: 's', listKey: 'oai_dc', metadataPrefix: 'oai_dc', setSpec: null, fromArg: null, untilArg: null, full: false, outputFile: 'x' });
    expect(() =>
      state.transaction(() => {
        state.noteRecord('s', header('a', '2021'), 'h', false);
        state.checkpoint('h', { token: 't', responseDate: 'r', written: 1, deleted: 0, unchanged: 0, lastDatestamp: '2021', outputOffset: 10, completeListSize: null });
        throw new Error('disk full');
      }),
    ).toThrow('disk full');
    expect(state.runningHarvest('s', 'oai_dc')).toMatchObject({ token: null, pages: 0, outputOffset: 0 });
    expect(state.recordCounts('s')).toEqual({ live: 0, deleted: 0 });
    state.close();
    // Survives reopening, and completion records the first responseDate for the next run.
    const again = StateStore.open(file);
    again.checkpoint('h', { token: null, responseDate: '2030-01-01T00:00:00Z', written: 0, deleted: 0, unchanged: 0, lastDatestamp: null, outputOffset: 0, completeListSize: 0 });
    again.completeHarvest('h');
    expect(again.lastCompleteResponseDate('s', 'oai_dc')).toBe('2030-01-01T00:00:00Z');
    expect(again.runningHarvest('s', 'oai_dc')).toBeUndefined();
    again.close();
  });
});
