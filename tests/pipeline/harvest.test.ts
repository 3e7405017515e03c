import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { closeHarvestResources, harvest, openHarvestResources } from '../../src/pipeline/harvest.ts';
import { Feed } from '../support/feed.ts';
import { startOaiServer, type TestServer } from '../support/oai-server.ts';
import { captureLogger, outputLines, tempDir, testConfig } from '../support/run.ts';
import { runTable } from '../../src/cli/report.ts';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function setup(feeds: Record<string, Feed>, sources?: Record<string, unknown>[]) {
  server = await startOaiServer({ feeds });
  const config = testConfig(sources ?? Object.keys(feeds).map((id) => ({ id, baseUrl: server!.feedUrl(id) })));
  const out = tempDir();
  const { logger, lines } = captureLogger();
  const run = (extra: Partial<Parameters<typeof harvest>[0]> = {}) => harvest({ config, outDir: out, logger, ...extra });
  return { out, run, logs: lines, config };
}

function expectExactly(lines: { identifier: string }[], n: number) {
  const ids = lines.map((l) => l.identifier);
  expect(ids).toHaveLength(n);
  expect(new Set(ids).size).toBe(n);
}

describe('harvest', () => {
  it('writes one line per record, tombstones for deleted ones, and a run summary', async () => {
    const { out, run } = await setup({ kar: new Feed({ records: 250, deletedEvery: 10 }) });
    const summary = await run();
    expect(summary.ok).toBe(true);
    const lines = outputLines(out);
    expectExactly(lines, 250);
    const tombstone = lines.find((l) => l.deleted)!;
    expect(tombstone).toMatchObject({ source: 'kar', metadata: null, setSpecs: [], metadataPrefix: 'oai_dc' });
    const live = lines.find((l) => !l.deleted)!;
    expect(live.metadata).toMatchObject({ dc: { creator: [expect.any(String), 'Other, Person B.'] }, lang: { title: ['en'] } });
    expect(live.setSpecs).toEqual(['7374617475733D707562', '74797065733D61727469636C65']);
    // Each line carries the common record beside the raw metadata.
    expect(live.record).toMatchObject({
      id: `kar:${live.identifier}`, schemaVersion: 2, formats: ['oai_dc'], sets: ['status=pub', 'types=article'],
      type: { label: 'journal article' }, peerReviewed: true, doi: `10.5555/test.${live.identifier.split(':').at(-1)}`,
      dates: { modified: { value: live.datestamp, field: 'header datestamp' } },
    });
    expect(tombstone.record).toMatchObject({ deleted: true, title: null, formats: [] });
    const saved = JSON.parse(readFileSync(summary.summaryFile, 'utf8'));
    expect(saved.sources[0]).toMatchObject({ source: 'kar', status: 'ok', pages: 3, records: 250, deleted: 25, retries: 0 });
    expect(saved.sources[0].lists[0]).toMatchObject({ status: 'complete', received: 250, completeListSize: 250 });
    expect(saved.sources[0].bytes).toBeGreaterThan(0);
  });

  it('parses pages in its own thread when the config asks for no parser threads, writing what the threads write', async () => {
    server = await startOaiServer({ feeds: { kar: new Feed({ records: 250, deletedEvery: 10 }) } });
    const sources = [{ id: 'kar', baseUrl: server.feedUrl('kar') }];
    const outputs = [];
    for (const parserThreads of [undefined, 0]) {
      const out = tempDir();
      const summary = await harvest({ config: testConfig(sources, { parserThreads }), outDir: out, logger: captureLogger().logger });
      expect(summary.ok).toBe(true);
      outputs.push(outputLines(out).map((l) => ({ identifier: l.identifier, deleted: l.deleted, metadata: l.metadata, record: l.record })));
    }
    expect(outputs[1]).toHaveLength(250);
    expect(outputs[1]).toEqual(outputs[0]);
    // No thread is started for the pages: they are read where the run is. The caller's option
    // goes before the config's.
    const none = testConfig(sources, { parserThreads: 0 });
    const startedFor = async (choice: Parameters<typeof openHarvestResources>[1]) => {
      const out = tempDir();
      const resources = openHarvestResources(join(out, 'state.sqlite'), choice);
      await harvest({ config: testConfig(sources), outDir: out, logger: captureLogger().logger, resources });
      const started = resources.workers.started;
      await closeHarvestResources(resources);
      return started;
    };
    expect(await startedFor({ config: none })).toBe(0);
    expect(await startedFor({ config: none, parserThreads: 1 })).toBe(1);
    // Unset: the machine's share of threads, one page each as they are needed.
    expect(await startedFor({ config: testConfig(sources) })).toBeGreaterThan(0);
  });

  it('starts the next run from the server responseDate minus the overlap, never the local clock', async () => {
    // The server's clock runs days behind ours (a server clock ahead by more than a day is not trusted).
    let clock = new Date('2025-06-01T12:00:00Z');
    const feed = new Feed({ records: 120, now: () => clock });
    const { out, run } = await setup({ kar: feed });
    await run();
    clock = new Date('2025-06-02T12:00:00Z');
    feed.touch(5, '2025-06-02T10:00:00Z');
    feed.touch(6, '2025-06-02T10:00:00Z', { deleted: true });
    const second = await run();
    const listRequests = server!.requests.filter((r) => r.params['verb'] === 'ListRecords' && r.params['metadataPrefix']);
    expect(listRequests.at(-1)!.params['from']).toBe('2025-06-01T11:00:00Z');
    expect(second.sources[0]).toMatchObject({ records: 2, deleted: 1 });
    const lines = outputLines(out);
    expect(lines).toHaveLength(122);
    expect(lines.filter((l) => l.identifier === 'oai:test.example:6').map((l) => l.deleted)).toEqual([false, true]);
  });

  it('skips records it already holds unchanged, and re-writes everything with full', async () => {
    const clock = new Date('2030-06-01T12:00:00Z');
    const feed = new Feed({ records: 50, now: () => clock });
    feed.touch(1, '2030-06-01T11:30:00Z');
    const { out, run } = await setup({ kar: feed });
    await run();
    const again = await run();
    // Record 1 falls inside the overlap: received again, written once.
    expect(again.sources[0]).toMatchObject({ records: 0, unchanged: 1 });
    const full = await run({ full: true });
    expect(full.sources[0]).toMatchObject({ records: 50, unchanged: 0 });
    expect(server!.requests.filter((r) => r.params['metadataPrefix']).at(-1)!.params['from']).toBeUndefined();
    expect(outputLines(out)).toHaveLength(100);
  });

  it.each([
    ['503 storms with Retry-After', { status503: { times: 2, retryAfter: 'seconds' as const } }],
    ['a connection reset mid-body', { resetMidBody: { page: 1, times: 1 } }],
    ['truncated XML once', { truncated: { page: 2, times: 1 } }],
    ['undeclared gzip', { gzipUndeclared: true }],
    ['control characters', { controlChars: true }],
    ['a refused token once', { badResumptionToken: { page: 2, times: 1 } }],
  ])('loses and duplicates nothing through %s', async (_name, faults) => {
    const { out, run } = await setup({ kar: new Feed({ records: 350, faults }) });
    const summary = await run();
    expect(summary.ok).toBe(true);
    expectExactly(outputLines(out), 350);
  });

  it('restarts the list after a token is refused twice and skips the records already written', async () => {
    const { out, run, logs } = await setup({ kar: new Feed({ records: 350, faults: { badResumptionToken: { page: 2, times: 2 } } }) });
    const summary = await run();
    expect(summary.ok).toBe(true);
    expect(summary.sources[0]!.lists[0]).toMatchObject({ restarts: 1, records: 350, unchanged: 200 });
    expectExactly(outputLines(out), 350);
    expect(logs.some((l) => String(l['msg']).includes('restarting the list'))).toBe(true);
    // The restart asks for the original list again, not from the last datestamp seen.
    const starts = server!.requests.filter((r) => r.params['verb'] === 'ListRecords' && r.params['metadataPrefix']);
    expect(starts).toHaveLength(2);
    expect(starts[1]!.params['from']).toBeUndefined();
  });

  it('fails the source on an HTML page, keeps the committed pages, and resumes from there', async () => {
    const feed = new Feed({ records: 350, faults: { html200: { page: 2, times: 99 } } });
    const { out, run, logs } = await setup({ kar: feed });
    const failed = await run();
    expect(failed.ok).toBe(false);
    expect(failed.sources[0]!.error).toMatchObject({ name: 'NotOaiResponseError', verb: 'ListRecords' });
    expect(failed.sources[0]!.error!.message).toContain('Down for maintenance');
    expect(failed.sources[0]!.error!.url).toContain('resumptionToken=');
    const errorLog = logs.find((l) => l['level'] === 50)!;
    expect(errorLog).toMatchObject({ source: 'kar', verb: 'ListRecords' });
    expect(String(errorLog['url'])).toContain('resumptionToken');
    expectExactly(outputLines(out), 200);

    feed.faults.html200 = undefined;
    const resumed = await run();
    expect(resumed.ok).toBe(true);
    expect(resumed.sources[0]!.lists[0]).toMatchObject({ resumed: true, records: 150 });
    const resumedStart = server!.requests.filter((r) => r.params['verb'] === 'ListRecords').at(-2)!;
    expect(resumedStart.params['resumptionToken']).toBeDefined();
    expectExactly(outputLines(out), 350);
  });

  it('reports a token loop as a failure, not a finished list', async () => {
    const { out, run } = await setup({ kar: new Feed({ records: 500, faults: { tokenLoop: { page: 2 } } }) });
    const summary = await run();
    expect(summary.ok).toBe(false);
    expect(summary.sources[0]!.error!.name).toBe('TokenLoopError');
    expectExactly(outputLines(out), 300);
  });

  it('names the formats the server offers when the configured one is not', async () => {
    server = await startOaiServer({ feeds: { kar: new Feed({ formats: ['oai_dc', 'rioxx'] }) } });
    const config = testConfig([{ id: 'kar', baseUrl: server.feedUrl('kar'), metadataPrefix: ['oai_dc', 'marcxml'] }]);
    const { logger } = captureLogger();
    const summary = await harvest({ config, outDir: tempDir(), logger });
    expect(summary.ok).toBe(false);
    const failed = summary.sources[0]!.lists.find((l) => l.metadataPrefix === 'marcxml')!;
    expect(failed.error).toMatchObject({ kind: 'config', name: 'CannotDisseminateFormatError' });
    expect(failed.error!.message).toContain('the server offers: oai_dc, rioxx');
    expect(summary.sources[0]!.lists.find((l) => l.metadataPrefix === 'oai_dc')!.status).toBe('complete');
  });

  it('harvests the other sources to the end when one fails', async () => {
    const { out, run } = await setup({
      good: new Feed({ records: 120 }),
      bad: new Feed({ faults: { forbidden: true } }),
    });
    const summary = await run();
    expect(summary.ok).toBe(false);
    expect(summary.sources.map((s) => [s.source, s.status])).toEqual([['good', 'ok'], ['bad', 'failed']]);
    expect(summary.sources[1]!.error!.name).toBe('ForbiddenError');
    expectExactly(outputLines(out, 'good'), 120);
  });

  it('harvests each configured set as its own list, at the server granularity', async () => {
    const feed = new Feed({ records: 30, granularity: 'YYYY-MM-DD' });
    server = await startOaiServer({ feeds: { kar: feed } });
    const config = testConfig([{ id: 'kar', baseUrl: server.feedUrl('kar'), sets: ['a', 'b'], from: '2021-01-01T05:00:00Z' }]);
    const { logger } = captureLogger();
    const summary = await harvest({ config, outDir: tempDir(), logger, until: '2030-01-01' });
    expect(summary.sources[0]!.lists.map((l) => [l.list, l.from, l.until])).toEqual([
      ['oai_dc|a', '2021-01-01', '2030-01-01'],
      ['oai_dc|b', '2021-01-01', '2030-01-01'],
    ]);
    const starts = server.requests.filter((r) => r.params['metadataPrefix']);
    expect(starts.map((r) => r.params['set'])).toEqual(['a', 'b']);
  });

  it('merges a record harvested in several formats, and keeps each format\'s own line', async () => {
    const feed = new Feed({ records: 30, formats: ['oai_dc', 'rioxx'] });
    server = await startOaiServer({ feeds: { kar: feed } });
    const config = testConfig([{ id: 'kar', baseUrl: server.feedUrl('kar'), metadataPrefix: ['oai_dc', 'rioxx'] }]);
    const out = tempDir();
    const { logger } = captureLogger();
    const summary = await harvest({ config, outDir: out, logger });
    expect(summary.ok).toBe(true);
    const lines = outputLines(out);
    expect(lines.filter((l) => l.metadataPrefix === 'oai_dc')).toHaveLength(30);
    const rioxx = lines.filter((l) => l.metadataPrefix === 'rioxx');
    expect(rioxx).toHaveLength(30);
    const merged = rioxx.find((l) => l.identifier === 'oai:test.example:7')!.record as Record<string, any>;
    expect(merged.formats).toEqual(['rioxx', 'oai_dc']);
    expect(merged.dates.accepted).toEqual({ value: '2021-05-08', field: 'rioxx dcterms:dateAccepted' });
    expect(merged.dates.published).toEqual({ value: '2021-08', field: 'dc:date' });
    expect(merged.doi).toBe('10.5555/test.7');
    expect(merged.doiInfo.field).toBe('rioxx rioxxterms:version_of_record');
    expect(merged.files[0]).toMatchObject({ version: 'accepted', licence: 'https://creativecommons.org/licenses/by/4.0/' });
    expect(merged.subjects).toEqual(['Subject 7']);
    expect(merged.fieldSources).toMatchObject({ files: 'rioxx', subjects: 'oai_dc', doi: 'rioxx', publisher: 'oai_dc' });
  });

  it.each([
    ['offers', ['oai_dc', 'rioxx'], ['oai_dc', 'rioxx']],
    ['does not offer', ['oai_dc'], ['oai_dc']],
  ])('harvests RIOXX as a richer format when the server %s it', async (_offers, formats, harvested) => {
    server = await startOaiServer({ feeds: { kar: new Feed({ records: 10, formats }) } });
    const config = testConfig([{ id: 'kar', baseUrl: server.feedUrl('kar'), richerFormats: ['rioxx'] }]);
    const out = tempDir();
    const { logger, lines: logs } = captureLogger();
    const summary = await harvest({ config, outDir: out, logger });
    expect(summary.ok).toBe(true);
    expect(summary.sources[0]!.lists.map((l) => l.metadataPrefix)).toEqual(harvested);
    const last = outputLines(out).filter((l) => l.identifier === 'oai:test.example:3').at(-1)!.record as Record<string, any>;
    expect(last.formats).toEqual(harvested.length === 2 ? ['rioxx', 'oai_dc'] : ['oai_dc']);
    expect(last.dates.accepted === null).toBe(harvested.length === 1);
    expect(logs.some((l) => String(l['msg']).startsWith('richer formats not offered'))).toBe(harvested.length === 1);
  });

  it('sends records it cannot read into the common record to a rejects file, keeping their raw metadata', async () => {
    server = await startOaiServer({ feeds: { kar: new Feed({ records: 12, deletedEvery: 5, formats: ['mods'] }) } });
    const config = testConfig([{ id: 'kar', baseUrl: server.feedUrl('kar'), metadataPrefix: 'mods' }]);
    const out = tempDir();
    const { logger } = captureLogger();
    const summary = await harvest({ config, outDir: out, logger });
    expect(summary.ok).toBe(true);
    expect(summary.sources[0]).toMatchObject({ records: 12, rejects: 10 });
    const lines = outputLines(out);
    expect(lines.filter((l) => l.record === null)).toHaveLength(10);
    expect(lines.find((l) => l.record === null)!.metadata).toMatchObject({ xml: { mods: [expect.any(Object)] } });
    const rejectsFile = summary.sources[0]!.lists[0]!.rejectsFile!;
    const rejects = readFileSync(rejectsFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(rejects).toHaveLength(10);
    expect(rejects[0]).toMatchObject({ source: 'kar', metadataPrefix: 'mods', reason: expect.stringContaining('no normaliser for metadataPrefix "mods"') });
  });

  it('writes raw metadata only when a source turns the common record off', async () => {
    server = await startOaiServer({ feeds: { kar: new Feed({ records: 20, formats: ['mods'] }) } });
    const config = testConfig([{ id: 'kar', baseUrl: server.feedUrl('kar'), metadataPrefix: 'mods', commonRecord: false }]);
    const out = tempDir();
    const { logger } = captureLogger();
    const summary = await harvest({ config, outDir: out, logger });
    expect(summary.sources[0]).toMatchObject({ records: 20, rejects: 0 });
    const lines = outputLines(out);
    expect(lines.every((l) => l.record === null && l.metadata !== null)).toBe(true);
  });

  it('enriches new and changed records from their EPrints export, politely, and never refetches unchanged ones', async () => {
    let clock = new Date('2030-06-01T12:00:00Z');
    const feed = new Feed({ records: 25, deletedEvery: 10, now: () => clock, faults: { exportStatus: { 3: 403, 4: 404, 5: 401 } } });
    server = await startOaiServer({ feeds: { kar: feed } });
    const config = testConfig([{ id: 'kar', baseUrl: server.feedUrl('kar'), enrich: ['eprints-export'], exportUrl: `${server.feedUrl('kar')}/export/{id}` }]);
    const out = tempDir();
    const { logger } = captureLogger();
    const exportRequests = () => server!.requests.filter((r) => r.path.includes('/export/')).length;

    const first = await harvest({ config, outDir: out, logger });
    expect(first.ok).toBe(true);
    // 25 records, 2 deleted: 23 exports asked for, 3 of them refused or missing.
    expect(exportRequests()).toBe(23);
    expect(first.sources[0]!.lists[0]).toMatchObject({ exportsFetched: 20, exportsUnavailable: 3 });
    const lines = outputLines(out);
    const seven = lines.find((l) => l.identifier === 'oai:test.example:7')!;
    expect(seven.enrichment).toEqual({ 'eprints-export': 'ok' });
    const record = seven.record as Record<string, any>;
    expect(record.formats).toEqual(['ep3', 'oai_dc']);
    expect(record.dates.deposited).toEqual({ value: '2021-08-06T08:45:18Z', field: 'ep3 datestamp' });
    expect(record.dates.accepted).toEqual({ value: '2021-06-15', field: 'ep3 dates (accepted)' });
    expect(record.dates.modified).toEqual({ value: seven.datestamp, field: 'header datestamp' });
    expect(record.keywords).toEqual(['alpha', 'beta', 'gamma7']);
    expect(record.files[0]).toMatchObject({ version: 'accepted' });
    expect(lines.find((l) => l.identifier === 'oai:test.example:3')!.enrichment).toEqual({ 'eprints-export': 'unavailable: HTTP 403' });
    expect((lines.find((l) => l.identifier === 'oai:test.example:3')!.record as Record<string, any>).formats).toEqual(['oai_dc']);
    expect(lines.find((l) => l.identifier === 'oai:test.example:10')!.enrichment).toBeUndefined();

    // Next day: one record changed. Only it is fetched again.
    clock = new Date('2030-06-02T12:00:00Z');
    feed.touch(7, '2030-06-02T09:00:00Z');
    const before = exportRequests();
    const second = await harvest({ config, outDir: out, logger });
    expect(second.ok).toBe(true);
    expect(exportRequests() - before).toBe(1);
    expect(second.sources[0]!.lists[0]).toMatchObject({ records: 1, exportsFetched: 1 });
  });

  it('takes EPrints exports from browse views, one request per year, and fetches one by one only what no view lists', async () => {
    let clock = new Date('2030-06-01T12:00:00Z');
    // 60 records over three years; every 20th has no date, so no year view lists it.
    const feed = new Feed({ records: 60, now: () => clock, dateOf: (id) => (id % 20 === 0 ? null : `${2019 + (id % 3)}-0${1 + (id % 9)}`) });
    server = await startOaiServer({ feeds: { kar: feed } });
    const base = server.feedUrl('kar');
    const config = testConfig([{
      id: 'kar', baseUrl: base, enrich: ['eprints-export'], exportUrl: `${base}/export/{id}`, exportViewUrl: `${base}/exportview/year/{year}/XML/{year}.xml`,
    }]);
    const out = tempDir();
    const { logger } = captureLogger();
    const requests = (kind: string) => server!.requests.filter((r) => r.path.includes(`/${kind}/`));

    const first = await harvest({ config, outDir: out, logger });
    expect(first.ok).toBe(true);
    expect(requests('exportview').map((r) => r.path).sort()).toEqual(['2019', '2020', '2021'].map((y) => `/feed/kar/exportview/year/${y}/XML/${y}.xml`));
    expect(requests('export').map((r) => r.path).sort()).toEqual(['/feed/kar/export/20', '/feed/kar/export/40', '/feed/kar/export/60']);
    expect(first.sources[0]!.enrichment).toEqual({
      method: 'browse views and per record', viewRequests: 3, fromViews: 57, perRecord: 3, unavailable: 0, viewsUnavailable: null,
    });
    const lines = outputLines(out);
    expect(lines).toHaveLength(60);
    for (const line of lines) {
      const id = Number(line.identifier.split(':').at(-1));
      const record = line.record as Record<string, any>;
      expect(record.formats).toEqual(['ep3', 'oai_dc']);
      expect(record.dates.deposited).toEqual({ value: new Date(Date.parse('2021-07-30T08:45:18Z') + id * 86_400_000).toISOString().replace(/\.000Z$/, 'Z'), field: 'ep3 datestamp' });
      expect(line.enrichment).toEqual({ 'eprints-export': id % 20 === 0 ? 'ok' : 'ok (browse view)' });
    }
    expect(runTable(first)).toContain('kar: EPrints exports: 57 from 3 browse-view exports; 3 fetched one by one');

    // Next day one record changed: too few for a view, so it is fetched on its own.
    clock = new Date('2030-06-02T12:00:00Z');
    feed.touch(7, '2030-06-02T09:00:00Z');
    const [views, items] = [requests('exportview').length, requests('export').length];
    const second = await harvest({ config, outDir: out, logger });
    expect(requests('exportview').length - views).toBe(0);
    expect(requests('export').length - items).toBe(1);
    expect(second.sources[0]!.enrichment).toMatchObject({ method: 'per record', perRecord: 1, fromViews: 0 });
  });

  it('falls back to one EPrints export per record when the repository offers no browse views, and says so', async () => {
    const feed = new Feed({ records: 30, faults: { noExportViews: true } });
    server = await startOaiServer({ feeds: { kar: feed } });
    const base = server.feedUrl('kar');
    const config = testConfig([{
      id: 'kar', baseUrl: base, enrich: ['eprints-export'], exportUrl: `${base}/export/{id}`, exportViewUrl: `${base}/exportview/year/{year}/XML/{year}.xml`,
    }]);
    const out = tempDir();
    const { logger, lines: logs } = captureLogger();
    const summary = await harvest({ config, outDir: out, logger });
    expect(summary.ok).toBe(true);
    // One view asked for, refused; then every record on its own.
    expect(server.requests.filter((r) => r.path.includes('/exportview/'))).toHaveLength(1);
    expect(server.requests.filter((r) => r.path.includes('/export/'))).toHaveLength(30);
    expect(summary.sources[0]!.enrichment).toMatchObject({ method: 'per record', viewRequests: 1, fromViews: 0, perRecord: 30, viewsUnavailable: expect.stringContaining('404') });
    expect(logs.some((l) => l['verb'] === 'exportview' && String(l['msg']).includes('one record at a time'))).toBe(true);
    expect(outputLines(out).every((l) => (l.record as Record<string, any>).dates.deposited?.field === 'ep3 datestamp')).toBe(true);
  });

  it('keeps state inside the output folder, so two folders never share it', async () => {
    const { run, out } = await setup({ kar: new Feed({ records: 10 }) });
    const first = await run();
    expect(first.stateFile).toBe(join(out, 'state.sqlite'));
    const other = tempDir();
    const second = await run({ outDir: other });
    expect(second.sources[0]!.records).toBe(10);
  });
});
