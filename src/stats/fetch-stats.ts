// Download statistics for one source: which months to fetch, fetching them politely,
// matching items to the source's records, storing the counts (docs: usage-statistics.md).
import { ForbiddenError, HarvestError, HttpStatusError, RetryBudgetExhaustedError, type ErrorCode } from '../oai/errors.ts';
import { redactText, registerSecret } from '../oai/secrets.ts';
import { HttpClient, type HttpHooks, type HttpOptions, type HttpPool } from '../oai/http.ts';
import { bulkMonthCounts, bulkMonthUrl, irstats2Endpoint, IRSTATS2_DOWNLOADS, parseIrstats2 } from './irstats2.ts';
import { COUNTER_METRICS, counterOutcome, exceptionsOf, parseCounterReport, reportUrl, type CounterRow } from './counter.ts';
import type { StateStore } from '../store/state.ts';
import { monthOf } from '../oai/dates.ts';
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

/** Why a source's statistics could not be fetched: `config` when the user must change something. */
export class StatsError extends HarvestError {
  override readonly code: ErrorCode;
  readonly kind: 'config' | 'source';
  constructor(error: { message: string; kind: 'config' | 'source' }) {
    super(`statistics: ${error.message}`, { stage: 'stats' });
    this.kind = error.kind;
    this.code = error.kind === 'config' ? 'OAIH_STATS_CONFIG' : 'OAIH_STATS';
  }
}

/** A statistics setting the server or the source cannot work with. */
class StatsConfigError extends HarvestError {
  override readonly code: ErrorCode = 'OAIH_STATS_CONFIG';
}

export interface StatsRequest {
  sourceId: string;
  baseUrl: string;
  config: StatsConfig;
  state: StateStore;
  http: { options: HttpOptions; pool: HttpPool; hooks?: HttpHooks | undefined };
  now: Date;
  /** A backfill: this many months back instead of the config's `months`. */
  months?: number | undefined;
}

/** One fetch of one source's statistics: its client, its records to match items to, what it found. */
interface StatsFetch {
  request: StatsRequest;
  client: HttpClient;
  apiKey: string | undefined;
  records: RecordIndex;
  summary: StatsSummary;
}

interface RecordIndex {
  byEprintId: Map<string, string>;
  byIdentifier: Set<string>;
  byDoi: Map<string, string>;
}

export async function fetchSourceStats(request: StatsRequest): Promise<StatsSummary> {
  const { sourceId, config, state, http } = request;
  const summary: StatsSummary = { source: sourceId, type: config.type, requests: 0, months: [], matched: 0, unmatched: [] };
  const apiKey = config.type === 'counter' && config.apiKeyEnv ? process.env[config.apiKeyEnv] : undefined;
  if (config.type === 'counter' && config.apiKeyEnv && !apiKey) {
    summary.error = { kind: 'config', message: `environment variable ${config.apiKeyEnv} (the COUNTER API key) is not set` };
    return summary;
  }
  // Redacted before any URL reaches an error or a log line, and wherever a server echoes it.
  registerSecret(apiKey);
  const client = new HttpClient({ ...http.options, redactParams: ['api_key'] }, http.pool, http.hooks);
  const fetch: StatsFetch = { request, client, apiKey, records: recordIndex(state, sourceId), summary };
  const months = monthsToFetch(request.now, request.months ?? config.months, state.downloads.fetchedMonths(sourceId));
  try {
    for (const month of months) {
      if (config.type === 'irstats2') await fetchIrstats2Month(fetch, config, month);
      else await fetchCounterMonth(fetch, config, month);
    }
  } catch (error) {
    const isConfig = error instanceof StatsConfigError || error instanceof ForbiddenError || (error instanceof HttpStatusError && error.status === 401);
    summary.error = { kind: isConfig ? 'config' : 'source', message: redactText((error as Error).message) };
  }
  return summary;
}

function recordIndex(state: StateStore, sourceId: string): RecordIndex {
  const records = state.records.identifiers(sourceId);
  const byDoi = new Map<string, string>();
  for (const r of records) if (r.workId.startsWith('doi:')) byDoi.set(r.workId.slice(4), r.identifier);
  return {
    byEprintId: new Map(records.map((r) => [/:(\d+)$/.exec(r.identifier)?.[1] ?? r.identifier, r.identifier])),
    byIdentifier: new Set(records.map((r) => r.identifier)),
    byDoi,
  };
}

async function fetchIrstats2Month(fetch: StatsFetch, config: Extract<StatsConfig, { type: 'irstats2' }>, month: string): Promise<void> {
  const { request, summary } = fetch;
  const endpoint = config.url ?? irstats2Endpoint(request.baseUrl);
  if (!endpoint) throw new StatsConfigError(`no IRStats2 URL: the base URL does not end in /oai2; set "stats.url"`, { stage: 'stats' });
  const text = await fetchText(fetch.client, new URL(bulkMonthUrl(endpoint, month)), summary, 'irstats2');
  const rows = [];
  for (const { eprintId, count } of bulkMonthCounts(parseIrstats2(text))) {
    const identifier = fetch.records.byEprintId.get(eprintId);
    if (identifier) rows.push({ identifier, metric: IRSTATS2_DOWNLOADS, count });
    else summary.unmatched.push({ item: `eprintid ${eprintId}`, month, metric: IRSTATS2_DOWNLOADS, count });
  }
  summary.matched += rows.length;
  request.state.downloads.saveMonth({ sourceId: request.sourceId, month, metrics: [IRSTATS2_DOWNLOADS], rows, outcome: 'ok' });
  summary.months.push({ month, outcome: 'ok' });
}

async function fetchCounterMonth(fetch: StatsFetch, config: Extract<StatsConfig, { type: 'counter' }>, month: string): Promise<void> {
  const { request, summary } = fetch;
  const json = await counterReport(fetch, config, month);
  const report = parseCounterReport(json);
  if (report.invalid.length > 0) (summary.invalid ??= []).push(...report.invalid);
  const outcome = counterOutcome(report.exceptions.length > 0 ? report.exceptions : exceptionsOf(json));
  if (outcome === 'config') {
    const e = report.exceptions[0] ?? exceptionsOf(json)[0];
    throw new StatsConfigError(`COUNTER exception ${e?.code}: ${e?.message}`, { stage: 'stats' });
  }
  if (outcome === 'later' || outcome === 'failed') {
    request.state.downloads.noteMonth(request.sourceId, month, outcome);
    summary.months.push({ month, outcome: outcome === 'later' ? 'not ready; tried again next run' : 'no longer available' });
    return;
  }
  const rows = [];
  for (const row of report.rows) {
    const identifier = matchCounterItem(row, fetch.records);
    if (identifier) rows.push({ identifier, metric: row.metric, count: row.count });
    else summary.unmatched.push({ item: row.doi ?? row.proprietary ?? row.item, month: row.month, metric: row.metric, count: row.count });
  }
  summary.matched += rows.length;
  request.state.downloads.saveMonth({ sourceId: request.sourceId, month, metrics: COUNTER_METRICS, rows, outcome: 'ok' });
  summary.months.push({ month, outcome: outcome === 'empty' ? 'no usage' : outcome });
}

async function counterReport(fetch: StatsFetch, config: Extract<StatsConfig, { type: 'counter' }>, month: string): Promise<unknown> {
  const params: Record<string, string> = { customer_id: config.customerId, begin_date: month, end_date: month };
  if (config.requestorId) params['requestor_id'] = config.requestorId;
  if (config.platform) params['platform'] = config.platform;
  if (config.report === 'ir') params['metric_type'] = COUNTER_METRICS.join('|');
  if (fetch.apiKey) params['api_key'] = fetch.apiKey;
  const text = await fetchText(fetch.client, new URL(reportUrl(config.url, config.release, config.report, params)), fetch.summary, 'counter', true);
  try {
    return JSON.parse(text);
  } catch {
    throw new HarvestError(`the COUNTER server did not send JSON for ${month}`, { stage: 'stats' });
  }
}

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
function matchCounterItem(row: CounterRow, { byDoi, byIdentifier, byEprintId }: RecordIndex): string | undefined {
  if (row.doi && byDoi.has(row.doi)) return byDoi.get(row.doi);
  for (const id of [row.proprietary, row.uri]) {
    if (!id) continue;
    if (byIdentifier.has(id)) return id;
    const trailing = /[:/](\d+)\/?$/.exec(id)?.[1];
    if (trailing && byEprintId.has(trailing)) return byEprintId.get(trailing);
  }
  return undefined;
}
