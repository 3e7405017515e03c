// COUNTER Item Reports (ir, ir_a1) in R5 and R5.1 → rows of item, month, metric and count,
// and COUNTER exceptions → what to do about them (docs: usage-statistics.md §4). Pure.
import { HarvestError, type ErrorCode } from '../oai/errors.ts';
import { doiKey, normalizeDoi } from '../identifiers/doi.ts';

export type CounterRelease = '5' | '5.1';
export const COUNTER_METRICS = ['Total_Item_Requests', 'Unique_Item_Requests'] as const;

export interface CounterRow {
  item: string;
  /** Lower-cased bare DOI, when the report gives one. */
  doi: string | null;
  /** The platform's own identifier (R5 "Proprietary"), e.g. an OAI identifier. */
  proprietary: string | null;
  uri: string | null;
  /** YYYY-MM */
  month: string;
  metric: string;
  count: number;
}

export interface CounterException {
  code: number;
  message: string;
  data?: string;
}

/** What an exception means for this request. */
export type CounterOutcome = 'ok' | 'empty' | 'later' | 'config' | 'partial' | 'failed';

export interface CounterReport {
  release: CounterRelease;
  reportId: string;
  rows: CounterRow[];
  exceptions: CounterException[];
  /** Counts that were not whole numbers of zero or more: left out, each with what the server sent. */
  invalid: { item: string; month: string; metric: string; value: string }[];
}

/** A count as COUNTER means one: a whole number of zero or more (a numeric string is taken). */
function countOf(value: unknown): number | undefined {
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : NaN;
  return Number.isInteger(n) && n >= 0 ? n : undefined;
}

type RawRow = Omit<CounterRow, 'count'> & { count: unknown };

function checkedRows(raw: readonly RawRow[]): Pick<CounterReport, 'rows' | 'invalid'> {
  const rows: CounterRow[] = [];
  const invalid: CounterReport['invalid'] = [];
  for (const r of raw) {
    const count = countOf(r.count);
    if (count === undefined) invalid.push({ item: r.item, month: r.month, metric: r.metric, value: String(JSON.stringify(r.count) ?? r.count).slice(0, 40) });
    else rows.push({ ...r, count });
  }
  return { rows, invalid };
}

export class CounterError extends HarvestError {
  override readonly code: ErrorCode = 'OAIH_COUNTER';
  readonly exceptions: CounterException[];
  constructor(message: string, exceptions: CounterException[] = []) {
    super(message, { stage: 'stats' });
    this.exceptions = exceptions;
  }
}

/** The report URL: R5 {url}/reports/{id}; R5.1 {url}/r51/reports/{id} (the release is in the path). */
export function reportUrl(base: string, release: CounterRelease, reportId: string, params: Record<string, string>): string {
  const root = base.replace(/\/+$/, '');
  const path = release === '5.1' && !/\/r51$/.test(root) ? `${root}/r51` : root;
  return `${path}/reports/${reportId.toLowerCase()}?${new URLSearchParams(params)}`;
}

/**
 * The outcome of a set of exceptions, the most serious first: authorisation and argument
 * errors are configuration errors; busy, queued and not-ready mean try later; 3030 means no
 * usage for the period (an empty month, not a failure); 3040 partial data.
 */
export function counterOutcome(exceptions: readonly CounterException[]): CounterOutcome {
  const codes = exceptions.map((e) => e.code);
  if (codes.some((c) => (c >= 2000 && c < 3000) || c === 1030 || c === 3020 || c === 3050 || (c >= 3060 && c <= 3070))) return 'config';
  if (codes.some((c) => c === 1000 || c === 1010 || c === 1011 || c === 1020 || c === 3031)) return 'later';
  if (codes.some((c) => c === 3032)) return 'failed';
  if (codes.includes(3030)) return 'empty';
  if (codes.includes(3040)) return 'partial';
  return 'ok';
}

/** Reads an exception body, or a lone exception, or an array of them (servers send all three). */
export function exceptionsOf(json: unknown): CounterException[] {
  const list = Array.isArray(json) ? json : [json];
  return list
    .filter((e): e is Record<string, unknown> => typeof e === 'object' && e !== null && 'Code' in e)
    .map((e) => ({ code: Number(e['Code']), message: String(e['Message'] ?? ''), ...(e['Data'] !== undefined ? { data: String(e['Data']) } : {}) }));
}

/** Parses an Item Report of either release, branching on Report_Header.Release. */
export function parseCounterReport(json: unknown, metrics: readonly string[] = COUNTER_METRICS): CounterReport {
  if (typeof json !== 'object' || json === null) throw new CounterError('a COUNTER report must be a JSON object');
  const lone = exceptionsOf(json);
  if (lone.length > 0 && !('Report_Header' in json)) return { release: '5', reportId: '', rows: [], exceptions: lone, invalid: [] };
  const report = json as { Report_Header?: Record<string, unknown>; Report_Items?: unknown[] };
  const header = report.Report_Header;
  if (!header) throw new CounterError('the report has no Report_Header');
  const release = String(header['Release'] ?? '');
  if (release !== '5' && release !== '5.1') throw new CounterError(`unsupported COUNTER release "${release}"`);
  const exceptions = exceptionsOf(header['Exceptions'] ?? []);
  const items = Array.isArray(report.Report_Items) ? report.Report_Items : [];
  const wanted = new Set(metrics);
  const checked = checkedRows(release === '5' ? rowsR5(items, wanted) : rowsR51(items, wanted));
  return { release, reportId: String(header['Report_ID'] ?? ''), ...checked, exceptions };
}

function ids(entries: { type: string; value: string }[]): Pick<CounterRow, 'doi' | 'proprietary' | 'uri'> {
  const get = (t: string) => entries.find((e) => e.type.toLowerCase() === t)?.value ?? null;
  const doi = get('doi');
  const normalized = doi ? normalizeDoi(doi) : undefined;
  return { doi: normalized ? doiKey(normalized) : null, proprietary: get('proprietary'), uri: get('uri') };
}

function rowsR5(items: unknown[], wanted: Set<string>): RawRow[] {
  const rows: RawRow[] = [];
  for (const raw of items) {
    const item = raw as { Item?: string; Item_ID?: { Type: string; Value: string }[]; Performance?: { Period: { Begin_Date: string }; Instance: { Metric_Type: string; Count: number }[] }[] };
    const identifiers = ids((item.Item_ID ?? []).map((i) => ({ type: i.Type, value: i.Value })));
    for (const p of item.Performance ?? []) {
      const month = p.Period.Begin_Date.slice(0, 7);
      for (const instance of p.Instance ?? []) {
        if (!wanted.has(instance.Metric_Type)) continue;
        rows.push({ item: item.Item ?? '', ...identifiers, month, metric: instance.Metric_Type, count: instance.Count });
      }
    }
  }
  return rows;
}

function rowsR51(parents: unknown[], wanted: Set<string>): RawRow[] {
  const rows: RawRow[] = [];
  for (const rawParent of parents) {
    // Items are grouped under their parent; a report without parent details lists them directly.
    const parent = rawParent as { Items?: unknown[] };
    for (const raw of parent.Items ?? [rawParent]) {
      const item = raw as { Item?: string; Item_ID?: Record<string, string>; Attribute_Performance?: { Performance?: Record<string, Record<string, number>> }[] };
      const identifiers = ids(Object.entries(item.Item_ID ?? {}).map(([type, value]) => ({ type, value: String(value) })));
      for (const ap of item.Attribute_Performance ?? []) {
        for (const [metric, months] of Object.entries(ap.Performance ?? {})) {
          if (!wanted.has(metric)) continue;
          for (const [month, n] of Object.entries(months)) rows.push({ item: item.Item ?? '', ...identifiers, month, metric, count: n });
        }
      }
    }
  }
  return rows;
}
