import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { harvest } from '../../src/pipeline/harvest.ts';
import type { Work } from '../../src/dedupe/work.ts';
import { FixtureRepository } from '../support/fixture-repository.ts';
import { captureLogger, tempDir, testConfig } from '../support/run.ts';

const FIXTURES = join(import.meta.dirname, '../formats/fixtures');
const KAR_ID = 'oai:kar.kent.ac.uk:89524';
const PURE_ID = 'oai:pure.atira.dk:publications/5f0b7c1e-3a52-4d2b-9d61-0c6f2a1e7b44';

let repositories: FixtureRepository[] = [];
afterEach(async () => {
  await Promise.all(repositories.map((r) => r.stop()));
  repositories = [];
});

const lines = (file: string) => readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, any>);

function kentRepository(): FixtureRepository {
  const kent = new FixtureRepository();
  kent.set(KAR_ID, '2023-02-10T14:05:11Z', { metadata: FixtureRepository.metadataOf(join(FIXTURES, 'kar-89524-oai_dc.xml')) });
  repositories.push(kent);
  return kent;
}

function pureRepository(): FixtureRepository {
  const pure = new FixtureRepository();
  pure.set(PURE_ID, '2022-01-14T09:12:40Z', { metadata: FixtureRepository.metadataOf(join(FIXTURES, 'pure-manchester-oai_dc.xml')) });
  repositories.push(pure);
  return pure;
}

describe('download statistics', () => {
  it('reads IRStats2 as the server really sends it, matches eprint ids, and refreshes only the recent months the next day', async () => {
    const kent = kentRepository();
    const irstats = { '202401': null, '202402': '12', '202403': '5' } as Record<string, string | null>;
    kent.routes.set('/cgi/stats/get', (url) => {
      const month = url.searchParams.get('from')!.slice(0, 6);
      const count = irstats[month];
      // January: no download at all, so no records key; the others quote an apostrophe the IRStats2 way.
      const records = count === null ? '' : `,"records":[{"count":"${count}","eprintid":"89524"},{"eprintid":"999","count":"2"}]`;
      return { status: 200, body: `{"origin":{"name":"Kent\\'s repository"},"timescale":{"from":"${month}01","format":"YYYYMMDD"}${records}}` };
    });
    const config = testConfig([{ id: 'kar', baseUrl: await kent.start(), stats: { type: 'irstats2', months: 3 } }]);
    const out = tempDir();
    const { logger } = captureLogger();
    const first = await harvest({ config, outDir: out, logger, now: new Date('2024-03-15T10:00:00Z') });
    expect(first.ok).toBe(true);
    expect(first.sources[0]!.stats).toMatchObject({ requests: 3, matched: 2, months: [{ month: '2024-01' }, { month: '2024-02' }, { month: '2024-03' }] });
    expect(first.sources[0]!.stats!.unmatched).toEqual([
      { item: 'eprintid 999', month: '2024-02', metric: 'irstats2:downloads', count: 2 },
      { item: 'eprintid 999', month: '2024-03', metric: 'irstats2:downloads', count: 2 },
    ]);
    expect(lines(join(out, 'stats', 'downloads.jsonl'))).toEqual([
      { source: 'kar', identifier: KAR_ID, record: `kar:${KAR_ID}`, work: 'doi:10.3399/bjgp.2020.0917', doi: '10.3399/bjgp.2020.0917', month: '2024-02', metric: 'irstats2:downloads', count: 12 },
      { source: 'kar', identifier: KAR_ID, record: `kar:${KAR_ID}`, work: 'doi:10.3399/bjgp.2020.0917', doi: '10.3399/bjgp.2020.0917', month: '2024-03', metric: 'irstats2:downloads', count: 5 },
    ]);
    const work = lines(join(out, 'works.jsonl'))[0] as Work;
    expect(work.downloads).toEqual({ 'irstats2:downloads': { last12Months: 17, allTime: 17 } });

    // The next day: only the current and the last complete month are asked for again.
    const before = kent.requests.filter((u) => u.pathname === '/cgi/stats/get').length;
    irstats['202403'] = '6';
    const second = await harvest({ config, outDir: out, logger, now: new Date('2024-03-16T10:00:00Z') });
    const statsRequests = kent.requests.filter((u) => u.pathname === '/cgi/stats/get').slice(before);
    expect(statsRequests.map((u) => u.searchParams.get('from'))).toEqual(['20240201', '20240301']);
    expect(second.works.changed).toBe(1);
    expect((lines(join(out, 'works.jsonl'))[0] as Work).downloads['irstats2:downloads']).toEqual({ last12Months: 18, allTime: 18 });
  });

  it('sums COUNTER R5 and R5.1 item reports per metric over both copies of the example paper, through exceptions', async () => {
    const kent = kentRepository();
    const pure = pureRepository();
    process.env['TEST_COUNTER_KEY'] = 'secret-key-123';
    // Kent via an R5 service: DOI written in upper case; January has no usage (3030); an item we do not hold.
    kent.routes.set('/r5/reports/ir', (url) => {
      const month = url.searchParams.get('begin_date')!;
      if (url.searchParams.get('api_key') !== 'secret-key-123') return { status: 401, body: '{"Code":2020,"Message":"APIKey Invalid"}' };
      if (month === '2024-01') return { status: 200, body: '{"Code":3030,"Severity":"Error","Message":"No Usage Available for Requested Dates"}' };
      const item = (doi: string, n: number) => ({
        Item: doi, Item_ID: [{ Type: 'DOI', Value: doi }], Performance: [{ Period: { Begin_Date: `${month}-01`, End_Date: `${month}-28` },
          Instance: [{ Metric_Type: 'Total_Item_Requests', Count: n }, { Metric_Type: 'Unique_Item_Requests', Count: n - 1 }] }],
      });
      return { status: 200, body: JSON.stringify({ Report_Header: { Release: '5', Report_ID: 'IR' }, Report_Items: [item('10.3399/BJGP.2020.0917', 10), item('10.1000/not-ours', 4)] }) };
    });
    // Manchester via an R5.1 service: March is not ready yet (3031).
    pure.routes.set('/counter/r51/reports/ir', (url) => {
      const month = url.searchParams.get('begin_date')!;
      const exceptions = month === '2024-03' ? [{ Code: 3031, Message: 'Usage Not Ready for Requested Dates' }] : [];
      const items = month === '2024-03' ? [] : [{ Title: 'BJGP', Items: [{ Item: 'Primary care networks', Item_ID: { DOI: '10.3399/bjgp.2020.0917' },
        Attribute_Performance: [{ Performance: { Total_Item_Requests: { [month]: 7 }, Unique_Item_Requests: { [month]: 6 } } }] }] }];
      return { status: 200, body: JSON.stringify({ Report_Header: { Release: '5.1', Report_ID: 'IR', Exceptions: exceptions }, Report_Items: items }) };
    });
    const kentUrl = await kent.start();
    const pureUrl = await pure.start('/ws/oai');
    const config = testConfig([
      { id: 'kar', baseUrl: kentUrl, stats: { type: 'counter', url: kentUrl.replace('/cgi/oai2', '/r5'), release: '5', customerId: 'kent', apiKeyEnv: 'TEST_COUNTER_KEY', months: 3 } },
      { id: 'manchester', baseUrl: pureUrl, stats: { type: 'counter', url: pureUrl.replace('/ws/oai', '/counter'), release: '5.1', customerId: 'man', months: 3 } },
    ]);
    const out = tempDir();
    const { logger, lines: logs } = captureLogger();
    const run = await harvest({ config, outDir: out, logger, now: new Date('2024-03-15T10:00:00Z') });
    expect(run.ok).toBe(true);
    const [kar, man] = run.sources.map((s) => s.stats!);
    expect(kar!.months).toEqual([{ month: '2024-01', outcome: 'no usage' }, { month: '2024-02', outcome: 'ok' }, { month: '2024-03', outcome: 'ok' }]);
    expect(kar!.unmatched.map((u) => u.item)).toEqual(['10.1000/not-ours', '10.1000/not-ours', '10.1000/not-ours', '10.1000/not-ours']);
    expect(man!.months[2]).toEqual({ month: '2024-03', outcome: 'not ready; tried again next run' });
    const work = lines(join(out, 'works.jsonl')).find((w) => w['id'] === 'doi:10.3399/bjgp.2020.0917') as Work;
    expect(work.downloads).toEqual({
      Total_Item_Requests: { last12Months: 10 + 10 + 7 + 7, allTime: 34 },
      Unique_Item_Requests: { last12Months: 9 + 9 + 6 + 6, allTime: 30 },
    });
    const series = lines(join(out, 'stats', 'downloads.jsonl')).filter((d) => d['metric'] === 'Total_Item_Requests');
    expect(series.map((d) => [d['source'], d['month'], d['count']])).toEqual([
      ['kar', '2024-02', 10], ['kar', '2024-03', 10], ['manchester', '2024-01', 7], ['manchester', '2024-02', 7],
    ]);
    // The key never leaves the process.
    const everything = [readFileSync(run.summaryFile, 'utf8'), readFileSync(join(out, 'stats', 'summary.json'), 'utf8'), JSON.stringify(logs)].join('\n');
    expect(everything).not.toContain('secret-key-123');
  });

  it('prints one item\'s downloads per month from the per-item path', async () => {
    const kent = kentRepository();
    kent.routes.set('/cgi/stats/get', (url) => {
      expect(Object.fromEntries(url.searchParams)).toMatchObject({ set_name: 'eprint', set_value: '89524', view: 'Google::Graph', date_resolution: 'month' });
      return { status: 200, body: '{"records":[{"datestamp":"202401","count":"null"},{"count":"4","datestamp":"202402","description":"Feb 2024"}]}' };
    });
    const base = await kent.start();
    // Asynchronously: the server answering the child runs in this process.
    const { execFile } = await import('node:child_process');
    const main = join(import.meta.dirname, '../../src/cli/bin.ts');
    const run = (args: string[]) =>
      new Promise<{ code: number; stdout: string }>((done) =>
        execFile(process.execPath, [main, ...args], (error, stdout) => done({ code: error ? Number(error.code) : 0, stdout })),
      );
    const result = await run(['stats', 'item', base, '89524', '--months', '2']);
    expect(result).toEqual({ code: 0, stdout: '2024-01\t0\n2024-02\t4\n' });
    expect((await run(['stats', 'item', base, 'abc'])).code).toBe(2);
  });

  it('leaves out a COUNTER count that is not a whole number, says so, and keeps the others', async () => {
    const kent = kentRepository();
    kent.routes.set('/r5/reports/ir', (url) => {
      const month = url.searchParams.get('begin_date')!;
      const instance = (metric: string, count: unknown) => ({ Metric_Type: metric, Count: count });
      return { status: 200, body: JSON.stringify({ Report_Header: { Release: '5', Report_ID: 'IR' }, Report_Items: [{
        Item: 'BJGP', Item_ID: [{ Type: 'DOI', Value: '10.3399/bjgp.2020.0917' }],
        Performance: [{ Period: { Begin_Date: `${month}-01`, End_Date: `${month}-28` }, Instance: [instance('Total_Item_Requests', 'n/a'), instance('Unique_Item_Requests', '7')] }],
      }] }) };
    });
    const kentUrl = await kent.start();
    const config = testConfig([{ id: 'kar', baseUrl: kentUrl, stats: { type: 'counter', url: kentUrl.replace('/cgi/oai2', '/r5'), release: '5', customerId: 'kent', months: 1 } }]);
    const run = await harvest({ config, outDir: tempDir(), logger: captureLogger().logger, now: new Date('2024-03-15T10:00:00Z') });
    expect(run.ok).toBe(true);
    expect(run.sources[0]!.stats).toMatchObject({ matched: 1, invalid: [{ item: 'BJGP', month: '2024-03', metric: 'Total_Item_Requests', value: '"n/a"' }] });
    const downloads = lines(run.stats!.downloads);
    expect(downloads.map((d) => [d['metric'], d['count']])).toEqual([['Unique_Item_Requests', 7]]);
  });

  it('reports a refused key as a configuration error without printing it', async () => {
    const kent = kentRepository();
    process.env['TEST_COUNTER_KEY'] = 'wrong-key-456';
    // Busy once (so a retry, with its URL, is logged), then the key is refused.
    let calls = 0;
    kent.routes.set('/r5/reports/ir', () =>
      ++calls === 1 ? { status: 503, body: '{"Code":1010,"Message":"Service Busy"}' } : { status: 401, body: '{"Code":2020,"Message":"APIKey Invalid"}' },
    );
    const kentUrl = await kent.start();
    const config = testConfig([{ id: 'kar', baseUrl: kentUrl, stats: { type: 'counter', url: kentUrl.replace('/cgi/oai2', '/r5'), release: '5', customerId: 'kent', apiKeyEnv: 'TEST_COUNTER_KEY', months: 1 } }]);
    const { logger, lines: logs } = captureLogger();
    const run = await harvest({ config, outDir: tempDir(), logger, now: new Date('2024-03-15T10:00:00Z') });
    expect(run.ok).toBe(false);
    expect(run.sources[0]!.error).toMatchObject({ kind: 'config', message: 'statistics: COUNTER exception 2020: APIKey Invalid' });
    const retry = logs.find((l) => l['msg'] === 'retrying request')!;
    expect(String(retry['url'])).toContain('api_key=REDACTED');
    expect(JSON.stringify(logs) + readFileSync(run.summaryFile, 'utf8')).not.toContain('wrong-key-456');
  });
});
