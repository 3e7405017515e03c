// Ten sources on five hosts at once, one of them failing: the others are not held up, and
// each host's limits hold, as the servers' own request logs show.
import { afterAll, describe, expect, it } from 'vitest';
import { harvest } from '../../src/pipeline/harvest.ts';
import { Feed } from '../support/feed.ts';
import { startOaiServer, type LoggedRequest, type TestServer } from '../support/oai-server.ts';
import { captureLogger, outputLines, tempDir, testConfig } from '../support/run.ts';

const servers: TestServer[] = [];
afterAll(() => Promise.all(servers.map((s) => s.close())));

/** The most requests a server was answering at one moment. */
function maxInFlight(requests: readonly LoggedRequest[]): number {
  const events = requests.flatMap((r) => [{ t: r.at, d: 1 }, { t: r.end ?? Infinity, d: -1 }]).sort((a, b) => a.t - b.t || a.d - b.d);
  let now = 0;
  let max = 0;
  for (const e of events) max = Math.max(max, (now += e.d));
  return max;
}

describe('many sources at once', () => {
  it('harvests ten sources on five hosts within each host\'s limits; a failing one holds up no other', async () => {
    // Per host: requests at once, and the pause after each request.
    const limits = [
      { concurrency: 2, minDelayMs: 0 },
      { concurrency: 1, minDelayMs: 40 },
      { concurrency: 1, minDelayMs: 40 },
      { concurrency: 1, minDelayMs: 0 },
      { concurrency: 3, minDelayMs: 10 },
    ];
    const sources: Record<string, unknown>[] = [];
    for (const [i, limit] of limits.entries()) {
      const failing = i === 2;
      const server = await startOaiServer({
        address: `127.0.0.${i + 1}`,
        feeds: {
          a: new Feed({ records: 400, pageSize: 50, latencyMs: 15 }),
          b: new Feed({ records: 400, pageSize: 50, latencyMs: 15, faults: failing ? { status503: { times: 10_000, retryAfter: 'none' } } : {} }),
        },
      });
      servers.push(server);
      for (const feed of ['a', 'b']) {
        sources.push({
          id: `h${i + 1}-${feed}`, baseUrl: server.feedUrl(feed), ...limit,
          retry: { maxAttempts: 100, maxContentAttempts: 2, baseDelayMs: 100, maxDelayMs: 200, maxRetryAfterMs: 1000, budgetMs: 3000 },
        });
      }
    }
    const out = tempDir();
    const { logger, lines } = captureLogger();
    const run = await harvest({ config: testConfig(sources), outDir: out, logger, concurrency: 10, parserThreads: 1 });
    const finishOrder = lines.filter((l) => l['msg'] === 'source finished').map((l) => l['source']);

    const failed = run.sources.filter((s) => s.status !== 'ok');
    expect(failed.map((s) => [s.source, s.error?.name])).toEqual([['h3-b', 'RetryBudgetExhaustedError']]);
    const healthy = run.sources.filter((s) => s.status === 'ok');
    expect(healthy).toHaveLength(9);
    for (const s of healthy) expect(new Set(outputLines(out, s.source).map((l) => l.identifier)).size).toBe(400);
    // Every healthy source was done while the failing one was still spending its retry budget.
    expect(finishOrder).toHaveLength(10);
    expect(finishOrder.at(-1)).toBe('h3-b');

    for (const [i, limit] of limits.entries()) {
      const log = servers[i]!.requests;
      expect(log.every((r) => r.end !== undefined)).toBe(true);
      expect(maxInFlight(log)).toBeLessThanOrEqual(limit.concurrency);
      if (limit.concurrency === 1) {
        const sorted = [...log].sort((a, b) => a.at - b.at);
        const pauses = sorted.slice(1).map((r, k) => r.at - sorted[k]!.end!);
        // The server stamps its end before the client has read the last byte: a few ms of slack.
        expect(Math.min(...pauses)).toBeGreaterThanOrEqual(limit.minDelayMs - 3);
      }
    }
    // Hosts that allow it were worked on in parallel.
    expect(maxInFlight(servers[0]!.requests)).toBe(2);
  }, 60_000);
});
