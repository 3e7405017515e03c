// EPrints IRStats2 (/cgi/stats/get … export=JSON) → monthly download counts per item. Pure.
// The server's JSON is not quite JSON: every value a string, `records` missing when empty,
// "null" counts for all-zero series, apostrophes escaped as \' (docs: usage-statistics.md §3).
import { HarvestError, type ErrorCode } from '../oai/errors.ts';

/** The metric name in outputs: IRStats2 downloads are not COUNTER metrics and never added to them. */
export const IRSTATS2_DOWNLOADS = 'irstats2:downloads';

export interface Irstats2Response {
  set: { name?: string; value?: string } | undefined;
  timescale: { from?: string; to?: string } | undefined;
  records: Record<string, string>[];
}

export class Irstats2Error extends HarvestError {
  override readonly code: ErrorCode = 'OAIH_IRSTATS2';
  constructor(message: string) {
    super(message, { stage: 'stats' });
  }
}

/** {perl_url}/oai2 → {perl_url}/stats/get; undefined for a base URL that is not EPrints-shaped. */
export function irstats2Endpoint(oaiBaseUrl: string): string | undefined {
  const url = new URL(oaiBaseUrl);
  if (!/\/oai2\/?$/.test(url.pathname)) return undefined;
  url.pathname = url.pathname.replace(/\/oai2\/?$/, '/stats/get');
  url.search = '';
  return url.href;
}

/** Every item's downloads in one month, in one request (the bulk path). */
export function bulkMonthUrl(endpoint: string, month: string): string {
  const [year, mm] = month.split('-').map(Number) as [number, number];
  const last = new Date(Date.UTC(year, mm, 0)).getUTCDate();
  const params = new URLSearchParams({
    from: `${year}${String(mm).padStart(2, '0')}01`, to: `${year}${String(mm).padStart(2, '0')}${last}`,
    datatype: 'downloads', view: 'Table', top: 'eprint', limit: 'all', export: 'JSON',
  });
  return `${endpoint}?${params}`;
}

/** One item's downloads per month over a period (zero months filled in by the server). */
export function itemMonthlyUrl(endpoint: string, eprintId: string, fromMonth: string, toMonth: string): string {
  const [ty, tm] = toMonth.split('-').map(Number) as [number, number];
  const last = new Date(Date.UTC(ty, tm, 0)).getUTCDate();
  const params = new URLSearchParams({
    set_name: 'eprint', set_value: eprintId, datatype: 'downloads', view: 'Google::Graph', date_resolution: 'month',
    from: `${fromMonth.replace('-', '')}01`, to: `${toMonth.replace('-', '')}${last}`, export: 'JSON',
  });
  return `${endpoint}?${params}`;
}

/** Parses IRStats2's JSON export, repairing its \' escapes; values stay strings. */
export function parseIrstats2(text: string): Irstats2Response {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    try {
      json = JSON.parse(text.replace(/\\'/g, "'"));
    } catch (error) {
      throw new Irstats2Error(`not IRStats2 JSON: ${(error as Error).message} (starts "${text.slice(0, 80).replace(/\s+/g, ' ')}")`);
    }
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new Irstats2Error('IRStats2 JSON is not an object');
  const o = json as Record<string, unknown>;
  const records = Array.isArray(o['records']) ? (o['records'] as unknown[]) : [];
  return {
    set: o['set'] as Irstats2Response['set'],
    timescale: o['timescale'] as Irstats2Response['timescale'],
    records: records.filter((r): r is Record<string, string> => typeof r === 'object' && r !== null),
  };
}

/** "12", 12, "null", "" → a count; anything else is an error, never a silent zero. */
export function count(value: unknown): number {
  if (value === 'null' || value === null || value === undefined || value === '') return 0;
  const n = typeof value === 'number' ? value : /^\s*\d+\s*$/.test(String(value)) ? Number(value) : NaN;
  if (!Number.isInteger(n) || n < 0) throw new Irstats2Error(`not a count: ${JSON.stringify(value)}`);
  return n;
}

/** The bulk Table view: `{eprintid, count}` rows (items with no download are absent). */
export function bulkMonthCounts(response: Irstats2Response): { eprintId: string; count: number }[] {
  return response.records
    .filter((r) => r['eprintid'] !== undefined)
    .map((r) => ({ eprintId: String(r['eprintid']).trim(), count: count(r['count']) }));
}

/** The per-item Graph view: `{datestamp: "YYYYMM", count}` rows → months. */
export function itemMonthlyCounts(response: Irstats2Response): { month: string; count: number }[] {
  return response.records
    .filter((r) => /^\d{6}$/.test(String(r['datestamp'] ?? '')))
    .map((r) => {
      const d = String(r['datestamp']);
      return { month: `${d.slice(0, 4)}-${d.slice(4, 6)}`, count: count(r['count']) };
    });
}
