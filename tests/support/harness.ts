import type { HttpOptions } from '../../src/oai/http.ts';
import { HttpClient, HttpPool } from '../../src/oai/http.ts';
import { OaiClient, type OaiClientOptions } from '../../src/oai/client.ts';

/** Retry settings small enough for tests, same code paths as production. */
export const fastHttp: HttpOptions = {
  userAgent: 'oai-harvester-tests',
  connectTimeoutMs: 2_000,
  readTimeoutMs: 5_000,
  requestTimeoutMs: 30_000,
  maxResponseBytes: 50 * 1024 * 1024,
  maxRedirects: 5,
  minDelayMs: 0,
  hostConcurrency: 1,
  retry: { maxAttempts: 4, maxContentAttempts: 3, baseDelayMs: 20, maxDelayMs: 100, maxRetryAfterMs: 3_000, budgetMs: 20_000 },
};

export function testClient(baseUrl: string, http: Partial<HttpOptions> = {}, options: OaiClientOptions = {}) {
  const pool = new HttpPool();
  const httpClient = new HttpClient({ ...fastHttp, ...http }, pool);
  const client = new OaiClient(baseUrl, httpClient, { badTokenRetryDelayMs: 10, ...options });
  return { client, http: httpClient, close: async () => { await options.pageParser?.close(); await pool.close(); } };
}

export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

/** The first page of a list, without fetching the next one. */
export async function firstPage<P>(pages: AsyncGenerator<P>): Promise<P> {
  const first = await pages.next();
  await pages.return(undefined);
  if (first.done) throw new Error('the list had no page');
  return first.value;
}
