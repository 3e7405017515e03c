import { describe, expect, it } from 'vitest';
import { monthOf } from '../../src/oai/dates.ts';
import { monthsToFetch } from '../../src/stats/fetch-stats.ts';

describe('statistics months', () => {
  const now = new Date('2024-03-15T10:00:00Z');

  it('counts months back across a year boundary', () => {
    expect(monthOf(now)).toBe('2024-03');
    expect(monthOf(now, 3)).toBe('2023-12');
    expect(monthOf(new Date('2024-01-31T23:59:59Z'), 1)).toBe('2023-12');
  });

  it('fetches the window on the first run, then only the current and last complete months', () => {
    expect(monthsToFetch(now, 4, new Set())).toEqual(['2023-12', '2024-01', '2024-02', '2024-03']);
    expect(monthsToFetch(now, 4, new Set(['2023-12', '2024-01', '2024-02', '2024-03']))).toEqual(['2024-02', '2024-03']);
  });

  it('backfills months never fetched when asked for a longer window', () => {
    const fetched = new Set(['2023-12', '2024-01', '2024-02', '2024-03']);
    expect(monthsToFetch(now, 6, fetched)).toEqual(['2023-10', '2023-11', '2024-02', '2024-03']);
  });
});
