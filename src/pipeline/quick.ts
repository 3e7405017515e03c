// One-call helpers for library users who want a verb without building a client.
import { OaiClient, type ListArguments, type ListOptions } from '../oai/client.ts';
import { DEFAULT_RETRY, HttpClient, HttpPool, type HttpOptions } from '../oai/http.ts';
import type { Identify, MetadataFormat, OaiHeader, OaiRecord, OaiSet } from '../oai/types.ts';
import { HttpStatusError } from '../oai/errors.ts';
import { monthOf } from '../oai/dates.ts';
import { DEFAULT_USER_AGENT } from '../config/config.ts';
import { itemMonthlyCounts, itemMonthlyUrl, parseIrstats2 } from '../stats/irstats2.ts';

/** HTTP settings for one-off requests (inspection commands and library helpers). */
export const ONE_OFF_HTTP: HttpOptions = {
  userAgent: DEFAULT_USER_AGENT, connectTimeoutMs: 30_000, readTimeoutMs: 120_000, requestTimeoutMs: 600_000, maxResponseBytes: 256 * 1024 * 1024,
  maxRedirects: 5, minDelayMs: 0, hostConcurrency: 1, retry: { ...DEFAULT_RETRY, maxAttempts: 3, budgetMs: 60_000 },
};


/** A client for one-off requests, and the pool to close afterwards. */
export function oneOffHttp(overrides: Partial<HttpOptions> = {}): { http: HttpClient; pool: HttpPool } {
  const pool = new HttpPool();
  return { http: new HttpClient({ ...ONE_OFF_HTTP, ...overrides }, pool), pool };
}

async function withClient<T>(baseUrl: string, overrides: Partial<HttpOptions>, work: (client: OaiClient) => Promise<T>): Promise<T> {
  const { http, pool } = oneOffHttp(overrides);
  try {
    return await work(new OaiClient(baseUrl, http));
  } finally {
    await pool.close();
  }
}

async function* listWith<T>(baseUrl: string, overrides: Partial<HttpOptions>, list: (client: OaiClient) => AsyncGenerator<T>): AsyncGenerator<T> {
  const { http, pool } = oneOffHttp(overrides);
  try {
    yield* list(new OaiClient(baseUrl, http));
  } finally {
    await pool.close();
  }
}

export const identify = (baseUrl: string, http: Partial<HttpOptions> = {}): Promise<Identify> => withClient(baseUrl, http, (c) => c.identify());
export const listMetadataFormats = (baseUrl: string, identifier?: string, http: Partial<HttpOptions> = {}): Promise<MetadataFormat[]> =>
  withClient(baseUrl, http, (c) => c.listMetadataFormats(identifier));
export const getRecord = (baseUrl: string, identifier: string, metadataPrefix = 'oai_dc', http: Partial<HttpOptions> = {}): Promise<OaiRecord> =>
  withClient(baseUrl, http, (c) => c.getRecord(identifier, metadataPrefix));
export const listRecords = (baseUrl: string, args: ListArguments, options: ListOptions = {}, http: Partial<HttpOptions> = {}): AsyncGenerator<OaiRecord> =>
  listWith(baseUrl, http, (c) => c.listRecords(args, options));
export const listIdentifiers = (baseUrl: string, args: ListArguments, options: ListOptions = {}, http: Partial<HttpOptions> = {}): AsyncGenerator<OaiHeader> =>
  listWith(baseUrl, http, (c) => c.listIdentifiers(args, options));
export const listSets = (baseUrl: string, http: Partial<HttpOptions> = {}): AsyncGenerator<OaiSet> => listWith(baseUrl, http, (c) => c.listSets());

/** One EPrints item's IRStats2 downloads per month, the last `months` months up to `now`. */
export async function itemDownloads(
  endpoint: string,
  eprintId: string,
  window: { months: number; now?: Date | undefined },
  http: Partial<HttpOptions> = {},
): Promise<{ month: string; count: number }[]> {
  const now = window.now ?? new Date();
  const { http: client, pool } = oneOffHttp(http);
  try {
    const target = new URL(itemMonthlyUrl(endpoint, eprintId, monthOf(now, window.months - 1), monthOf(now)));
    const text = await client.get(target, { verb: 'stats' }, (r) => {
      if (r.status >= 400) throw new HttpStatusError(r.status, '', { url: r.url, verb: 'stats' });
      return Buffer.from(r.body).toString('utf8');
    });
    return itemMonthlyCounts(parseIrstats2(text));
  } finally {
    await pool.close();
  }
}
