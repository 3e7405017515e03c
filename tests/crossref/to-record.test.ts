import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { crossrefRecord, jatsText } from '../../src/crossref/to-record.ts';
import { readCrossrefWork, type CrossrefWork } from '../../src/crossref/work.ts';
import { SAMPLES } from '../support/oai-server.ts';

const sample = (name: string): unknown => JSON.parse(readFileSync(join(SAMPLES, 'crossref', name), 'utf8'));
const work = (name: string): CrossrefWork => readCrossrefWork((sample(name) as { message: unknown }).message)!;

describe('a Crossref work as the version of record', () => {
  it('eLife 01567: journal, volume, article number, ISSN, dates from the publication history, licences once each', () => {
    const record = crossrefRecord(work('work-elife.01567-assertions-vor-am-tdm-licenses.json'));
    expect(record).toMatchObject({
      id: 'crossref:10.7554/elife.01567', source: 'crossref', identifier: '10.7554/elife.01567', doi: '10.7554/elife.01567', formats: ['crossref'],
      title: 'Automated quantitative histology reveals vascular morphodynamics during Arabidopsis hypocotyl secondary growth',
      container: { title: 'eLife', volume: '3', issue: null, pages: 'e01567', issn: ['2050-084X'], isbn: [] },
      publisher: 'eLife Sciences Publications, Ltd', language: 'en',
      type: { coar: 'http://purl.org/coar/resource_type/c_6501', label: 'journal article', original: ['journal-article'] },
      version: { value: 'published' },
      licence: 'http://creativecommons.org/licenses/by/3.0/',
      landingPage: 'https://elifesciences.org/articles/01567',
    });
    expect(record.dates.published).toEqual({ value: '2014-02-11', field: 'crossref published-online' });
    expect(record.dates.accepted).toEqual({ value: '2013-12-24', field: 'crossref assertion accepted (publication_history)' });
    expect(record.dates.deposited).toBeNull();
    expect(record.licences!.map((l) => l.contentVersion)).toEqual(['vor', 'am', 'tdm']);
    expect(record.creators[0]).toEqual({ name: 'Sankar, Martial', family: 'Sankar', given: 'Martial', orcid: null });
    expect(record.funding).toContainEqual({ funder: 'University of Lausanne', funderId: 'https://doi.org/10.13039/501100006390', award: null });
    expect(record.abstract).toMatch(/^Among various advantages, their small size makes model organisms/);
    expect(record.abstract).not.toContain('<');
    expect(record.updates).toEqual([]);
  });

  it('a bioRxiv preprint: posted is its publication, and its accepted field is no journal acceptance', () => {
    const record = crossrefRecord(work('work-biorxiv-posted-content-accepted-field.json'));
    expect(record.type).toMatchObject({ coar: 'http://purl.org/coar/resource_type/c_816b', original: ['posted-content', 'preprint'] });
    expect(record.dates.published).toEqual({ value: '2020-12-01', field: 'crossref posted' });
    expect(record.dates.accepted).toBeNull();
    expect(record.title).toBe('Identification of a novel cationic glycolipid in Streptococcus agalactiae that contributes to brain entry and meningitis');
  });

  it('reads acceptance written "15 May 2024" (Springer, IUCr) and the accepted field, in 12 of the 20 NSF works as Crossref holds them', () => {
    const items = ((sample('works-list-funder-nsf-has-assertion-20-items.json') as { message: { items: unknown[] } }).message.items).map(readCrossrefWork);
    const records = items.map((w) => crossrefRecord(w!));
    expect(records.filter((r) => r.dates.accepted !== null)).toHaveLength(12);
    expect(records.map((r) => r.dates.accepted?.value).filter(Boolean).every((d) => /^\d{4}-\d{2}-\d{2}$/.test(d!))).toBe(true);
    for (const r of records) expect(r.container.issn.every((i) => /^\d{4}-\d{3}[\dX]$/.test(i))).toBe(true);
  });

  it('turns JATS into paragraphs of plain text', () => {
    expect(jatsText('<jats:title>Abstract</jats:title><jats:sec><jats:title>Background</jats:title><jats:p>PCNs &amp; the <jats:italic>NHS</jats:italic>.</jats:p></jats:sec><jats:p>Second.</jats:p>'))
      .toBe('Background: PCNs & the NHS.\n\nSecond.');
  });
});
