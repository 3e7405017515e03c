import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { datestampWindows } from '../../src/oai/windows.ts';

describe('datestampWindows', () => {
  it('cuts days into disjoint windows, open at both ends', () => {
    expect(datestampWindows('2020-01-01', '2020-01-10', 3, 'YYYY-MM-DD')).toEqual([
      { from: undefined, until: '2020-01-03' },
      { from: '2020-01-04', until: '2020-01-06' },
      { from: '2020-01-07', until: undefined },
    ]);
  });

  it('never makes more windows than units, nor an empty one', () => {
    expect(datestampWindows('2020-01-01', '2020-01-02', 8, 'YYYY-MM-DD')).toEqual([
      { from: undefined, until: '2020-01-01' },
      { from: '2020-01-02', until: undefined },
    ]);
    expect(datestampWindows('2020-01-01T00:00:00Z', '2020-01-01T00:00:00Z', 4, 'YYYY-MM-DDThh:mm:ssZ')).toEqual([{ from: undefined, until: undefined }]);
  });

  it('puts every datestamp in exactly one window, at either granularity', () => {
    const day = 86_400_000;
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 20_000 }), fc.integer({ min: 0, max: 5_000 }), fc.integer({ min: 1, max: 40 }), fc.boolean(), fc.integer({ min: -3000, max: 8000 }),
        (startDay, spanDays, count, seconds, probeOffset) => {
          const granularity = seconds ? 'YYYY-MM-DDThh:mm:ssZ' : 'YYYY-MM-DD';
          const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
          const fmt = (ms: number) => (seconds ? iso(ms) : iso(ms).slice(0, 10));
          const start = startDay * day + 1_000_000;
          const windows = datestampWindows(iso(start), iso(start + spanDays * day), count, granularity);
          expect(windows.length).toBeGreaterThanOrEqual(1);
          expect(windows.length).toBeLessThanOrEqual(count);
          // Any datestamp, inside the range or not: exactly one window holds it (string order is date order).
          const probe = fmt(start + probeOffset * (day / 2));
          const holding = windows.filter((w) => (w.from === undefined || w.from <= probe) && (w.until === undefined || probe <= w.until));
          expect(holding).toHaveLength(1);
        },
      ),
    );
  });
});
