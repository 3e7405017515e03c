import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { harvest } from '../../src/pipeline/harvest.ts';
import { readBibtex } from '../../src/formats/bibtex.ts';
import { bibtexEntry, citationKey } from '../../src/sinks/citations.ts';
import { exportWorks } from '../../src/sinks/works-export.ts';
import type { Work } from '../../src/dedupe/work.ts';
import { FixtureRepository } from '../support/fixture-repository.ts';
import { SAMPLES } from '../support/oai-server.ts';
import { captureLogger, tempDir, testConfig } from '../support/run.ts';

const FIXTURES = join(import.meta.dirname, '../formats/fixtures');
const MAIN = join(import.meta.dirname, '../../src/cli/bin.ts');
const { Ajv2020 } = await import('ajv/dist/2020.js');
const validateCsl = new Ajv2020({ allErrors: true, strict: false }).compile(JSON.parse(readFileSync(join(import.meta.dirname, 'csl-data.schema.json'), 'utf8')));

const cli = (args: string[]) =>
  new Promise<{ code: number; stdout: string; stderr: string }>((done) =>
    execFile(process.execPath, [MAIN, ...args], { maxBuffer: 64 << 20 }, (error, stdout, stderr) => done({ code: error ? Number(error.code) : 0, stdout, stderr })));

let dir = '';
let stateFile = '';
let active: Work[] = [];
let kent: FixtureRepository;

/** Kent's seed paper and a paper with LaTeX's special characters in its title, and four real BibTeX exports. */
beforeAll(async () => {
  kent = new FixtureRepository();
  kent.set('oai:kar.kent.ac.uk:89524', '2023-02-10T14:05:11Z', { metadata: FixtureRepository.metadataOf(join(FIXTURES, 'kar-89524-oai_dc.xml')) });
  kent.set('oai:kar.kent.ac.uk:7', '2023-01-01T00:00:00Z', {
    metadata: '<oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>R&amp;D at 100% of $cost: the {x}_1 ~ #1 problem</dc:title><dc:creator>Ó Súilleabháin, Seán</dc:creator><dc:date>2019-05</dc:date></oai_dc:dc>',
  });
  dir = tempDir();
  const bib = join(dir, 'exports.bib');
  writeFileSync(bib, ['bibtex-publisher-bjgp-2020-0917.bib', 'crossref/bibtex-crossref-transform-2026-frank1970.bib', 'crossref/bibtex-crossref-transform-2022-sici-doi.bib', 'crossref/bibtex-pure-export-phdthesis.bib']
    .map((f) => readFileSync(join(SAMPLES, f), 'utf8')).join('\n'));
  const config = testConfig([{ id: 'kar', baseUrl: await kent.start() }, { id: 'publishers', type: 'bibtex', path: bib }]);
  const summary = await harvest({ config, outDir: join(dir, 'out'), logger: captureLogger().logger });
  expect(summary.ok).toBe(true);
  stateFile = summary.stateFile;
  active = readFileSync(join(dir, 'out', 'works.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Work).filter((w) => w.status === 'active');
  expect(active).toHaveLength(5);
});
afterAll(() => kent.stop());

describe('works export', () => {
  it('writes BibTeX that the same parser reads back to the same DOIs and titles, one entry per active work', async () => {
    const file = join(dir, 'works.bib');
    const run = await cli(['works', 'export', '--format', 'bibtex', '--file', file, '--state', stateFile]);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain(`5 works written to ${file} as bibtex`);
    const back = readBibtex(readFileSync(file, 'utf8'), 'published');
    expect(back.problems).toEqual([]);
    const read = back.entries.map((e) => ({ key: e.key, title: e.fields.title, doi: e.fields.doiCandidates.find((c) => c.field === 'bibtex doi')?.value ?? null }));
    expect(new Set(read.map((r) => r.key)).size).toBe(5);
    const expected = active.map((w) => ({ title: w.title!.value, doi: w.doi })).sort((a, b) => a.title.localeCompare(b.title));
    expect(read.map(({ title, doi }) => ({ title, doi })).sort((a, b) => a.title!.localeCompare(b.title!))).toEqual(expected);
    // Escaped where LaTeX needs it, and given back as it was.
    const special = readFileSync(file, 'utf8');
    expect(special).toContain('title = {R\\&D at 100\\% of \\$cost: the \\{x\\}\\_1 \\textasciitilde{} \\#1 problem}');
    expect(back.entries.find((e) => e.fields.title?.startsWith('R&D'))!.fields.creators[0]!.name).toBe('Ó Súilleabháin, Seán');
    expect(special).toMatch(/doi = \{10\.3399\/bjgp\.2020\.0917\},\n {2}url = \{https:\/\/doi\.org\/10\.3399\/bjgp\.2020\.0917\}/);
  });

  it('writes CSL-JSON that validates against the CSL-JSON schema, to standard output without --file, from the output folder --out as every command', async () => {
    const run = await cli(['works', 'export', '--format', 'csl-json', '--out', join(dir, 'out')]);
    expect(run.code).toBe(0);
    expect((await cli(['works', 'export', '--format', 'csl-json', '--state', stateFile])).stdout).toBe(run.stdout);
    const items = JSON.parse(run.stdout) as Record<string, unknown>[];
    if (!validateCsl(items)) throw new Error(JSON.stringify(validateCsl.errors));
    expect(items).toHaveLength(5);
    expect(items.find((i) => i['DOI'] === '10.3399/bjgp.2020.0917')).toMatchObject({
      type: 'article-journal', 'container-title': 'British Journal of General Practice', volume: '71', issue: '710', page: 'e711-e718',
      URL: 'https://doi.org/10.3399/bjgp.2020.0917', author: [{ family: 'Warwick-Giles', given: 'Lynsey' }, expect.anything(), expect.anything(), expect.anything()],
    });
    expect(items.find((i) => i['type'] === 'thesis')).toMatchObject({ issued: { 'date-parts': [[2018, 4, 25]] }, ISBN: '9789038645032' });
  });

  it('keeps a work\'s key while others come and go, and keeps keys unique when works share author, year and title word', () => {
    const work = active.find((w) => w.doi === '10.3399/bjgp.2020.0917')!;
    expect(citationKey(work)).toMatch(/^warwickgiles2021exploring-[0-9a-f]{4}$/);
    const twin = { ...work, id: 'doi:10.3399/bjgp.2020.0917.twin', doi: '10.3399/bjgp.2020.0917.twin' };
    const keys = (works: Work[]) => {
      let text = '';
      exportWorks(works.map((w) => JSON.stringify(w)), 'bibtex', (t) => (text += t));
      return readBibtex(text, 'published').entries.map((e) => e.key);
    };
    const alone = keys([work]);
    const withOthers = keys([...active.filter((w) => w !== work), twin, work]);
    expect(withOthers).toContain(alone[0]);
    expect(new Set(withOthers).size).toBe(withOthers.length);
    expect(bibtexEntry(work, 'k')).toMatch(/^@article\{k,\n {2}title = \{Exploring commissioners’ understandings/);
  });

  it('refuses an unknown format, and a state database that does not exist', async () => {
    expect(await cli(['works', 'export', '--format', 'ris', '--state', stateFile])).toMatchObject({ code: 2, stderr: expect.stringContaining("argument 'ris' is invalid. Allowed choices are bibtex, csl-json.") });
    expect(await cli(['works', 'export', '--format', 'bibtex', '--state', join(dir, 'none.sqlite')])).toMatchObject({ code: 2, stderr: expect.stringContaining('no state database at') });
  });
});
