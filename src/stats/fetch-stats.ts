// Download statistics for one source: which months to fetch, fetching them politely,
// matching items to the source's records, storing the counts (docs: usage-statistics.md).
import { ForbiddenError, HttpStatusError, RetryBudgetExhaustedError } from '../oai/errors.ts';
import { redactText, registerSecret } from '../oai/secrets.ts';
import { HttpClient, type HttpOptions, type HttpPool, type RetryEvent } from '../oai/http.ts';
import { bulkMonthCounts, bulkMonthUrl, irstats2Endpoint, IRSTATS2_DOWNLOADS, parseIrstats2 } from './irstats2.ts';
import { COUNTER_METRICS, counterOutcome, exceptionsOf, parseCounterReport, reportUrl, type CounterRow } from './counter.ts';
import type { StateStore } from '../store/state.ts';
import type { StatsConfig } from '../config/config.ts';

export interface StatsSummary {
  source: string;
  type: StatsConfig['type'];
  requests: number;
  months: { month: string; outcome: string }[];
  matched: number;
  unmatched: { item: string; month: string; metric: string; count: number }[];
  /** Counts the server sent that were not whole numbers: left out, never stored. */
  invalid?: { item: string; month: string; metric: string; value: string }[];
  error?: { message: string; kind: 'config' | 'source' };
}

/** YYYY-MM of `date`, and the month `back` months before it. */
export function monthOf(date: Date, back = 0): string {
  const d = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth() - back, 1));
  return d.toISOString().slice(0, 7);
}

/**
 * The months to fetch: the last `window` months, less those already fetched, except the
 * current month (incomplete) and the last complete one (servers still add late data).
 */
export function monthsToFetch(now: Date, window: number, fetched: ReadonlySet<string>): string[] {
  const months: string[] = [];
  for (let back = window - 1; back >= 0; back--) {
    const month = monthOf(now, back);
    if (back <= 1 || !fetched.has(month)) months.push(month);
  }
  return months;
}

export async function fetchSourceStats(
  sourceId: string,
  baseUrl: string,
  config: StatsConfig,
  http: { options: HttpOptions; pool: HttpPool; onRetry?: (event: RetryEvent) => void; stop?: AbortSignal | undefined },
  state: StateStore,
  options: { now: Date; months?: number | undefined },
): Promise<StatsSummary> {
  const summary: StatsSummary = { source: sourceId, type: config.type, requests: 0, months: [], matched: 0, unmatched: [] };
  const apiKey = config.type === 'counter' && config.apiKeyEnv ? process.env[config.apiKeyEnv] : undefined;
  if (config.type === 'counter' && config.apiKeyEnv && !apiKey) {
    summary.error = { kind: 'config', message: `environment variable ${config.apiKeyEnv} (the COUNTER API key) is not set` };
    return summary;
  }
  // Redacted before any URL reaches an error or a log line, and wherever a server echoes it.
  registerSecret(apiKey);
  const client = new HttpClient({ ...http.options, redactParams: ['api_key'] }, http.pool, http.onRetry, http.stop);
  const records = state.records.identifiers(sourceId);
  const byEprintId = new Map(records.map((r) => [/:(\d+)$/.exec(r.identifier)?.[1] ?? r.identifier, r.identifier]));
  const byIdentifier = new Set(records.map((r) => r.identifier));
  const byDoi = new Map<string, string>();
  for (const r of records) if (r.workId.startsWith('doi:')) byDoi.set(r.workId.slice(4), r.identifier);

  const window = options.months ?? config.months;
  const months = monthsToFetch(options.now, window, state.downloads.fetchedMonths(sourceId));
  try {
    for (const month of months) {
      if (config.type === 'irstats2') {
        const endpoint = config.url ?? irstats2Endpoint(baseUrl);
        if (!endpoint) throw new ConfigProblem(`no IRStats2 URL: the base URL does not end in /oai2; set "stats.url"`);
        const text = await fetchText(client, new URL(bulkMonthUrl(endpoint, month)), summary, 'irstats2');
        const rows = [];
        for (const { eprintId, count } of bulkMonthCounts(parseIrstats2(text))) {
          const identifier = byEprintId.get(eprintId);
          if (identifier) rows.push({ identifier, metric: IRSTATS2_DOWNLOADS, count });
          else summary.unmatched.push({ item: `eprintid ${eprintId}`, month, metric: IRSTATS2_DOWNLOADS, count });
        }
        summary.matched += rows.length;
        state.downloads.saveMonth({ sourceId, month, metrics: [IRSTATS2_DOWNLOADS], rows, outcome: 'ok' });
        summary.months.push({ month, outcome: 'ok' });
      } else {
        const params: Record<string, string> = { customer_id: config.customerId, begin_date: month, end_date: month };
        if (config.requestorId) params['requestor_id'] = config.requestorId;
        if (config.platform) params['platform'] = config.platform;
        if (config.report === 'ir') params['metric_type'] = COUNTER_METRICS.join('|');
        if (apiKey) params['api_key'] = apiKey;
        let json: unknown;
        try {
          json = JSON.parse(await fetchText(client, new URL(reportUrl(config.url, config.release, config.report, params)), summary, 'counter', true));
        } catch (error) {
          if (error instanceof SyntaxError) throw new Error(`the COUNTER server did not send JSON for ${month}`);
          throw error;
        }
        const report = parseCounterReport(json);
        if (report.invalid.length > 0) (summary.invalid ??= []).push(...report.invalid);
        const outcome = counterOutcome(report.exceptions.length > 0 ? report.exceptions : exceptionsOf(json));
        if (outcome === 'config') {
          const e = report.exceptions[0] ?? exceptionsOf(json)[0];
          throw new ConfigProblem(`COUNTER exception ${e?.code}: ${e?.message}`);
        }
        if (outcome === 'later' || outcome === 'failed') {
          state.downloads.noteMonth(sourceId, month, outcome);
          summary.months.push({ month, outcome: outcome === 'later' ? 'not ready; tried again next run' : 'no longer available' });
          continue;
        }
        const rows = [];
        for (const row of report.rows) {
          const identifier = matchCounterItem(row, byDoi, byIdentifier, byEprintId);
          if (identifier) rows.push({ identifier, metric: row.metric, count: row.count });
          else summary.unmatched.push({ item: row.doi ?? row.proprietary ?? row.item, month: row.month, metric: row.metric, count: row.count });
        }
        summary.matched += rows.length;
        state.downloads.saveMonth({ sourceId, month, metrics: COUNTER_METRICS, rows, outcome: 'ok' });
        summary.months.push({ month, outcome: outcome === 'empty' ? 'no usage' : outcome });
      }
    }
  } catch (error) {
    const config = error instanceof ConfigProblem || error instanceof ForbiddenError || (error instanceof HttpStatusError && error.status === 401);
    summary.error = { kind: config ? 'config' : 'source', message: redactText((error as Error).message) };
  }
  return summary;
}

class ConfigProblem extends Error {}

async function fetchText(client: HttpClient, url: URL, summary: StatsSummary, verb: string, anyStatus = false): Promise<string> {
  summary.requests++;
  try {
    return await client.get(url, { verb }, (response) => {
      if (!anyStatus && response.status >= 400) throw new HttpStatusError(response.status, '', { url: response.url, verb });
      return Buffer.from(response.body).toString('utf8');
    });
  } catch (error) {
    // COUNTER answers busy and queued with 503/429: the month is tried again next run.
    if (anyStatus && (error instanceof RetryBudgetExhaustedError || (error instanceof HttpStatusError && (error.status === 503 || error.status === 429)))) {
      return JSON.stringify({ Code: 1010, Message: error.message });
    }
    throw error;
  }
}

/** DOI first, then the repository's own identifier (an OAI identifier, or ending in the EPrints id). */
function matchCounterItem(row: CounterRow, byDoi: Map<string, string>, byIdentifier: Set<string>, byEprintId: Map<string, string>): string | undefined {
  if (row.doi && byDoi.has(row.doi)) return byDoi.get(row.doi);
  for (const id of [row.proprietary, row.uri]) {
    if (!id) continue;
    if (byIdentifier.has(id)) return id;
    const trailing = /[:/](\d+)\/?$/.exec(id)?.[1];
    if (trailing && byEprintId.has(trailing)) return byEprintId.get(trailing);
  }
  return undefined;
}
