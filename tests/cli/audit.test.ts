import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { harvest } from '../../src/pipeline/harvest.ts';
import { FixtureRepository } from '../support/fixture-repository.ts';
import { captureLogger, tempDir, testConfig } from '../support/run.ts';

const FIXTURES = join(import.meta.dirname, '../formats/fixtures');
const MAIN = join(import.meta.dirname, '../../src/cli/bin.ts');
const KAR_ID = 'oai:kar.kent.ac.uk:89524';
let out = '';
const repositories: FixtureRepository[] = [];

beforeAll(async () => {
  const kent = new FixtureRepository();
  kent.set(KAR_ID, '2023-02-10T14:05:11Z', { metadata: FixtureRepository.metadataOf(join(FIXTURES, 'kar-89524-oai_dc.xml')) });
  kent.exports.set('/cgi/export/eprint/89524/XML/eprint-89524.xml', readFileSync(join(FIXTURES, 'kar-89524-ep3.xml')));
  // A record whose only date is dc:date: its export is not public.
  kent.set('oai:kar.kent.ac.uk:300', '2023-01-01T00:00:00Z', {
    metadata: '<oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>A paper dated only by dc:date</dc:title><dc:date>2021</dc:date><dc:relation>10.1000/dated-2021</dc:relation></oai_dc:dc>',
  });
  const pure = new FixtureRepository();
  pure.set('oai:pure.atira.dk:publications/5f0b7c1e-3a52-4d2b-9d61-0c6f2a1e7b44', '2022-01-14T09:12:40Z', {
    metadata: FixtureRepository.metadataOf(join(FIXTURES, 'pure-manchester-oai_dc.xml')),
  });
  repositories.push(kent, pure);
  const config = testConfig([
    { id: 'kar', baseUrl: await kent.start(), enrich: ['eprints-export'] },
    { id: 'manchester', baseUrl: await pure.start('/ws/oai') },
  ]);
  out = tempDir();
  const run = await harvest({ config, outDir: out, logger: captureLogger().logger });
  expect(run.ok).toBe(true);
});
afterAll(() => Promise.all(repositories.map((r) => r.stop())));

const { Ajv2020 } = await import('ajv/dist/2020.js');
const validateSummary = new Ajv2020({ allErrors: true, strict: false }).compile(JSON.parse(readFileSync(join(import.meta.dirname, '../../src/audit/audit-summary.schema.json'), 'utf8')));

const cli = (args: string[]) =>
  new Promise<{ code: number; stdout: string; stderr: string }>((done) =>
    execFile(process.execPath, [MAIN, ...args], (error, stdout, stderr) => done({ code: error ? Number(error.code) : 0, stdout, stderr })),
  );
const jsonl = (file: string) => readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, any>);

describe('oai-harvester audit', () => {
  it('judges every copy under REF2021 and writes JSONL, CSV and a summary', async () => {
    const result = await cli(['audit', '--out', out]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^ref2021: 3 copies: 1 on time, 0 late, 2 unknown$/m);
    const rows = jsonl(join(out, 'audit', 'deposit-audit.jsonl'));
    expect(rows.find((r) => r['record'] === `kar:${KAR_ID}`)).toMatchObject({ verdict: 'on time', lagDays: 24, deadline: '2021-10-06', divisions: ['D3412', 'D3400'] });
    expect(rows.find((r) => r['doi'] === '10.1000/dated-2021')).toMatchObject({
      verdict: 'unknown', reason: 'no acceptance date; the only date is dc:date 2021, which does not say what kind of date it is',
    });
    const bytes = readFileSync(join(out, 'audit', 'deposit-audit.csv'));
    // A byte-order mark first, so a spreadsheet reads UTF-8.
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const csv = bytes.toString('utf8').slice(1).trim().split('\n');
    expect(csv[0]).toBe('rule,work,doi,source,record,title,deposit,deposit_field,reference,reference_date,reference_counted,reference_field,deadline,lag_days,verdict,reason,in_scope,divisions,landing_page,fix,retracted,corrected,notices');
    expect(csv).toHaveLength(4);
    expect(csv.find((l) => l.includes(KAR_ID))).toContain(',24,on time,"deposited 2021-07-30, within three months of acceptance; deadline 2021-10-06",true,D3412; D3400,');
    const summary = JSON.parse(readFileSync(join(out, 'audit', 'summary.json'), 'utf8')) as Record<string, unknown>;
    if (!validateSummary(summary)) throw new Error(JSON.stringify(validateSummary.errors));
    expect(summary.byRepository).toEqual([{ repository: 'kar', on_time: 1, late: 0, unknown: 1 }, { repository: 'manchester', on_time: 0, late: 0, unknown: 1 }]);
    expect(summary.byDivision).toContainEqual({ division: 'D3412', on_time: 1, late: 0, unknown: 0 });
  });

  it('applies REF2029, a source and a period', async () => {
    const result = await cli(['audit', '--rule', 'ref2029', '--source', 'kar', '--from', '2021-01-01', '--to', '2021-12-31', '--out', out]);
    expect(result.code).toBe(0);
    // A copy with no date to place it in a period is left out of a period's audit.
    const rows = jsonl(join(out, 'audit', 'deposit-audit.jsonl'));
    expect(rows.map((r) => r['record'])).toEqual([`kar:${KAR_ID}`]);
    expect(rows.find((r) => r['record'] === `kar:${KAR_ID}`)).toMatchObject({ rule: 'ref2029', verdict: 'on time', inScope: false, reference: { date: 'published' } });
    expect((await cli(['audit', '--rule', 'ref2030', '--out', out])).code).toBe(2);
  });
});

describe('oai-harvester audit on an oai_dc-only source', () => {
  let dcOnly = '';
  beforeAll(async () => {
    const kent = new FixtureRepository();
    kent.set(KAR_ID, '2023-02-10T14:05:11Z', { metadata: FixtureRepository.metadataOf(join(FIXTURES, 'kar-89524-oai_dc.xml')) });
    repositories.push(kent);
    dcOnly = tempDir();
    const run = await harvest({ config: testConfig([{ id: 'kar', baseUrl: await kent.start() }]), outDir: dcOnly, logger: captureLogger().logger });
    expect(run.ok).toBe(true);
  });

  it('says why each copy is unknown and which setting brings the missing date, on the terminal, in the rows and in the report', async () => {
    const result = await cli(['audit', '--out', dcOnly]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^ref2021: 1 copies: 0 on time, 0 late, 1 unknown$/m);
    const fix = 'set "enrich": ["eprints-export"] on source "kar" (the EPrints export has the deposit date, and the acceptance date where the repository records one), ' +
      'then harvest it again with `oai-harvester run --source kar --full` so records already held are fetched';
    expect(result.stdout).toContain(`unknown: 1 copy of kar: only dc:date; to fix it, ${fix}\n`);
    const [row] = jsonl(join(dcOnly, 'audit', 'deposit-audit.jsonl'));
    expect(row).toMatchObject({ verdict: 'unknown', cause: 'only dc:date', fix });
    const summary = JSON.parse(readFileSync(join(dcOnly, 'audit', 'summary.json'), 'utf8'));
    expect(summary.unknown).toEqual([{ cause: 'only dc:date', source: 'kar', count: 1, fix }]);
    const report = readFileSync(join(dcOnly, 'audit', 'report.html'), 'utf8');
    expect(report).toContain('<h2>Why copies are unknown</h2>');
    expect(report).toContain(`<td>kar</td><td>only dc:date</td><td class="num">1</td><td>To fix it, ${fix.replaceAll('"', '&quot;')}.</td>`);
  });
});
