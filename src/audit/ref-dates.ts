// Date arithmetic as the REF compliance tooling does it (EPrints hefce_oa / REF2029_CC).

/** A partial date counts as the end of its period: 2021 → 2021-12-31, 2021-09 → 2021-09-30. */
export function endOfPeriod(date: string): string {
  const [y, m, d] = date.slice(0, 10).split('-');
  if (d !== undefined) return `${y}-${m}-${d}`;
  if (m !== undefined) return `${y}-${m}-${String(daysInMonth(Number(y), Number(m))).padStart(2, '0')}`;
  return `${y}-12-31`;
}

/**
 * Perl Time::Piece add_months: the month moves, the day stays, and a day the month lacks
 * rolls over into the next (30 Nov + 3 months → 2 Mar, not 28 Feb).
 */
export function addMonths(date: string, months: number): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const target = new Date(Date.UTC(y, m - 1 + months, 1));
  target.setUTCDate(d);
  return target.toISOString().slice(0, 10);
}

export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to.slice(0, 10)}T00:00:00Z`) - Date.parse(`${from.slice(0, 10)}T00:00:00Z`)) / 86_400_000);
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}
