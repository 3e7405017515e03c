import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { hostname } from 'node:os';
import { harvest } from '../../src/pipeline/harvest.ts';
import { recomputeDirtyWorks, worksRun } from '../../src/dedupe/recompute-works.ts';
import { StateStore } from '../../src/store/state.ts';
import type { CommonRecord } from '../../src/formats/common-record.ts';
import { statusReport } from '../../src/pipeline/status.ts';
import { formatStatus } from '../../src/cli/status-text.ts';
import type { Work } from '../../src/dedupe/work.ts';
import { FixtureRepository } from '../support/fixture-repository.ts';
import { captureLogger, tempDir, testConfig } from '../support/run.ts';

const FIXTURES = join(import.meta.dirname, '../formats/fixtures');
const DOI = 'doi:10.3399/bjgp.2020.0917';
const KAR_ID = 'oai:kar.kent.ac.uk:89524';
const PURE_ID = 'oai:pure.atira.dk:publications/5f0b7c1e-3a52-4d2b-9d61-0c6f2a1e7b44';

const simple = (title: string, doi?: string) =>
  `<oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>${title}</dc:title><dc:creator>Other, A.</dc:creator><dc:date>2020</dc:date>${doi ? `<dc:relation>${doi}</dc:relation>` : ''}</oai_dc:dc>`;

let repositories: FixtureRepository[] = [];
afterEach(async () => {
  await Promise.all(repositories.map((r) => r.stop()));
  repositories = [];
});

const { Ajv2020 } = await import('ajv/dist/2020.js');
const validateWork = new Ajv2020({ allErrors: true, strict: false }).compile(
  JSON.parse(readFileSync(join(import.meta.dirname, '../../src/dedupe/work.schema.json'), 'utf8')),
);

/** works.jsonl, every line validated against the work's JSON Schema. */
function works(out: string): Map<string, Work> {
  const lines = readFileSync(join(out, 'works.jsonl'), 'utf8').trim().split('\n');
  const parsed = lines.map((l) => JSON.parse(l) as unknown);
  for (const w of parsed) {
    if (!validateWork(w)) throw new Error(`works.jsonl does not validate: ${JSON.stringify(validateWork.errors)}`);
  }
  return new Map((parsed as Work[]).map((w) => [w.id, w]));
}

async function setup(worksConfig: Record<string, unknown> = {}) {
  // Kent: EPrints, the accepted manuscript, DOI written 10.3399/BJGP.2020.0917, with its export.
  const kent = new FixtureRepository();
  kent.set(KAR_ID, '2023-02-10T14:05:11Z', { metadata: FixtureRepository.metadataOf(join(FIXTURES, 'kar-89524-oai_dc.xml')) });
  kent.set('oai:kar.kent.ac.uk:100', '2023-01-01T00:00:00Z', { metadata: simple('A Kent paper without a DOI') });
  kent.exports.set('/cgi/export/eprint/89524/XML/eprint-89524.xml', readFileSync(join(FIXTURES, 'kar-89524-ep3.xml')));
  // Manchester: Pure, the version of record, DOI written https://doi.org/10.3399/bjgp.2020.0917.
  const pure = new FixtureRepository();
  pure.set(PURE_ID, '2022-01-14T09:12:40Z', { metadata: FixtureRepository.metadataOf(join(FIXTURES, 'pure-manchester-oai_dc.xml')) });
  pure.set('oai:pure.atira.dk:publications/other', '2022-01-01T00:00:00Z', { metadata: simple('A Manchester paper', '10.1000/other') });
  repositories = [kent, pure];
  // The same paper without a DOI in both: a probable duplicate.
  kent.set('oai:kar.kent.ac.uk:200', '2023-01-01T00:00:00Z', { metadata: simple('Working paper on regional health economics') });
  pure.set('oai:pure.atira.dk:publications/wp', '2022-01-01T00:00:00Z', { metadata: simple('Working Paper on Regional Health Economics.') });
  const config = testConfig(
    [
      { id: 'kar', baseUrl: await kent.start(), enrich: ['eprints-export'] },
      { id: 'manchester', baseUrl: await pure.start('/ws/oai') },
    ],
    { works: worksConfig },
  );
  const out = tempDir();
  const { logger } = captureLogger();
  return { kent, pure, out, config, run: (now?: Date) => harvest({ config, outDir: out, logger, ...(now ? { now } : {}) }) };
}

describe('works', () => {
  it('merges the example paper from two repositories into one work, and follows deletions and restorations', async () => {
    const { kent, pure, out, run } = await setup();
    const first = await run();
    expect(first.ok).toBe(true);
    expect(first.works).toMatchObject({ added: 5, changed: 0, removed: 0, total: 5, probableDuplicates: 1 });
    let work = works(out).get(DOI)!;
    expect(work.sources.map((s) => s.source)).toEqual(['manchester', 'kar']);
    expect(work.abstract!.from).toBe(`manchester:${PURE_ID}`);
    expect(work.variants.abstract).toEqual([{ value: expect.stringContaining('uneven advantages'), from: `kar:${KAR_ID}` }]);
    expect(work.dates.deposited).toEqual({ value: '2021-07-30T08:45:18Z', from: `kar:${KAR_ID}` });
    expect(works(out).get(`record:kar:oai:kar.kent.ac.uk:100`)).toMatchObject({ doi: null, status: 'active' });

    // Deleted at Manchester: the work keeps Kent's copy.
    pure.set(PURE_ID, '2030-01-01T00:00:00Z', { deleted: true });
    const second = await run();
    expect(second.works).toMatchObject({ touched: 1, changed: 1, total: 5 });
    work = works(out).get(DOI)!;
    expect(work).toMatchObject({ status: 'active', sources: [{ source: 'kar', deleted: false }] });
    expect(work.abstract!.from).toBe(`kar:${KAR_ID}`);

    // Deleted at Kent too: a tombstone.
    kent.set(KAR_ID, '2030-01-01T00:00:00Z', { deleted: true });
    const third = await run();
    expect(third.works).toMatchObject({ removed: 1 });
    expect(works(out).get(DOI)).toMatchObject({ status: 'tombstone', title: null });
    const changes = readFileSync(third.works.changes!, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(changes).toEqual([expect.objectContaining({ change: 'removed', id: DOI })]);

    // Restored at both: back, with both copies.
    kent.set(KAR_ID, '2030-02-01T00:00:00Z', { deleted: false });
    pure.set(PURE_ID, '2030-02-01T00:00:00Z', { deleted: false });
    const fourth = await run();
    expect(fourth.works).toMatchObject({ added: 1 });
    expect(works(out).get(DOI)!.sources.map((s) => s.source)).toEqual(['manchester', 'kar']);
  });

  it('moves a record whose DOI is corrected to its new work', async () => {
    const { pure, out, run } = await setup();
    await run();
    expect(works(out).has('doi:10.1000/other')).toBe(true);
    pure.set('oai:pure.atira.dk:publications/other', '2030-01-01T00:00:00Z', { metadata: simple('A Manchester paper', '10.1000/corrected') });
    const second = await run();
    expect(second.works).toMatchObject({ added: 1, removed: 1, total: 5 });
    expect(works(out).has('doi:10.1000/other')).toBe(false);
    expect(works(out).get('doi:10.1000/corrected')!.sources[0]!.source).toBe('manchester');
    expect(existsSync(second.works.changes!)).toBe(true);
  });

  it('explains a work on the command line: every value with the copy it came from', async () => {
    const { out, run } = await setup();
    await run();
    const { spawnSync } = await import('node:child_process');
    const main = join(import.meta.dirname, '../../src/cli/bin.ts');
    const shown = spawnSync(process.execPath, [main, 'works', 'show', 'https://doi.org/10.3399/BJGP.2020.0917', '--out', out], { encoding: 'utf8' });
    expect(shown.status).toBe(0);
    expect(shown.stdout).toContain('doi:10.3399/bjgp.2020.0917  active, 2 copies');
    expect(shown.stdout).toMatch(/abstract\s+This study highlights tensions.*\n\s+from manchester:oai:pure\.atira\.dk:publications\/5f0b7c1e-3a52-4d2b-9d61-0c6f2a1e7b44 \(version of record\)/);
    expect(shown.stdout).toContain('other abstract: Background: Primary care networks');
    expect(shown.stdout).toContain('deposited              2021-07-30T08:45:18Z  from kar:oai:kar.kent.ac.uk:89524 (ep3 datestamp)');
    const json = spawnSync(process.execPath, [main, 'works', 'show', '10.3399/bjgp.2020.0917', '--json', '--out', out], { encoding: 'utf8' });
    expect(JSON.parse(json.stdout)).toMatchObject({ id: DOI, status: 'active' });
    const missing = spawnSync(process.execPath, [main, 'works', 'show', '10.1000/none', '--out', out], { encoding: 'utf8' });
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('no work for 10.1000/none');
    const unknown = spawnSync(process.execPath, [main, 'works', 'list', '--out', out], { encoding: 'utf8' });
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toBe("oai-harvester: unknown command 'list' (see oai-harvester help)\n");
  });

  it('reports records without a DOI that are probably one paper, with the evidence, and merges them only when asked', async () => {
    const separate = await setup();
    const run = await separate.run();
    const report = readFileSync(run.works.probableDuplicatesFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(report).toEqual([
      {
        key: 'working paper on regional health economics|2020|other',
        evidence: { title: 'working paper on regional health economics', year: '2020', firstCreatorFamily: 'other' },
        merged: false,
        records: [
          expect.objectContaining({ id: 'kar:oai:kar.kent.ac.uk:200', work: 'record:kar:oai:kar.kent.ac.uk:200', title: 'Working paper on regional health economics', published: '2020', firstCreator: 'Other, A.' }),
          expect.objectContaining({ id: 'manchester:oai:pure.atira.dk:publications/wp', work: 'record:manchester:oai:pure.atira.dk:publications/wp' }),
        ],
      },
    ]);
    await Promise.all(repositories.map((r) => r.stop()));

    const merging = await setup({ mergeProbableDuplicates: true });
    const merged = await merging.run();
    expect(merged.works.total).toBe(4);
    const work = works(merging.out).get('title:working paper on regional health economics|2020|other')!;
    expect(work.sources.map((s) => s.source)).toEqual(['kar', 'manchester']);
    expect(JSON.parse(readFileSync(merged.works.probableDuplicatesFile, 'utf8'))).toMatchObject({ merged: true });
  });

  it('refuses a work that breaks its schema (the check above can fail)', () => {
    expect(validateWork({ schemaVersion: 1, id: 'doi:10.1/x', status: 'unknown' })).toBe(false);
  });

  it('recomputes only the works a run touched, and leaves a current snapshot alone', async () => {
    const { out, run } = await setup();
    await run();
    const { statSync } = await import('node:fs');
    const before = statSync(join(out, 'works.jsonl')).mtimeMs;
    const again = await run();
    expect(statSync(join(out, 'works.jsonl')).mtimeMs).toBe(before);
    expect(again.works).toMatchObject({ touched: 0, added: 0, changed: 0, removed: 0, total: 5, changes: null });
    expect(works(out).size).toBe(5);
  });

  it('reports the works recomputed by a run killed before its change file, in the next run\'s', async () => {
    const { out, run } = await setup();
    await run();
    // A run recomputes a retitled record's work between pages, then dies (kill -9): its process is gone.
    const state = StateStore.open(join(out, 'state.sqlite'));
    const id = 'record:kar:oai:kar.kent.ac.uk:100';
    const record = JSON.parse(state.records.ofWork(id)[0]!.recordJson) as CommonRecord;
    state.transaction(() => state.records.save([{ sourceId: 'kar', identifier: record.identifier, deleted: false, workId: id, recordJson: JSON.stringify({ ...record, title: 'Retitled before the kill' }) }]));
    const dead = worksRun(state, { policy: { sourcePriority: [] }, runId: 'killed-run' });
    state.works.registerRun('killed-run', 2 ** 31 - 1, hostname());
    expect(recomputeDirtyWorks(dead)).toBe(1);
    state.close();

    const next = await run();
    expect(next.works).toMatchObject({ touched: 1, changed: 1, snapshotWritten: true });
    const [change] = readFileSync(next.works.changes!, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(change).toMatchObject({ change: 'changed', id, work: { title: { value: 'Retitled before the kill' } } });
    expect(works(out).get(id)!.title!.value).toBe('Retitled before the kill');
  });

  it('with works.snapshotEveryHours, leaves works.jsonl behind until the interval has passed, listing the change files since', async () => {
    const { kent, out, config, run } = await setup({ snapshotEveryHours: 24 });
    const hours = (h: number) => new Date(Date.parse('2031-01-01T02:00:00Z') + h * 3_600_000);
    const manifest = () => JSON.parse(readFileSync(join(out, 'works', 'snapshot.json'), 'utf8'));
    const title = () => works(out).get('record:kar:oai:kar.kent.ac.uk:100')!.title!.value;
    const first = await run(hours(0));
    expect(first.works).toMatchObject({ snapshotWritten: true, snapshotOf: { run: first.runId, behind: false, changeFilesSince: 0, written: 'whole' } });
    expect(manifest()).toMatchObject({ worksFile: 'works.jsonl', run: first.runId, works: 5, behind: false, changeFilesSince: [] });
    // The time of writing, on the run's clock: its start plus the time the run took to get there.
    const writtenAt = Date.parse(manifest().writtenAt);
    expect(writtenAt - hours(0).getTime()).toBeGreaterThan(0);
    expect(writtenAt - hours(0).getTime()).toBeLessThan(30_000);

    // An hour later a title changes: the change file has it, works.jsonl waits.
    kent.set('oai:kar.kent.ac.uk:100', '2030-01-01T00:00:00Z', { metadata: simple('A Kent paper, retitled') });
    const second = await run(hours(1));
    expect(second.works).toMatchObject({ changed: 1, total: 5, snapshotWritten: false, snapshotOf: { run: first.runId, behind: true, changeFilesSince: 1 } });
    expect(title()).toBe('A Kent paper without a DOI');
    const [change] = readFileSync(second.works.changes!, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(change).toMatchObject({ change: 'changed', work: { title: { value: 'A Kent paper, retitled' } } });
    expect(manifest()).toMatchObject({ run: first.runId, behind: true, changeFilesSince: [`works/changes/${second.runId}.jsonl`] });
    const report = statusReport(config, out, join(out, 'state.sqlite'), hours(2));
    expect(report.worksSnapshot).toMatchObject({ run: first.runId, behind: true, works: 5 });
    expect(formatStatus(report)).toContain(`works.jsonl  5 works as of ${manifest().writtenAt} (2 h 0 min ago); behind: 1 change file since`);

    // A day after it was written, the next run brings it up to date, though it changed nothing itself.
    const third = await run(hours(25));
    expect(third.works).toMatchObject({ touched: 0, snapshotWritten: true, snapshotOf: { run: third.runId, behind: false, changeFilesSince: 0, written: 'patched' } });
    expect(title()).toBe('A Kent paper, retitled');
    expect(manifest()).toMatchObject({ run: third.runId, behind: false, changeFilesSince: [] });

    // Behind again: a title changes and a record without a DOI is deleted.
    kent.set('oai:kar.kent.ac.uk:100', '2030-01-02T00:00:00Z', { metadata: simple('A Kent paper, retitled twice') });
    kent.set('oai:kar.kent.ac.uk:200', '2030-01-02T00:00:00Z', { deleted: true });
    expect((await run(hours(26))).works.snapshotWritten).toBe(false);
    expect(title()).toBe('A Kent paper, retitled');
    // As documented: works.jsonl with the change files since applied in order is the current state.
    const applied = works(out);
    for (const file of manifest().changeFilesSince as string[]) {
      for (const line of readFileSync(join(out, file), 'utf8').trim().split('\n')) {
        const { id, work } = JSON.parse(line) as { id: string; work: Work | null };
        if (work) applied.set(id, work);
        else applied.delete(id);
      }
    }
    // `works snapshot` writes it at once, and it equals what the change files gave.
    const { spawnSync } = await import('node:child_process');
    const written = spawnSync(process.execPath, [join(import.meta.dirname, '../../src/cli/bin.ts'), 'works', 'snapshot', '--out', out], { encoding: 'utf8' });
    expect(written.stderr).toBe('');
    expect(written.status).toBe(0);
    expect(written.stdout).toContain(`5 works written to ${join(out, 'works.jsonl')}`);
    expect(title()).toBe('A Kent paper, retitled twice');
    expect(manifest()).toMatchObject({ run: expect.stringMatching(/^snapshot-/), behind: false, changeFilesSince: [] });
    expect(applied.get('record:kar:oai:kar.kent.ac.uk:200')!.status).toBe('tombstone');
    expect([...applied.entries()].sort()).toEqual([...works(out).entries()].sort());
  });
});
