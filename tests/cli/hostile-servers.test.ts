// What a broken or hostile server sends must not lose a record, leak a secret or wedge a
// source: each case against a real loopback server, real files and a real state database.
import { DatabaseSync } from 'node:sqlite';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { harvest } from '../../src/cli/harvest.ts';
import { Feed } from '../support/feed.ts';
import { startOaiServer, type TestServer } from '../support/oai-server.ts';
import { captureLogger, outputLines, tempDir, testConfig } from '../support/run.ts';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function setup(feed: Feed, source: Record<string, unknown> = {}) {
  server = await startOaiServer({ feeds: { kar: feed } });
  const config = testConfig([{ id: 'kar', baseUrl: server.feedUrl('kar'), ...source }]);
  const out = tempDir();
  const { logger, lines } = captureLogger();
  const run = (extra: Partial<Parameters<typeof harvest>[0]> = {}) => harvest({ config, outDir: out, logger, ...extra });
  return { out, run, logs: lines };
}

const listRequests = () => server!.requests.filter((r) => r.params['verb'] === 'ListRecords');

function expectEachOnce(out: string, n: number): void {
  const latest = new Map<string, number>();
  for (const l of outputLines(out)) latest.set(`${l.identifier} ${l.datestamp}`, (latest.get(`${l.identifier} ${l.datestamp}`) ?? 0) + 1);
  expect([...latest.values()].every((c) => c === 1)).toBe(true);
  expect(new Set(outputLines(out).map((l) => l.identifier)).size).toBe(n);
}

describe('server dates', () => {
  it('a responseDate that is not a date is never stored: the next run starts from our clock, and every source runs', async () => {
    const feed = new Feed({ records: 40, faults: { responseDate: 'not-a-date' } });
    const { out, run, logs } = await setup(feed);
    const first = await run();
    expect(first.ok).toBe(true);
    expect(logs.some((l) => String(l['msg']).includes('"not-a-date" is not a date') && l['url'])).toBe(true);
    delete feed.faults.responseDate;
    feed.touch(3, new Date().toISOString().replace(/\.\d+Z$/, 'Z'));
    const second = await run();
    expect(second.ok).toBe(true);
    const from = listRequests().at(-1)!.params['from']!;
    expect(Math.abs(Date.parse(from) - (Date.now() - 3_600_000))).toBeLessThan(120_000);
    expect(second.sources[0]!.records).toBe(1);
    expectEachOnce(out, 40);
  });

  it('a junk responseDate stored by an older version is read as the time the list was complete, not a crash', async () => {
    const { out, run, logs } = await setup(new Feed({ records: 10 }));
    expect((await run()).ok).toBe(true);
    const db = new DatabaseSync(join(out, 'state.sqlite'));
    db.prepare(`UPDATE lists SET last_complete_response_date = 'not-a-date'`).run();
    db.close();
    const again = await run();
    expect(again.ok).toBe(true);
    expect(logs.some((l) => l['level'] === 40 && String(l['msg']).includes('starting from our clock'))).toBe(true);
    expect(listRequests().at(-1)!.params['from']).toMatch(/^\d{4}-\d{2}-\d{2}T/);
  });

  it('a server clock far ahead does not make the next run ask from the future and miss every change', async () => {
    const feed = new Feed({ records: 30, faults: { responseDate: '2099-01-01T00:00:00Z' } });
    const { out, run, logs } = await setup(feed);
    expect((await run()).ok).toBe(true);
    expect(logs.some((l) => String(l['msg']).includes('more than a day ahead of ours'))).toBe(true);
    feed.touch(7, new Date().toISOString().replace(/\.\d+Z$/, 'Z'));
    const second = await run();
    expect(listRequests().at(-1)!.params['from']! < '2099').toBe(true);
    expect(second.sources[0]!.records).toBe(1);
    expectEachOnce(out, 30);
  });
});
