// A partitioned harvest: the list cut into datestamp windows harvested side by side, each
// checkpointed on its own; nothing lost or doubled at the edges; the next run is incremental.
import { afterEach, describe, expect, it } from 'vitest';
import { harvest } from '../../src/pipeline/harvest.ts';
import { Feed } from '../support/feed.ts';
import { startOaiServer, type TestServer } from '../support/oai-server.ts';
import { captureLogger, outputLines, tempDir, testConfig } from '../support/run.ts';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const N = 1000;
/** Datestamps two days apart from 2021-01-01 (the repository's earliestDatestamp) to 2026-06. */
const STEP = 2 * 86_400_000;

async function setup(latencyMs = 0) {
  const feed = new Feed({ records: N, pageSize: 50, deletedEvery: 17, latencyMs, datestampStepMs: STEP });
  server = await startOaiServer({ feeds: { big: feed } });
  const config = testConfig([{ id: 'big', baseUrl: server.feedUrl('big'), partitions: 4, concurrency: 2 }]);
  const out = tempDir();
  const listRequests = () => server!.requests.filter((r) => r.params['verb'] === 'ListRecords');
  return { feed, config, out, listRequests };
}

describe('partitioned harvest', () => {
  it('harvests four disjoint windows two at a time, every record once, then runs incrementally', async () => {
    const { config, out, listRequests, feed } = await setup(10);
    const first = await harvest({ config, outDir: out, logger: captureLogger().logger, parserThreads: 1 });
    expect(first.ok).toBe(true);
    expect(first.sources[0]!.lists.map((l) => l.list)).toEqual([1, 2, 3, 4].map((i) => expect.stringMatching(new RegExp(`^oai_dc@p\\w+#${i}/4$`))));
    const windows = first.sources[0]!.lists.map((l) => [l.from, l.until]);
    // Contiguous and disjoint, open at both ends: each window starts one second after the last one ends.
    expect(windows[0]![0]).toBeNull();
    expect(windows[3]![1]).toBeNull();
    for (let i = 1; i < 4; i++) expect(Date.parse(windows[i]![0]!) - Date.parse(windows[i - 1]![1]!)).toBe(1000);
    // Each window held records (the datestamps span most of the range).
    expect(first.sources[0]!.lists.every((l) => l.records > 100)).toBe(true);
    // Records dated exactly on a window's first second are in it, and in no other.
    const ids = outputLines(out).map((l) => l.identifier);
    expect(ids).toHaveLength(N);
    expect(new Set(ids).size).toBe(N);
    // Two windows were fetched at once (the source's concurrency), never more.
    const firstPages = listRequests().filter((r) => r.params['metadataPrefix']).map((r) => `${r.params['from']}..${r.params['until']}`);
    expect(new Set(firstPages).size).toBe(4);
    const inFlight = (t: number) => listRequests().filter((r) => r.at <= t && (r.end ?? Infinity) > t).length;
    expect(Math.max(...listRequests().map((r) => inFlight(r.at)))).toBe(2);

    // The next run is one incremental list from the earliest window's server time, not windows.
    feed.touch(5, new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'), { title: 'changed' });
    const before = listRequests().length;
    const second = await harvest({ config, outDir: out, logger: captureLogger().logger, parserThreads: 1 });
    expect(second.ok).toBe(true);
    expect(second.sources[0]!.lists.map((l) => l.list)).toEqual(['oai_dc']);
    expect(second.sources[0]!.lists[0]!.from).not.toBeNull();
    expect(second.sources[0]!.records).toBe(1);
    expect(listRequests().length - before).toBe(1);
  }, 30_000);

  it('resumes each window from its own checkpoint after an interruption, with nothing doubled', async () => {
    const { config, out } = await setup(5);
    const stop = new AbortController();
    let pages = 0;
    const interrupted = await harvest({
      config, outDir: out, logger: captureLogger().logger, parserThreads: 1, signal: stop.signal,
      progress: {
        list: (p) => {
          if (p.state === 'running' && p.pages > 0 && ++pages === 7) stop.abort();
        },
        wait: () => {},
      },
    });
    expect(interrupted.ok).toBe(false);
    const partial = outputLines(out).length;
    expect(partial).toBeGreaterThan(0);
    expect(partial).toBeLessThan(N);

    const resumed = await harvest({ config, outDir: out, logger: captureLogger().logger, parserThreads: 1 });
    expect(resumed.ok).toBe(true);
    // The same plan's windows, resumed rather than restarted.
    expect(resumed.sources[0]!.lists.map((l) => l.list)).toEqual(interrupted.sources[0]!.lists.map((l) => l.list));
    expect(resumed.sources[0]!.lists.some((l) => l.resumed)).toBe(true);
    const ids = outputLines(out).map((l) => l.identifier);
    expect(ids).toHaveLength(N);
    expect(new Set(ids).size).toBe(N);
  }, 30_000);

  it('writes every record again, once, on a partitioned --full harvest', async () => {
    const { config, out } = await setup();
    await harvest({ config, outDir: out, logger: captureLogger().logger, parserThreads: 1 });
    const full = await harvest({ config, outDir: out, logger: captureLogger().logger, parserThreads: 1, full: true });
    expect(full.ok).toBe(true);
    expect(full.sources[0]!.lists).toHaveLength(4);
    const ids = outputLines(out).map((l) => l.identifier);
    expect(ids).toHaveLength(2 * N);
    expect(new Set(ids).size).toBe(N);
  }, 30_000);
});
