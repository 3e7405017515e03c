// What a broken or hostile server sends must not lose a record, leak a secret or wedge a
// source: each case against a real loopback server, real files and a real state database.
import { DatabaseSync } from 'node:sqlite';
import { join } from 'node:path';
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

describe('the list flow', () => {
  it('a server that advertises seconds but refuses them is asked again by days, and incremental runs work', async () => {
    const feed = new Feed({ records: 30, faults: { refuseSeconds: true } });
    const { out, run, logs } = await setup(feed);
    expect((await run()).ok).toBe(true);
    feed.touch(4, new Date().toISOString().replace(/\.\d+Z$/, 'Z'));
    const second = await run();
    expect(second.ok).toBe(true);
    expect(second.sources[0]!.records).toBe(1);
    expect(listRequests().at(-1)!.params['from']).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(logs.some((l) => String(l['msg']).includes('asking again by days'))).toBe(true);
    expectEachOnce(out, 30);
  });

  it('an OAI error on a page that also carries records and a token fails the list, naming the page; the rerun finishes it', async () => {
    const feed = new Feed({ records: 250, pageSize: 100, faults: { errorBesideRecords: { page: 1, times: 1 } } });
    const { out, run } = await setup(feed);
    const first = await run();
    expect(first.ok).toBe(false);
    expect(first.sources[0]!.error).toMatchObject({ name: 'ProtocolViolationError', verb: 'ListRecords', url: expect.stringContaining('resumptionToken=') });
    expect(first.sources[0]!.error!.message).toContain('OAI-PMH error (noRecordsMatch) and <ListRecords> content beside it');
    expect(first.sources[0]!.records).toBe(100);
    const second = await run();
    expect(second.ok).toBe(true);
    expectEachOnce(out, 250);
    expect(outputLines(out)).toHaveLength(250);
  });

  it('a loop under new tokens (the same records page after page) is stopped by progress, not by token comparison', async () => {
    const feed = new Feed({ records: 500, pageSize: 50, faults: { disguisedLoop: { page: 2 } } });
    const { out, run } = await setup(feed, { maxRepeatedPages: 3 });
    const first = await run();
    expect(first.ok).toBe(false);
    expect(first.sources[0]!.error).toMatchObject({ name: 'TokenLoopError', url: expect.stringContaining('resumptionToken='), firstId: 'oai:test.example:101' });
    expect(first.sources[0]!.error!.message).toMatch(/^3 pages in a row held only records already harvested in this list/);
    // Pages 1-3 were new; three more repeats of page 3 ended it. Beyond those six, at most the
    // pages fetched ahead: two waiting in the queue and one on its way (more of them on a slow machine).
    expect(listRequests().length).toBeLessThanOrEqual(6 + 2 + 1);
    delete feed.faults.disguisedLoop;
    const second = await run();
    expect(second.sources[0]!.error ?? null).toBeNull();
    expectEachOnce(out, 500);
    expect(outputLines(out)).toHaveLength(500);
  });

  it('writes and holds the newest of two versions of a record on one page', async () => {
    const feed = new Feed({ records: 20, faults: { olderVersionAfter: { page: 0, id: 5 } } });
    const { out, run } = await setup(feed);
    const first = await run();
    expect(first.ok).toBe(true);
    const fives = outputLines(out).filter((l) => l.identifier === 'oai:test.example:5');
    expect(fives).toHaveLength(1);
    expect(fives[0]!.datestamp).toBe(feed.records[4]!.datestamp);
    // The state holds the newest: the next run, served the current version, writes nothing.
    delete feed.faults.olderVersionAfter;
    const second = await run({ full: false });
    expect(second.sources[0]!.records).toBe(0);
  });
});

describe('hostile content', () => {
  it('a CDATA section holding a pasted web page, DOCTYPE and all, is text, not a refused DOCTYPE', async () => {
    const { out, run } = await setup(new Feed({ records: 15, faults: { cdataDoctype: true } }));
    const summary = await run();
    expect(summary.ok).toBe(true);
    const line = outputLines(out)[0]!;
    expect((line.metadata as { dc: Record<string, string[]> }).dc['description']![0]).toContain('<!DOCTYPE html><html><body><p>Pasted</p></body></html>');
    expect((line.record as Record<string, any>).abstract).toMatch(/Pasted$/);
    expectEachOnce(out, 15);
  });
});

describe('slow servers', () => {
  it('a body that trickles in a byte at a time fails at the whole-request deadline, naming the page; the rerun finishes', async () => {
    const feed = new Feed({ records: 150, pageSize: 100, faults: { trickle: { page: 1, everyMs: 50 } } });
    const { out, run } = await setup(feed, { requestTimeoutMs: 1_000, readTimeoutMs: 5_000 });
    const started = Date.now();
    const first = await run();
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(first.ok).toBe(false);
    expect(first.sources[0]!.error).toMatchObject({ name: 'RequestDeadlineError', verb: 'ListRecords', url: expect.stringContaining('resumptionToken=') });
    expect(first.sources[0]!.error!.message).toContain('took longer than 1 s in all');
    delete feed.faults.trickle;
    expect((await run()).ok).toBe(true);
    expectEachOnce(out, 150);
    expect(outputLines(out)).toHaveLength(150);
  });

  it('the stop signal ends a request that is trickling in, and the run stops at once, resumable', async () => {
    const feed = new Feed({ records: 150, pageSize: 100, faults: { trickle: { page: 1, everyMs: 50 } } });
    const { out, run } = await setup(feed, { requestTimeoutMs: 600_000 });
    const stop = new AbortController();
    const trickling = setInterval(() => {
      if (server!.requests.some((r) => r.params['resumptionToken'])) stop.abort();
    }, 20);
    const started = Date.now();
    const first = await run({ signal: stop.signal });
    clearInterval(trickling);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(['StoppedError', 'InterruptedError']).toContain(first.sources[0]!.error?.name);
    delete feed.faults.trickle;
    expect((await run()).ok).toBe(true);
    expectEachOnce(out, 150);
  });
});
