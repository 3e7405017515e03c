// A datestamp range cut into windows for a partitioned harvest. Windows are disjoint (until
// is inclusive, so each ends one unit before the next begins) and cover everything: the
// first has no `from` and the last no `until`, so a record dated outside the range (before
// a wrong earliestDatestamp, or changed while the harvest runs) still falls in one.
import type { Granularity } from './types.ts';

export interface DateWindow {
  from: string | undefined;
  until: string | undefined;
}

const DAY_MS = 86_400_000;

export function datestampWindows(start: string, end: string, count: number, granularity: Granularity): DateWindow[] {
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`window count must be a positive integer, not ${count}`);
  const unit = granularity === 'YYYY-MM-DD' ? DAY_MS : 1000;
  const first = floorTo(Date.parse(start), unit);
  const last = floorTo(Date.parse(end), unit);
  if (Number.isNaN(first) || Number.isNaN(last)) throw new RangeError(`cannot cut ${start} … ${end} into windows`);
  const units = Math.max(0, (last - first) / unit) + 1;
  const n = Math.min(count, units);
  const format = (ms: number) => {
    const iso = new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
    return granularity === 'YYYY-MM-DD' ? iso.slice(0, 10) : iso;
  };
  const starts = Array.from({ length: n }, (_, i) => first + Math.floor((i * units) / n) * unit);
  return starts.map((s, i) => ({
    from: i === 0 ? undefined : format(s),
    until: i === n - 1 ? undefined : format(starts[i + 1]! - unit),
  }));
}

function floorTo(ms: number, unit: number): number {
  return Math.floor(ms / unit) * unit;
}
