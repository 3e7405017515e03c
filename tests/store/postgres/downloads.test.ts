// Download counts, alike on both backends; on PostgreSQL, one month saved by two workers at once.
import { describe, expect, it } from 'vitest';
import type { MonthCounts } from '../../../src/store/downloads.ts';
import { PgConnection } from '../../../src/store/postgres/connection.ts';
import type { StateStore } from '../../../src/store/state.ts';
import { contender, stateBackends, waitForLockWaiters } from '../../support/state-backends.ts';

const { backends, cluster } = stateBackends();

const month = (rows: MonthCounts['rows'], more: Partial<MonthCounts> = {}): MonthCounts => ({
  sourceId: 's', month: '2030-01', metrics: ['irstats2:downloads'], rows, outcome: 'ok', ...more,
});

/** Records a, b and c of source s in works A, B and C, none of them waiting to be recomputed. */
function withRecords(state: StateStore): void {
  state.records.save(['a', 'b', 'c'].map((id) => ({ sourceId: 's', identifier: id, deleted: false, workId: `doi:10.1/${id.toUpperCase()}`, recordJson: '{}' })));
  clearDirty(state);
}

function clearDirty(state: StateStore): void {
  for (const work of state.works.dirtyBatch(100)) state.transaction(() => state.works.takeDirtyMark(work.workId, work.mark));
}

const dirty = (state: StateStore) => state.works.dirtyBatch(100).map((w) => w.workId);

describe.each(backends)('downloads ($name)', (backend) => {
  it("replaces a month's counts of one metric family, keeping the other families' and months'", () => {
    const state = backend.open();
    state.downloads.saveMonth(month([{ identifier: 'a', metric: 'irstats2:downloads', count: 3 }, { identifier: 'b', metric: 'irstats2:downloads', count: 1 }]));
    state.downloads.saveMonth(month([{ identifier: 'a', metric: 'counter:Total_Item_Requests', count: 9 }], { metrics: ['counter:Total_Item_Requests', 'counter:Unique_Item_Requests'] }));
    state.downloads.saveMonth(month([{ identifier: 'a', metric: 'irstats2:downloads', count: 2 }], { month: '2030-02' }));
    state.downloads.saveMonth(month([{ identifier: 'a', metric: 'irstats2:downloads', count: 4 }]));
    expect([...state.downloads.all()].map((d) => [d.identifier, d.month, d.metric, d.count])).toEqual([
      ['a', '2030-01', 'counter:Total_Item_Requests', 9],
      ['a', '2030-01', 'irstats2:downloads', 4],
      ['a', '2030-02', 'irstats2:downloads', 2],
    ]);
  });

  it('keeps the last count of an item given twice in one month', () => {
    const state = backend.open();
    state.downloads.saveMonth(month([{ identifier: 'a', metric: 'irstats2:downloads', count: 3 }, { identifier: 'a', metric: 'irstats2:downloads', count: 5 }]));
    expect([...state.downloads.all()].map((d) => d.count)).toEqual([5]);
  });

  it('marks for recomputing only the works whose counts changed, appeared or went', () => {
    const state = backend.open();
    withRecords(state);
    state.downloads.saveMonth(month([{ identifier: 'a', metric: 'irstats2:downloads', count: 3 }, { identifier: 'b', metric: 'irstats2:downloads', count: 1 }]));
    expect(dirty(state)).toEqual(['doi:10.1/A', 'doi:10.1/B']);
    clearDirty(state);
    // a unchanged, b gone, c new, and an item no record of the source is.
    state.downloads.saveMonth(month([{ identifier: 'a', metric: 'irstats2:downloads', count: 3 }, { identifier: 'c', metric: 'irstats2:downloads', count: 2 }, { identifier: 'x', metric: 'irstats2:downloads', count: 1 }]));
    expect(dirty(state)).toEqual(['doi:10.1/B', 'doi:10.1/C']);
  });

  it('remembers a month as fetched only when it came back whole', () => {
    const state = backend.open();
    state.downloads.saveMonth(month([]));
    state.downloads.noteMonth('s', '2030-02', 'not ready');
    state.downloads.noteMonth('s', '2030-03', 'ok');
    state.downloads.noteMonth('s', '2030-03', 'not ready');
    expect(state.downloads.fetchedMonths('s')).toEqual(new Set(['2030-01']));
    expect(state.downloads.fetchedMonths('t')).toEqual(new Set());
  });

  it("sums a work's downloads per metric and month over its live copies", () => {
    const state = backend.open();
    state.records.save([
      { sourceId: 's', identifier: 'a', deleted: false, workId: 'doi:10.1/x', recordJson: '{}' },
      { sourceId: 't', identifier: 'b', deleted: false, workId: 'doi:10.1/x', recordJson: '{}' },
      { sourceId: 't', identifier: 'c', deleted: false, workId: 'doi:10.1/x', recordJson: '{}' },
    ]);
    state.records.save([{ sourceId: 't', identifier: 'c', deleted: true, workId: null, recordJson: null }]);
    state.downloads.saveMonth(month([{ identifier: 'a', metric: 'irstats2:downloads', count: 3 }]));
    state.downloads.saveMonth(month([{ identifier: 'b', metric: 'irstats2:downloads', count: 4 }, { identifier: 'c', metric: 'irstats2:downloads', count: 100 }], { sourceId: 't' }));
    state.downloads.saveMonth(month([{ identifier: 'b', metric: 'irstats2:downloads', count: 1 }], { sourceId: 't', month: '2029-12' }));
    expect(state.downloads.ofWork('doi:10.1/x')).toEqual([
      { metric: 'irstats2:downloads', month: '2029-12', count: 1 },
      { metric: 'irstats2:downloads', month: '2030-01', count: 7 },
    ]);
    expect(state.downloads.ofWork('doi:10.1/none')).toEqual([]);
  });

  it("gives every row with its record's work, in key order, past the length of a page", () => {
    const state = backend.open();
    withRecords(state);
    const identifiers = Array.from({ length: 1201 }, (_, i) => `item-${String(i).padStart(4, '0')}`).concat(['a', 'b']);
    state.downloads.saveMonth(month(identifiers.map((identifier) => ({ identifier, metric: 'irstats2:downloads', count: 1 }))));
    state.downloads.saveMonth(month([{ identifier: 'a', metric: 'irstats2:downloads', count: 2 }], { month: '2030-02' }));
    state.downloads.saveMonth(month([{ identifier: 'a', metric: 'irstats2:downloads', count: 2 }], { sourceId: 'r' }));
    const all = [...state.downloads.all()];
    expect(all).toHaveLength(1205);
    expect(all.slice(0, 4)).toEqual([
      { sourceId: 'r', identifier: 'a', month: '2030-01', metric: 'irstats2:downloads', count: 2, workId: null },
      { sourceId: 's', identifier: 'a', month: '2030-01', metric: 'irstats2:downloads', count: 1, workId: 'doi:10.1/A' },
      { sourceId: 's', identifier: 'a', month: '2030-02', metric: 'irstats2:downloads', count: 2, workId: 'doi:10.1/A' },
      { sourceId: 's', identifier: 'b', month: '2030-01', metric: 'irstats2:downloads', count: 1, workId: 'doi:10.1/B' },
    ]);
    const keys = all.map((d) => [d.sourceId, d.identifier, d.month].join('\u0000'));
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys).toEqual([...keys].sort());
  });
});

describe('downloads (postgres, several workers)', () => {
  const postgres = backends.find((b) => b.name === 'postgres')!;

  it("leaves one worker's counts when two save one month at once", async () => {
    const location = postgres.newLocation();
    const database = new URL(location).pathname.slice(1);
    postgres.open(location).downloads.saveMonth(month([{ identifier: 'old', metric: 'irstats2:downloads', count: 1 }]));
    const workers = await Promise.all([contender(), contender()]);
    // Both saves wait on the month's row, locked here, and go on together once it is free.
    const holder = new PgConnection(location);
    let saved;
    try {
      holder.query('BEGIN');
      holder.run(`UPDATE downloads SET count = count WHERE identifier = 'old'`);
      const saves = workers.map((w, i) => w.go({ location, call: 'downloads.saveMonth', args: [month([{ identifier: `w${i}`, metric: 'irstats2:downloads', count: 1 }])] }));
      await waitForLockWaiters(cluster(), database, 2);
      holder.query('COMMIT');
      saved = await Promise.all(saves);
    } finally {
      holder.close();
    }
    expect(saved).toEqual([{ ok: true, result: null }, { ok: true, result: null }]);
    const left = [...postgres.open(location).downloads.all()].map((d) => d.identifier);
    expect([['w0'], ['w1']]).toContainEqual(left);
  });
});
