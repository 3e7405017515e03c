import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { harvest } from '../../src/pipeline/harvest.ts';
import { writeAudit } from '../../src/audit/write-audit.ts';
import type { Work } from '../../src/dedupe/work.ts';
import { explainWork, findWork } from '../../src/cli/works-show.ts';
import { CrossrefServer, retractedWork, seedWork } from '../support/crossref-server.ts';
import { FixtureRepository } from '../support/fixture-repository.ts';
import { captureLogger, jsonlRows, withState, tempDir, testConfig } from '../support/run.ts';

const FIXTURES = join(import.meta.dirname, '../formats/fixtures');
const SEED = 'doi:10.3399/bjgp.2020.0917';
const KAR_ID = 'oai:kar.kent.ac.uk:89524';
const TOKEN_ENV = 'OAIH_TEST_CROSSREF_TOKEN';
const TOKEN = 'plus-7d1e0c9a4b2f';

const dc = (title: string, doi: string) =>
  `<oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>${title}</dc:title><dc:creator>Other, A.</dc:creator><dc:date>2014</dc:date><dc:identifier>${doi}</dc:identifier></oai_dc:dc>`;

let stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(stops.map((s) => s()));
  stops = [];
  delete process.env[TOKEN_ENV];
});

/**
 * Kent holds the seed paper's accepted manuscript (its EPrints export without the acceptance
 * and online dates, as a repository that never recorded them), the eLife paper Crossref marks
 * retracted, and a DataCite DOI Crossref does not know.
 */
async function setup(crossref: Record<string, unknown> = {}) {
  const kent = new FixtureRepository();
  kent.set(KAR_ID, '2023-02-10T14:05:11Z', { metadata: FixtureRepository.metadataOf(join(FIXTURES, 'kar-89524-oai_dc.xml')) });
  const ep3 = readFileSync(join(FIXTURES, 'kar-89524-ep3.xml'), 'utf8')
    .replace(/<item><date>[\d-]+<\/date><date_type>(?:accepted|published_online)<\/date_type><\/item>/g, '');
  kent.exports.set('/cgi/export/eprint/89524/XML/eprint-89524.xml', Buffer.from(ep3));
  kent.set('oai:kar.kent.ac.uk:300', '2023-01-01T00:00:00Z', { metadata: dc('Retracted elsewhere', '10.7554/eLife.01567') });
  kent.set('oai:kar.kent.ac.uk:400', '2023-01-01T00:00:00Z', { metadata: dc('A dataset', 'https://doi.org/10.5281/zenodo.7654321') });
  const server = new CrossrefServer();
  server.add(seedWork());
  server.add(retractedWork());
  await server.start();
  stops.push(() => kent.stop(), () => server.stop());
  const config = testConfig([{ id: 'kar', baseUrl: await kent.start(), enrich: ['eprints-export'] }], {
    crossref: { mailto: 'harvest@example.org', baseUrl: server.url, tokenEnv: TOKEN_ENV, missingDays: 60, retryBudgetMs: 1_500, ...crossref },
  });
  const out = tempDir();
  const log = captureLogger();
  const run = (now?: Date) => harvest({ config, outDir: out, logger: log.logger, ...(now ? { now } : {}) });
  return { kent, server, out, log, run };
}

function works(out: string): Map<string, Work> {
  const lines = readFileSync(join(out, 'works.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Work);
  return new Map(lines.map((w) => [w.id, w]));
}

describe('the Crossref stage', () => {
  it('gives the seed paper the publisher\'s copy: journal, volume, issue, pages, dates and licence; the audit takes the acceptance from it and says so', async () => {
    const { server, out, run } = await setup();
    const summary = await run();
    expect(summary.ok).toBe(true);
    expect(summary.crossref).toMatchObject({ status: 'ok', asked: 3, found: 2, missing: 1, changed: 2, pending: 0, requests: 1 });
    expect(server.requests[0]!.params['filter']!.split(',').sort()).toEqual(['doi:10.3399/bjgp.2020.0917', 'doi:10.5281/zenodo.7654321', 'doi:10.7554/elife.01567']);

    const seed = works(out).get(SEED)!;
    const publisher = 'crossref:10.3399/bjgp.2020.0917';
    expect(seed.sources.map((s) => [s.source, s.version])).toEqual([['crossref', 'published'], ['kar', 'accepted']]);
    expect(seed.container).toEqual({
      value: { title: 'British Journal of General Practice', volume: '71', issue: '710', pages: 'e711-e718', issn: ['0960-1643', '1478-5242'], isbn: [] },
      from: publisher,
    });
    expect(seed.publisher).toEqual({ value: 'Royal College of General Practitioners', from: publisher });
    expect(seed.licence).toEqual({ value: 'http://creativecommons.org/licenses/by/4.0/', from: publisher });
    expect(seed.dates.published).toEqual({ value: '2021-07-28', from: publisher });
    expect(seed.dates.accepted).toEqual({ value: '2021-07-06', from: publisher });
    // Kent keeps giving the deposit, its file and its own abstract.
    expect(seed.dates.deposited).toEqual({ value: '2021-07-30T08:45:18Z', from: `kar:${KAR_ID}` });
    expect(seed.files.every((f) => f.from === `kar:${KAR_ID}`) && seed.files.length > 0).toBe(true);
    expect(seed.abstract!.from).toBe(publisher);
    expect(seed.variants.abstract).toEqual([{ value: expect.stringContaining('uneven advantages'), from: `kar:${KAR_ID}` }]);
    expect(works(out).get('doi:10.5281/zenodo.7654321')!.sources.map((s) => s.source)).toEqual(['kar']);

    withState(summary.stateFile, (state) => {
      const audit = writeAudit(state, out, { rule: 'ref2021' });
      const rows = jsonlRows(audit.jsonl);
      // The publisher's copy is no deposit: only Kent's copies are judged.
      expect(rows.map((r) => r['source'])).toEqual(['kar', 'kar', 'kar']);
      expect(rows.find((r) => r['work'] === SEED)).toMatchObject({
        verdict: 'on time',
        reference: { date: 'accepted', value: '2021-07-06', field: 'crossref accepted, from the publisher\'s record at Crossref: no repository copy gives it' },
        deposit: { value: '2021-07-30T08:45:18Z' },
      });
      const shown = findWork(state, '10.3399/BJGP.2020.0917')!;
      const text = explainWork(shown.work, shown.records);
      expect(text).toContain('doi:10.3399/bjgp.2020.0917  active, 2 copies');
      expect(text).toMatch(/container\s+British Journal of General Practice, vol 71, no 710, pp e711-e718\n\s+from crossref:10\.3399\/bjgp\.2020\.0917 \(version of record\)/);
      expect(text).toContain('crossref:10.3399/bjgp.2020.0917 (the publisher\'s record at Crossref)');
      expect(text).toContain('accepted               2021-07-06  from crossref:10.3399/bjgp.2020.0917 (crossref accepted)');
    });
  });

  it('flags a work Crossref says was retracted, in works.jsonl and in the audit report', async () => {
    const { out, run } = await setup();
    const summary = await run();
    const retracted = works(out).get('doi:10.7554/elife.01567')!;
    expect(retracted).toMatchObject({ retracted: true, corrected: false });
    // The publisher's and Retraction Watch's assertions of one notice are one notice.
    expect(retracted.updates).toEqual([
      { direction: 'updated-by', type: 'retraction', doi: '10.7554/elife.99999', date: '2024-03-05', source: 'publisher', from: 'crossref:10.7554/elife.01567' },
    ]);
    expect(works(out).get(SEED)).toMatchObject({ retracted: false, corrected: false, updates: [] });

    withState(summary.stateFile, (state) => {
      const audit = writeAudit(state, out, { rule: 'ref2021' });
      const rows = jsonlRows(audit.jsonl);
      expect(rows.find((r) => r['work'] === 'doi:10.7554/elife.01567')).toMatchObject({ retracted: true, notices: [{ type: 'retraction', doi: '10.7554/elife.99999', date: '2024-03-05' }] });
      const html = readFileSync(audit.report, 'utf8');
      const flagged = /<section id="flagged">([\s\S]*?)<\/section>/.exec(html)?.[1] ?? '';
      expect(flagged).toContain('Retracted and corrected works (1)');
      // Titled as the publisher titles it.
      expect(flagged).toMatch(/<span class="flag">retracted<\/span>.*Automated quantitative histology.*10\.7554\/elife\.01567.*retraction <a href="https:\/\/doi\.org\/10\.7554\/elife\.99999">10\.7554\/elife\.99999<\/a> \(2024-03-05\)/s);
      expect(JSON.parse(readFileSync(audit.summary, 'utf8'))).toMatchObject({ flaggedWorks: { retracted: 1, corrected: 0 } });
      const shown = findWork(state, '10.7554/eLife.01567')!;
      const text = explainWork(shown.work, shown.records);
      expect(text).toContain('doi:10.7554/elife.01567  active, 2 copies, RETRACTED');
      expect(text).toContain('retraction notice 10.7554/elife.99999, 2024-03-05 (asserted by publisher)  from crossref:10.7554/elife.01567');
    });
  });

  it('asks again only once a record is older than refreshDays, and an unknown DOI once older than missingDays', async () => {
    const { server, run } = await setup();
    await run();
    const second = await run();
    expect(second.crossref).toMatchObject({ asked: 0, requests: 0 });
    const later = await run(new Date(Date.now() + 31 * 86_400_000));
    expect(later.crossref).toMatchObject({ asked: 2, found: 2, missing: 0, changed: 0 });
    expect(server.requests.at(-1)!.params['filter']!.split(',').sort()).toEqual(['doi:10.3399/bjgp.2020.0917', 'doi:10.7554/elife.01567']);
    const muchLater = await run(new Date(Date.now() + 61 * 86_400_000));
    expect(muchLater.crossref).toMatchObject({ asked: 3, missing: 1 });
  });

  it('ends a 429 storm within the budget with a named error, fails the run, keeps the works, and the next run asks what was left', async () => {
    const { server, out, log, run } = await setup();
    server.tooManyRequests = { times: Infinity, retryAfter: 1 };
    const started = Date.now();
    const failed = await run();
    expect(Date.now() - started).toBeLessThan(1_500 + 4_000);
    expect(failed.ok).toBe(false);
    expect(failed.crossref).toMatchObject({ status: 'failed', found: 0, pending: 3, error: { code: 'OAIH_CROSSREF_RATE_LIMITED', verb: 'crossref', url: expect.stringContaining(server.url) } });
    expect(log.lines).toContainEqual(expect.objectContaining({ level: 50, source: 'crossref', code: 'OAIH_CROSSREF_RATE_LIMITED', verb: 'crossref', url: expect.any(String) }));
    expect(works(out).get(SEED)!.sources.map((s) => s.source)).toEqual(['kar']);

    server.tooManyRequests = { times: 0, retryAfter: 1 };
    const next = await run();
    expect(next.ok).toBe(true);
    expect(next.crossref).toMatchObject({ asked: 3, found: 2, pending: 0 });
    expect(works(out).get(SEED)!.sources.map((s) => s.source)).toEqual(['crossref', 'kar']);
  });

  it('sends the Metadata Plus token from the environment, and writes it in no log, summary or state', async () => {
    const { server, out, log, run } = await setup();
    process.env[TOKEN_ENV] = TOKEN;
    server.tooManyRequests = { times: 1, retryAfter: 0 };
    const summary = await run();
    expect(summary.ok).toBe(true);
    expect(server.requests.map((r) => r.headers['crossref-plus-api-token'])).toEqual([`Bearer ${TOKEN}`, `Bearer ${TOKEN}`]);
    expect(log.lines.some((l) => l['msg'] === 'retrying request')).toBe(true);
    expect(JSON.stringify(log.lines)).not.toContain(TOKEN);
    expect(JSON.stringify(summary)).not.toContain(TOKEN);
    for (const file of readdirSync(out, { recursive: true, encoding: 'utf8' })) {
      if (/\.(jsonl|json|sqlite|sqlite-works|sqlite-wal|sqlite-works-wal)$/.test(file)) expect(readFileSync(join(out, file)).includes(TOKEN), file).toBe(false);
    }
  });

  it('sends nothing without "crossref" in the config', async () => {
    const kent = new FixtureRepository();
    kent.set(KAR_ID, '2023-02-10T14:05:11Z', { metadata: FixtureRepository.metadataOf(join(FIXTURES, 'kar-89524-oai_dc.xml')) });
    stops.push(() => kent.stop());
    const out = tempDir();
    const summary = await harvest({ config: testConfig([{ id: 'kar', baseUrl: await kent.start() }]), outDir: out, logger: captureLogger().logger });
    expect(summary.crossref).toBeUndefined();
    expect(works(out).get(SEED)!.sources.map((s) => s.source)).toEqual(['kar']);
  });
});
