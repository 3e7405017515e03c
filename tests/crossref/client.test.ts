import { afterEach, describe, expect, it } from 'vitest';
import { CrossrefClient, CrossrefRateLimitedError, type CrossrefOptions } from '../../src/crossref/client.ts';
import { DEFAULT_RETRY, HttpPool } from '../../src/oai/http.ts';
import { redactText } from '../../src/oai/secrets.ts';
import { CrossrefServer, seedWork } from '../support/crossref-server.ts';

let servers: CrossrefServer[] = [];
let pools: HttpPool[] = [];
afterEach(async () => {
  await Promise.all(pools.map((p) => p.close()));
  await Promise.all(servers.map((s) => s.stop()));
  servers = [];
  pools = [];
});

async function serve(): Promise<CrossrefServer> {
  const server = new CrossrefServer();
  servers.push(server);
  await server.start();
  return server;
}

function client(server: CrossrefServer, options: Partial<CrossrefOptions> = {}): CrossrefClient {
  const pool = new HttpPool();
  pools.push(pool);
  return new CrossrefClient({
    baseUrl: server.url, mailto: 'harvest@example.org', userAgent: 'oai-harvester/test', retry: { ...DEFAULT_RETRY, baseDelayMs: 50 }, ...options,
  }, pool);
}

/** Works 10.5555/n, each a copy of the seed with its own DOI. */
function numbered(server: CrossrefServer, n: number): string[] {
  return Array.from({ length: n }, (_, i) => {
    const doi = `10.5555/test.${i}`;
    server.add({ ...seedWork(), DOI: doi.toUpperCase() });
    return doi;
  });
}

describe('the Crossref client', () => {
  it('asks for twenty DOIs in one filtered request, in the polite pool, and tells found from unknown', async () => {
    const server = await serve();
    const known = numbered(server, 22);
    const answer = await client(server).works([...known, '10.5555/unknown']);
    expect([...answer.found.keys()].sort()).toEqual([...known].sort());
    expect(answer.missing).toEqual(['10.5555/unknown']);
    expect(server.requests.map((r) => r.path)).toEqual(['/works', '/works']);
    expect(server.requests[0]!.params).toMatchObject({ filter: known.slice(0, 20).map((d) => `doi:${d}`).join(','), rows: '20', mailto: 'harvest@example.org' });
    expect(server.requests[0]!.headers['user-agent']).toBe('oai-harvester/test; mailto:harvest@example.org)');
    expect(server.requests[0]!.headers['crossref-plus-api-token']).toBeUndefined();
  });

  it('asks for a DOI holding a comma on its own, encoded, and remembers a plain-text 404 as not a Crossref DOI', async () => {
    const server = await serve();
    server.add({ ...seedWork(), DOI: '10.1890/0012-9615(1999)069[0569:edilsa]2.0.co;2,x' });
    const answer = await client(server).works(['10.1890/0012-9615(1999)069[0569:edilsa]2.0.co;2,x', '10.1371/notarealdoi']);
    expect([...answer.found.keys()]).toEqual(['10.1890/0012-9615(1999)069[0569:edilsa]2.0.co;2,x']);
    expect(answer.missing).toEqual(['10.1371/notarealdoi']);
    // A batch of one is asked for by its own URL.
    expect(server.requests.map((r) => [r.path, r.status]).sort()).toEqual([
      ['/works/10.1371/notarealdoi', 404], ['/works/10.1890/0012-9615(1999)069[0569:edilsa]2.0.co;2,x', 200],
    ]);
  });

  it('slows down when the limits the responses state are lowered mid-run', async () => {
    const server = await serve();
    server.limits = { limit: 100, interval: '1s', concurrency: 4 };
    server.latencyMs = 20;
    // From the sixth request on, every response says: 4 requests a second, one at a time.
    server.onRequest = (n) => {
      if (n === 5) server.limits = { limit: 4, interval: '1s', concurrency: 1 };
    };
    // Sixteen: up to three requests may already be on their way when the sixth answer lowers the
    // limits (more on a loaded machine), and at least six must start after it.
    const dois = numbered(server, 16);
    const crossref = client(server, { batchSize: 1 });
    await crossref.works(dois);
    expect(crossref.limits).toEqual({ limit: 4, intervalMs: 1000, concurrency: 1 });

    const starts = server.requests.map((r) => r.at);
    const firstLowered = server.requests[5]!.end!;
    // The first answer lifts the cautious starting limits (5 a second, one at a time).
    const before = starts.slice(2, 5);
    const after = server.requests.filter((r) => r.at > firstLowered);
    expect(after.length).toBeGreaterThanOrEqual(6);
    // Before: 100 a second, four at once; after: one at a time, at least 250 ms apart.
    expect(before.at(-1)! - before[0]!).toBeLessThan(200);
    // Up to three may have been on their way before the lowering, and the times are the
    // server's, on the client's event loop: under load a request reaches the handler late and
    // one gap looks short (4 ms once in a full run), while the rate over the window holds.
    const settled = after.slice(3);
    const meanGap = (settled.at(-1)!.at - settled[0]!.at) / (settled.length - 1);
    expect(meanGap).toBeGreaterThanOrEqual(200);
    for (const [i, r] of settled.entries()) if (i > 0) expect(r.at).toBeGreaterThanOrEqual(settled[i - 1]!.end!);
  });

  it('ends a storm of 429s within the retry budget with a named error', async () => {
    const server = await serve();
    server.tooManyRequests = { times: Infinity, retryAfter: 1 };
    const started = Date.now();
    const error = await client(server, { retry: { ...DEFAULT_RETRY, baseDelayMs: 50, budgetMs: 2_500 } }).works(['10.5555/a']).catch((e: unknown) => e);
    const elapsed = Date.now() - started;
    expect(error).toBeInstanceOf(CrossrefRateLimitedError);
    expect(error).toMatchObject({ code: 'OAIH_CROSSREF_RATE_LIMITED', verb: 'crossref', url: expect.stringContaining('/works/10.5555/a') });
    expect(elapsed).toBeLessThan(2_500 + 1_500);
    expect(server.requests.length).toBeGreaterThanOrEqual(2);
  });

  it('sends the Metadata Plus token as a header only, and keeps it out of any text it redacts', async () => {
    const server = await serve();
    numbered(server, 1);
    const token = 'plus-token-5f2b9c0e71';
    await client(server, { token }).works(['10.5555/test.0']);
    expect(server.requests[0]!.headers['crossref-plus-api-token']).toBe(`Bearer ${token}`);
    expect(JSON.stringify(server.requests[0]!.params)).not.toContain(token);
    expect(redactText(`failed with ${token}`)).not.toContain(token);
  });
});
