import { copyFileSync, readFileSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { harvest } from '../../src/pipeline/harvest.ts';
import { writeAudit } from '../../src/audit/write-audit.ts';
import { statusReport } from '../../src/pipeline/status.ts';
import type { Work } from '../../src/dedupe/work.ts';
import { FixtureRepository } from '../support/fixture-repository.ts';
import { SAMPLES } from '../support/oai-server.ts';
import { captureLogger, jsonlRows, withState, outputLines, tempDir, testConfig } from '../support/run.ts';

const FIXTURES = join(import.meta.dirname, '../formats/fixtures');
const SEED = 'doi:10.3399/bjgp.2020.0917';
const KAR_ID = 'oai:kar.kent.ac.uk:89524';

let repositories: FixtureRepository[] = [];
afterEach(async () => {
  await Promise.all(repositories.map((r) => r.stop()));
  repositories = [];
});

/** Kent's accepted manuscript of the seed paper over OAI-PMH, and the publisher's BibTeX of it in a file. */
async function setup(extra: Record<string, unknown> = {}) {
  const kent = new FixtureRepository();
  kent.set(KAR_ID, '2023-02-10T14:05:11Z', { metadata: FixtureRepository.metadataOf(join(FIXTURES, 'kar-89524-oai_dc.xml')) });
  kent.exports.set('/cgi/export/eprint/89524/XML/eprint-89524.xml', readFileSync(join(FIXTURES, 'kar-89524-ep3.xml')));
  repositories.push(kent);
  const dir = tempDir();
  const bib = join(dir, 'publisher.bib');
  copyFileSync(join(SAMPLES, 'bibtex-publisher-bjgp-2020-0917.bib'), bib);
  const config = testConfig([
    { id: 'kar', baseUrl: await kent.start(), enrich: ['eprints-export'] },
    { id: 'bjgp', type: 'bibtex', path: bib, ...extra },
  ]);
  const out = join(dir, 'out');
  const log = captureLogger();
  return { bib, out, log, config, run: () => harvest({ config, outDir: out, logger: log.logger }) };
}

function works(out: string): Map<string, Work> {
  const lines = readFileSync(join(out, 'works.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Work);
  return new Map(lines.map((w) => [w.id, w]));
}

describe('a bibtex source', () => {
  it('merges the publisher\'s BibTeX with the EPrints accepted manuscript: one work, two copies, the publisher\'s abstract chosen, Kent\'s kept as a variant', async () => {
    const { out, run } = await setup();
    const summary = await run();
    expect(summary.ok).toBe(true);
    expect(summary.sources.find((s) => s.source === 'bjgp')).toMatchObject({ status: 'ok', records: 1, deleted: 0, rejects: 0 });
    const all = works(out);
    expect([...all.keys()]).toEqual([SEED]);
    const work = all.get(SEED)!;
    const publisher = 'bjgp:10.3399/bjgp.2020.0917';
    expect(work.sources.map((s) => [s.id, s.version])).toEqual([[publisher, 'published'], [`kar:${KAR_ID}`, 'accepted']]);
    expect(work.abstract).toEqual({ value: expect.stringContaining('tensions between PCN policy and locally commissioned services'), from: publisher });
    expect(work.variants.abstract).toEqual([{ value: expect.stringContaining('uneven advantages'), from: `kar:${KAR_ID}` }]);
    expect(work.container).toEqual({ value: { title: 'British Journal of General Practice', volume: '71', issue: '710', pages: 'e711-e718', issn: ['0960-1643'], isbn: [] }, from: publisher });
    expect(work.title!.value).toBe('Exploring commissioners’ understandings of early primary care network development: qualitative interview study');
    expect(work.dates.deposited!.from).toBe(`kar:${KAR_ID}`);
    // The record as read is in records/<source>/, as a harvest's are.
    expect(outputLines(out, 'bjgp')).toEqual([expect.objectContaining({ source: 'bjgp', identifier: '10.3399/bjgp.2020.0917', metadataPrefix: 'bibtex' })]);

    // The publisher's entry is no deposit: the audit judges Kent's copy only.
    withState(summary.stateFile, (state) => {
      const audit = writeAudit(state, out, { rule: 'ref2021' });
      const rows = jsonlRows(audit.jsonl);
      expect(rows.map((r) => r['source'])).toEqual(['kar']);
    });
  });

  it('reads the file again only when it changed: added entries become copies, removed ones deleted copies; status counts them', async () => {
    const { bib, out, config, run } = await setup({ schedule: '0 3 * * *' });
    expect(config.bibtexSources[0]!.schedule).toBe('0 3 * * *');
    await run();
    const same = await run();
    expect(same.sources.find((s) => s.source === 'bjgp')).toMatchObject({ records: 0, unchanged: 1 });

    appendFileSync(bib, `\n${readFileSync(join(SAMPLES, 'crossref/bibtex-crossref-transform-2026-frank1970.bib'), 'utf8')}\n${readFileSync(join(SAMPLES, 'crossref/bibtex-pure-export-phdthesis.bib'), 'utf8')}`);
    const grown = await run();
    expect(grown.sources.find((s) => s.source === 'bjgp')).toMatchObject({ records: 3, deleted: 0 });
    expect([...works(out).keys()].sort()).toEqual([
      'doi:10.1126/science.169.3946.635', SEED, 'record:bjgp:key:dbbe66e459a446a0b6fddf42d3401ccb',
    ]);

    writeFileSync(bib, readFileSync(join(SAMPLES, 'crossref/bibtex-crossref-transform-2026-frank1970.bib')));
    const shrunk = await run();
    expect(shrunk.sources.find((s) => s.source === 'bjgp')).toMatchObject({ records: 1, deleted: 2 });
    const after = works(out);
    expect(after.get(SEED)!.sources.map((s) => s.source)).toEqual(['kar']);
    expect(after.get('record:bjgp:key:dbbe66e459a446a0b6fddf42d3401ccb')).toMatchObject({ status: 'tombstone' });
    const status = statusReport(config, out, shrunk.stateFile).sources.find((s) => s.source === 'bjgp');
    expect(status).toMatchObject({ health: 'ok', records: { live: 1, deleted: 2 }, baseUrl: expect.stringMatching(/^file:\/\/.*publisher\.bib$/), schedule: '0 3 * * *' });
  });

  it('fails the source, and the run, with a named error when the file is missing; the other sources are harvested', async () => {
    const { bib, out, log, run } = await setup();
    rmSync(bib);
    const summary = await run();
    expect(summary.ok).toBe(false);
    expect(summary.sources.find((s) => s.source === 'bjgp')).toMatchObject({
      status: 'failed', error: { code: 'OAIH_BIBTEX', stage: 'file', message: expect.stringContaining(`cannot read the BibTeX file ${bib}`) },
    });
    expect(summary.sources.find((s) => s.source === 'kar')).toMatchObject({ status: 'ok', records: 1 });
    expect(log.lines).toContainEqual(expect.objectContaining({ level: 50, source: 'bjgp', code: 'OAIH_BIBTEX', file: bib }));
    expect(works(out).get(SEED)!.sources.map((s) => s.source)).toEqual(['kar']);
  });
});
