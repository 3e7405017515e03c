import type { Granularity } from './types.ts';

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const SECONDS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

export function isDatestamp(value: string): boolean {
  return (DAY.test(value) || SECONDS.test(value)) && !Number.isNaN(Date.parse(value));
}

/**
 * A from/until argument at the server's granularity. A day given to a seconds server
 * covers the whole day (until is inclusive); seconds given to a day server keep the day.
 */
export function toProtocolDate(value: string, granularity: Granularity, bound: 'from' | 'until'): string {
  if (!isDatestamp(value)) throw new RangeError(`"${value}" is not a date (YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ)`);
  if (granularity === 'YYYY-MM-DD') return value.slice(0, 10);
  if (value.length === 10) return `${value}T${bound === 'from' ? '00:00:00' : '23:59:59'}Z`;
  return value;
}

/** `instant` minus `overlapMs`, at the granularity; used to start an incremental run. */
export function fromWithOverlap(instant: string, overlapMs: number, granularity: Granularity): string {
  const at = Date.parse(instant);
  if (Number.isNaN(at)) throw new RangeError(`"${instant}" is not a date`);
  const iso = new Date(at - overlapMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
  return granularity === 'YYYY-MM-DD' ? iso.slice(0, 10) : iso;
}

/** A server clock this far ahead of ours is wrong: trusting it would skip every change made until then. */
export const MAX_CLOCK_AHEAD_MS = 86_400_000;

/**
 * The server's time (a responseDate) as an anchor for the next incremental harvest, or ours
 * when the server's is not a date or is more than a day ahead of ours, with the reason.
 */
export function trustedServerTime(serverTime: string, ours: Date): { value: string; distrust?: string } {
  const at = Date.parse(serverTime);
  const own = ours.toISOString().replace(/\.\d{3}Z$/, 'Z');
  if (!/^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z)?$/.test(serverTime.trim()) || Number.isNaN(at)) {
    return { value: own, distrust: `the server's responseDate "${serverTime.slice(0, 40)}" is not a date` };
  }
  if (at - ours.getTime() > MAX_CLOCK_AHEAD_MS) {
    return { value: own, distrust: `the server's clock (${serverTime}) is more than a day ahead of ours (${own})` };
  }
  return { value: serverTime.trim() };
}

/** YYYY-MM of `date`, and the month `back` months before it. */
export function monthOf(date: Date, back = 0): string {
  const d = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth() - back, 1));
  return d.toISOString().slice(0, 7);
}
