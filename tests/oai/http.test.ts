import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ForbiddenError, NetworkError, NotOaiResponseError, ResponseTooLargeError, RetryBudgetExhaustedError, XmlError,
} from '../../src/oai/errors.ts';
import { Feed } from '../support/feed.ts';
import { startOaiServer, type TestServer } from '../support/oai-server.ts';
import { collect, testClient } from '../support/harness.ts';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function serve(feed: Feed, http = {}) {
  server = await startOaiServer({ feeds: { f: feed } });
  return testClient(server.feedUrl('f'), http);
}

describe('HTTP faults', () => {
  it.each(['seconds', 'date'] as const)('waits out 503 with Retry-After as %s and loses nothing', async (form) => {
    const { client, http, close } = await serve(new Feed({ records: 150, faults: { status503: { times: 2, retryAfter: form } } }));
    const started = Date.now();
    const records = await collect(client.listRecords({ metadataPrefix: 'oai_dc' }));
    await close();
    expect(records).toHaveLength(150);
    expect(http.stats.retries).toBe(2);
    // Retry-After is about a second each time: it was honoured, not the 20 ms backoff.
    expect(Date.now() - started).toBeGreaterThan(1500);
  });

  it('honours 429 Retry-After too', async () => {
    const { client, http, close } = await serve(new Feed({ records: 10, faults: { status429: { times: 1 } } }));
    expect(await collect(client.listRecords({ metadataPrefix: 'oai_dc' }))).toHaveLength(10);
    expect(http.stats.retries).toBe(1);
    await close();
  });

  it('gives up with a clear error when 503s outlast the retry budget', async () => {
    const { client, close } = await serve(new Feed({ records: 10, faults: { status503: { times: 1000, retryAfter: 'none' } } }), {
      retry: { maxAttempts: 100, maxContentAttempts: 3, baseDelayMs: 50, maxDelayMs: 100, maxRetryAfterMs: 1000, budgetMs: 500 },
    });
    const failure = await client.identify().catch((e: unknown) => e);
    await close();
    expect(failure).toBeInstanceOf(RetryBudgetExhaustedError);
    expect((failure as Error).message).toMatch(/retry budget of 1 s spent .* HTTP 503/);
    expect((failure as RetryBudgetExhaustedError).verb).toBe('Identify');
  });

  it('retries a connection reset in the middle of a body', async () => {
    const { client, http, close } = await serve(new Feed({ records: 300, faults: { resetMidBody: { page: 1, times: 2 } } }));
    const records = await collect(client.listRecords({ metadataPrefix: 'oai_dc' }));
    await close();
    expect(records).toHaveLength(300);
    expect(new Set(records.map((r) => r.header.identifier)).size).toBe(300);
    expect(http.stats.retries).toBe(2);
  });

  it('retries truncated XML, then reports it as truncated', async () => {
    const ok = await serve(new Feed({ records: 300, faults: { truncated: { page: 2, times: 1 } } }));
    expect(await collect(ok.client.listRecords({ metadataPrefix: 'oai_dc' }))).toHaveLength(300);
    await ok.close();
    await server!.close();
    const bad = await serve(new Feed({ records: 300, faults: { truncated: { page: 2, times: 99 } } }));
    const failure = await collect(bad.client.listRecords({ metadataPrefix: 'oai_dc' })).catch((e: unknown) => e);
    await bad.close();
    expect(failure).toBeInstanceOf(XmlError);
    expect((failure as Error).message).toMatch(/truncated/);
  });

  it('reports an HTML page with status 200, quoting it', async () => {
    const { client, close } = await serve(new Feed({ records: 300, faults: { html200: { page: 1, times: 99 } } }));
    const failure = await collect(client.listRecords({ metadataPrefix: 'oai_dc' })).catch((e: unknown) => e);
    await close();
    expect(failure).toBeInstanceOf(NotOaiResponseError);
    expect((failure as Error).message).toContain('Down for maintenance');
  });

  it('reads gzip the server did not announce', async () => {
    const { client, close } = await serve(new Feed({ records: 150, faults: { gzipUndeclared: true } }));
    expect(await collect(client.listRecords({ metadataPrefix: 'oai_dc' }))).toHaveLength(150);
    await close();
  });

  it.each(['zlib', 'raw'] as const)('reads deflate (%s)', async (deflate) => {
    const { client, close } = await serve(new Feed({ records: 150, faults: { deflate } }));
    expect(await collect(client.listRecords({ metadataPrefix: 'oai_dc' }))).toHaveLength(150);
    await close();
  });

  it('repairs and counts control characters, keeping tabs and line breaks', async () => {
    const { client, close } = await serve(new Feed({ records: 5, faults: { controlChars: true } }));
    const pages = await collect(client.recordPages({ metadataPrefix: 'oai_dc' }));
    await close();
    // Per record: a raw vertical tab, a raw U+0001 and a &#11; reference.
    expect(pages[0]!.repairedChars).toBe(15);
    const dc = (pages[0]!.items[0]!.metadata as { dc: Record<string, string[]> }).dc;
    expect(dc['title']![0]).toBe('Record number 1 & its <title>  ');
    expect(dc['description']![0]).toContain('\t');
    expect(dc['description']![0]).toContain('\n');
  });

  it('stops at 403 without retrying', async () => {
    const { client, http, close } = await serve(new Feed({ faults: { forbidden: true } }));
    await expect(client.identify()).rejects.toBeInstanceOf(ForbiddenError);
    expect(http.stats.requests).toBe(1);
    await close();
  });

  it('caps the response size', async () => {
    const { client, close } = await serve(new Feed({ records: 100, padding: 2000 }), { maxResponseBytes: 64 * 1024 });
    await expect(collect(client.listRecords({ metadataPrefix: 'oai_dc' }))).rejects.toBeInstanceOf(ResponseTooLargeError);
    await close();
  });

  it('reports a server that is down as a network error naming the URL', async () => {
    const { client, close } = testClient('http://127.0.0.1:9/oai', { retry: { maxAttempts: 2, maxContentAttempts: 1, baseDelayMs: 10, maxDelayMs: 10, maxRetryAfterMs: 10, budgetMs: 1000 } });
    const failure = await client.identify().catch((e: unknown) => e);
    await close();
    expect(failure).toBeInstanceOf(NetworkError);
    expect((failure as NetworkError).url).toBe('http://127.0.0.1:9/oai?verb=Identify');
    expect((failure as Error).message).toMatch(/ECONNREFUSED/);
  });

  it('follows redirects and times out a server that never answers', async () => {
    const hang = createServer((req, res) => {
      if (req.url?.startsWith('/moved')) res.writeHead(302, { location: req.url.replace('/moved', '/hang') }).end();
      // /hang: never answers
    });
    await new Promise<void>((r) => hang.listen(0, '127.0.0.1', r));
    const port = (hang.address() as AddressInfo).port;
    const { client, close } = testClient(`http://127.0.0.1:${port}/moved`, {
      readTimeoutMs: 200,
      retry: { maxAttempts: 2, maxContentAttempts: 1, baseDelayMs: 10, maxDelayMs: 10, maxRetryAfterMs: 10, budgetMs: 1000 },
    });
    const failure = await client.identify().catch((e: unknown) => e);
    await close();
    hang.closeAllConnections();
    hang.close();
    expect(failure).toBeInstanceOf(NetworkError);
    expect((failure as Error).message).toMatch(/timeout/i);
  });

  it('keeps at most one request in flight per host and spaces them by minDelayMs', async () => {
    const { client, close } = await serve(new Feed({ records: 10 }), { minDelayMs: 150 });
    await Promise.all([client.identify(), client.identify(), client.identify()]);
    await close();
    const times = server!.requests.map((r) => r.at);
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(140);
    expect(times[2]! - times[1]!).toBeGreaterThanOrEqual(140);
  });
});
