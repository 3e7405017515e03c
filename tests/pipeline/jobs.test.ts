// A source's jobs: one per format and set, in the order a run harvests them, the statistics
// with the first; a job whose list left the config is told apart, and a slot's id covers the list.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { jobListKey, slotJobId, sourceJobs, unknownList } from '../../src/pipeline/jobs.ts';
import { tempDir, testConfig } from '../support/run.ts';

describe('the jobs of a source', () => {
  it('are one per format and set, the richer formats after the configured ones, the statistics with the first', () => {
    const [source] = testConfig([{
      id: 'kar', baseUrl: 'http://127.0.0.1:9/oai', metadataPrefix: ['oai_dc', 'mods'], richerFormats: ['rioxx', 'mods'], sets: ['a', 'b'], stats: { type: 'irstats2' },
    }]).sources;
    expect(sourceJobs(source!).map((j) => [jobListKey(j), j.stats === true])).toEqual([
      ['oai_dc|a', true], ['oai_dc|b', false], ['mods|a', false], ['mods|b', false], ['rioxx|a', false], ['rioxx|b', false],
    ]);
    const [plain] = testConfig([{ id: 'dspace', baseUrl: 'http://127.0.0.1:9/oai' }]).sources;
    expect(sourceJobs(plain!)).toEqual([{ sourceId: 'dspace', list: { metadataPrefix: 'oai_dc' } }]);
  });

  it('are one for a file source, which has no lists', () => {
    const bib = join(tempDir(), 'works.bib');
    writeFileSync(bib, '@article{a, title = {A}, doi = {10.5555/a}}\n');
    const [file] = testConfig([{ id: 'pub', type: 'bibtex', path: bib }]).bibtexSources;
    expect(sourceJobs(file!)).toEqual([{ sourceId: 'pub' }]);
    expect(jobListKey(sourceJobs(file!)[0]!)).toBe('*');
  });

  it('tell a list the config no longer has from one it has', () => {
    const [source] = testConfig([{ id: 'kar', baseUrl: 'http://127.0.0.1:9/oai', richerFormats: ['rioxx'], sets: ['a'] }]).sources;
    expect(unknownList(source!, { metadataPrefix: 'oai_dc', set: 'a' })).toBeUndefined();
    expect(unknownList(source!, { metadataPrefix: 'rioxx', set: 'a' })).toBeUndefined();
    expect(unknownList(source!, { metadataPrefix: 'mods', set: 'a' })).toBe('format "mods" is no longer among its metadataPrefixes or richerFormats');
    expect(unknownList(source!, { metadataPrefix: 'oai_dc', set: 'b' })).toBe('set "b" is no longer among its sets');
    expect(unknownList(source!, { metadataPrefix: 'oai_dc' })).toBe('it now names sets (a)');
    const [unset] = testConfig([{ id: 'kar', baseUrl: 'http://127.0.0.1:9/oai' }]).sources;
    expect(unknownList(unset!, { metadataPrefix: 'oai_dc', set: 'a' })).toBe('set "a" is no longer among its sets');
  });

  it('have slot ids the same in every scheduler, one per list and slot', () => {
    const slot = '2026-12-01T02:15:00.000Z';
    const oaiDc = slotJobId({ sourceId: 'kar', list: { metadataPrefix: 'oai_dc' } }, slot);
    expect(slotJobId({ sourceId: 'kar', list: { metadataPrefix: 'oai_dc' } }, slot)).toBe(oaiDc);
    expect(oaiDc).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const others = [
      slotJobId({ sourceId: 'kar', list: { metadataPrefix: 'rioxx' } }, slot),
      slotJobId({ sourceId: 'kar', list: { metadataPrefix: 'oai_dc', set: 'a' } }, slot),
      slotJobId({ sourceId: 'kar', list: { metadataPrefix: 'oai_dc' } }, '2026-12-02T02:15:00.000Z'),
      slotJobId({ sourceId: 'kar' }, slot),
    ];
    expect(new Set([oaiDc, ...others]).size).toBe(5);
  });
});
