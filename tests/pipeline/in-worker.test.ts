// A run in a worker thread of its own: the same records and summary as a run in this thread,
// its log lines, progress and stop passed across, its errors kept apart by class and code.
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/config.ts';
import { harvestInWorker, RunWorkerError, scheduleInWorker } from '../../src/pipeline/in-worker.ts';
import type { ListProgress } from '../../src/pipeline/harvest.ts';
import { Feed } from '../support/feed.ts';
import { startOaiServer, type TestServer } from '../support/oai-server.ts';
import { outputLines, tempDir, testConfig } from '../support/run.ts';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const config = (baseUrl: string) => testConfig([{ id: 'kar', baseUrl }]);

describe('a run in a worker thread', () => {
  it('harvests every record once, and sends its log lines and each page\'s progress to the caller', async () => {
    server = await startOaiServer({ feeds: { kar: new Feed({ records: 250, pageSize: 50 }) } });
    const dir = tempDir();
    const lines: Record<string, unknown>[] = [];
    const pages: ListProgress[] = [];
    const run = await harvestInWorker({ config: config(server.feedUrl('kar')), outDir: join(dir, 'out'), logLevel: 'info' }, {
      onLog: (line) => lines.push(JSON.parse(line) as Record<string, unknown>),
      progress: { list: (p) => pages.push(p), wait: () => {} },
    });
    expect(run.ok).toBe(true);
    expect(run.sources[0]).toMatchObject({ source: 'kar', status: 'ok', records: 250, pages: 5 });
    expect(new Set(outputLines(join(dir, 'out')).map((l) => l.identifier)).size).toBe(250);
    expect(lines).toContainEqual(expect.objectContaining({ msg: 'source finished', source: 'kar' }));
    expect(pages.filter((p) => p.state === 'running' && p.pages > 0).map((p) => p.received)).toEqual([50, 100, 150, 200, 250]);
    expect(pages.at(-1)).toMatchObject({ state: 'complete', received: 250, completeListSize: 250 });
  });

  it('stops after the page in hand when the caller\'s signal aborts, and the source is interrupted', async () => {
    server = await startOaiServer({ feeds: { kar: new Feed({ records: 2000, pageSize: 50, latencyMs: 20 }) } });
    const dir = tempDir();
    const stop = new AbortController();
    const run = await harvestInWorker({ config: config(server.feedUrl('kar')), outDir: join(dir, 'out'), logLevel: 'warn' }, {
      onLog: () => {},
      progress: { list: (p) => p.pages === 3 && stop.abort(), wait: () => {} },
      signal: stop.signal,
    });
    expect(run.sources[0]!.status).toBe('interrupted');
    const written = outputLines(join(dir, 'out')).length;
    expect(written).toBeGreaterThanOrEqual(150);
    expect(written).toBeLessThan(2000);
  });

  it('gives a configuration error back as one, and any other with its code', async () => {
    const dir = tempDir();
    // A schedule of sources none of which has a schedule.
    await expect(scheduleInWorker({ config: config('http://127.0.0.1:9/oai'), outDir: join(dir, 'out'), logLevel: 'warn' }, { onLog: () => {} }))
      .rejects.toThrow(ConfigError);
    // A state file that is not a database: a failure of no class of ours, with its code.
    const state = join(dir, 'not-a-database.sqlite');
    writeFileSync(state, 'this is not SQLite');
    const failure = await harvestInWorker({ config: config('http://127.0.0.1:9/oai'), outDir: join(dir, 'out'), stateFile: state, logLevel: 'warn' }, { onLog: () => {} }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(RunWorkerError);
    expect((failure as RunWorkerError).message).toMatch(/not a database|file is not a database/i);
    expect((failure as RunWorkerError).code).toBe('OAIH_INTERNAL');
  });

  it('knows the secrets of the caller\'s thread: a password from a base URL, echoed by the server, is in no log line', async () => {
    const PASSWORD = 'pa55-word-in-the-url';
    const echo = createServer((_req, res) => res.writeHead(500).end(`database error for harvester:${PASSWORD}`));
    await new Promise<void>((ready) => echo.listen(0, '127.0.0.1', ready));
    const { port } = echo.address() as AddressInfo;
    try {
      const dir = tempDir();
      const lines: string[] = [];
      // Parsing the config registers the password here, in this thread.
      const run = await harvestInWorker({ config: config(`http://harvester:${PASSWORD}@127.0.0.1:${port}/oai`), outDir: join(dir, 'out'), logLevel: 'info' }, { onLog: (l) => lines.push(l) });
      expect(run.sources[0]!.status).toBe('failed');
      expect(lines.some((l) => l.includes('database error for harvester:'))).toBe(true);
      expect(lines.filter((l) => l.includes(PASSWORD))).toEqual([]);
    } finally {
      echo.close();
    }
  });
});
