import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { commonRecord } from '../../src/formats/merge.ts';
import { resolveDoi } from '../../src/identifiers/record-doi.ts';
import { normalizeRecord } from '../../src/formats/normalize.ts';
import { readFields } from '../../src/formats/registry.ts';
import type { CommonRecord } from '../../src/formats/common-record.ts';
import { FIXTURES, SAMPLES } from '../support/oai-server.ts';
import { metadataOf, recordsIn, recordsInXml } from './support.ts';

const HERE = import.meta.dirname;
const kar = recordsIn(join(HERE, 'fixtures/kar-89524-oai_dc.xml'))[0]!;
const karExport = metadataOf(join(HERE, 'fixtures/kar-89524-ep3.xml'));

function normalized(source: string, prefix: string, record = kar): CommonRecord {
  const result = normalizeRecord(source, prefix, record);
  if ('reject' in result) throw new Error(result.reject);
  if ('bug' in result) throw new Error(result.bug.stack);
  return resolveDoi(result.record);
}

describe('a KAR record', () => {
  it('from oai_dc alone: the DOI from the bare id_number, landing page, one file, article, peer reviewed', () => {
    const record = normalized('kar', 'oai_dc');
    expect(record).toMatchObject({
      id: 'kar:oai:kar.kent.ac.uk:89524',
      doi: '10.3399/bjgp.2020.0917',
      doiInfo: { original: '10.3399/BJGP.2020.0917', field: 'dc:identifier' },
      landingPage: 'https://kar.kent.ac.uk/89524/',
      type: { coar: 'http://purl.org/coar/resource_type/c_6501', label: 'journal article', original: ['Article'] },
      peerReviewed: true,
      language: 'en',
      sets: ['status=pub', 'types=article'],
      container: { title: 'British Journal of General Practice', volume: '71', issue: '710', pages: 'e711-e718', issn: ['0960-1643'] },
      licence: 'https://creativecommons.org/licenses/by/4.0/',
    });
    expect(record.files).toEqual([
      { url: 'https://kar.kent.ac.uk/89524/1/BJGP.2020.0917.full.pdf', mimeType: 'application/pdf', version: null,
        licence: 'https://creativecommons.org/licenses/by/4.0/', access: null, embargoUntil: null },
    ]);
    expect(record.citation).toMatch(/^Checkland, Kath and .* ISSN 0960-1643\.$/);
    // The header datestamp is the last modification, never the deposit.
    expect(record.dates.modified).toEqual({ value: '2023-02-10T14:05:11Z', field: 'header datestamp' });
    expect(record.dates.deposited).toBeNull();
    expect(record.dates.published).toEqual({ value: '2021-10', field: 'dc:date' });
  });

  it('enriched from its EP3 export: deposited 2021-07-30 08:45 UTC, five keywords, the accepted manuscript', () => {
    const dc = readFields('oai_dc', kar.metadata!, kar.header);
    const ep3 = readFields('ep3', karExport, kar.header);
    const record = resolveDoi(commonRecord('kar', kar.header, [dc, ep3]));
    expect(record.formats).toEqual(['ep3', 'oai_dc']);
    expect(record.dates.deposited).toEqual({ value: '2021-07-30T08:45:18Z', field: 'ep3 datestamp' });
    expect(record.dates.accepted).toEqual({ value: '2021-07-06', field: 'ep3 dates (accepted)' });
    expect(record.dates.modified).toEqual({ value: '2023-02-10T14:05:11Z', field: 'header datestamp' });
    expect(record.keywords).toEqual(['primary care networks', 'general practice', 'collaboration', 'qualitative research', 'health policy']);
    expect(record.files).toHaveLength(1);
    expect(record.files[0]).toMatchObject({ version: 'accepted', access: 'open', licence: 'https://creativecommons.org/licenses/by/4.0/' });
    expect(record.divisions).toEqual(['D3412', 'D3400']);
    expect(record.subjects).toEqual(['RA Public aspects of medicine']);
    expect(record.creators[0]).toEqual({ name: 'Checkland, Kath', family: 'Checkland', given: 'Kath', orcid: '0000-0002-9961-5317' });
    expect(record.doi).toBe('10.3399/bjgp.2020.0917');
    expect(record.landingPage).toBe('https://kar.kent.ac.uk/89524/');
    expect(record.fieldSources).toMatchObject({ keywords: 'ep3', files: 'ep3', subjects: 'oai_dc', landingPage: 'oai_dc' });
  });
});

describe('every oai_dc record in the fixtures and samples normalises without error', () => {
  const files = [
    ...readdirSync(FIXTURES, { recursive: true, encoding: 'utf8' }).map((f) => join(FIXTURES, f)),
    ...readdirSync(SAMPLES).map((f) => join(SAMPLES, f)),
  ].filter((f) => f.endsWith('.xml'));
  const dcFiles = files.filter((f) => /oai_dc:dc|<dc[\s>]/.test(readFileSync(f, 'utf8')) && /<(?:\w+:)?record[\s>]/.test(readFileSync(f, 'utf8')));
  it.each(dcFiles.map((f) => [f.replace(/^.*shared\//, ''), f]))('%s', (_name, file) => {
    let records;
    try {
      records = recordsIn(file);
    } catch {
      return; // pages broken beyond repair are the harvester's concern, tested there
    }
    expect(records.length).toBeGreaterThan(0);
    for (const r of records) {
      const result = normalizeRecord('s', 'oai_dc', r);
      expect('reject' in result ? result.reject : null).toBeNull();
      if ('record' in result && !r.header.deleted) {
        expect(result.record.formats).toEqual(['oai_dc']);
        expect(result.record.dates.modified?.field).toBe('header datestamp');
      }
    }
  });
});

const goldens: [string, () => CommonRecord][] = [
  ['eprints-kar-oai_dc', () => normalized('kar', 'oai_dc')],
  ['eprints-lshtm-oai_dc', () => normalized('lshtm', 'oai_dc', recordsIn(join(FIXTURES, 'listrecords/eprints-lshtm-listrecords-oai_dc-complete.xml'))[0])],
  ['dspace-wisconsin-oai_dc', () => normalized('minds', 'oai_dc', recordsIn(join(SAMPLES, 'dspace-oai_dc-record-minds-wisconsin.xml'))[0])],
  ['openaire-upm-oai_dc', () => normalized('upm', 'oai_dc', recordsIn(join(SAMPLES, 'eprints-oai-listrecords-oai_dc-upm-openaire-altIdentifier-doi.xml'))[0])],
  ['pure-manchester-oai_dc', () => normalized('manchester', 'oai_dc', recordsIn(join(HERE, 'fixtures/pure-manchester-oai_dc.xml'))[0])],
  ['zenodo-oai_dc', () => normalized('zenodo', 'oai_dc', recordsIn(join(FIXTURES, 'listrecords/zenodo-listrecords-oai_dc-set-software-page1.xml'))[0])],
  ['arxiv-oai_dc', () => normalized('arxiv', 'oai_dc', recordsIn(join(FIXTURES, 'getrecord/arxiv-getrecord-oai_dc-utf8.xml'))[0])],
  ['rioxx3-imperial', () => normalized('spiral', 'rioxx3', { header: { identifier: 'oai:spiral.imperial.ac.uk:10044/1/76123', datestamp: '2020-01-20T10:00:00Z', setSpecs: [], deleted: false }, metadata: metadataOf(join(SAMPLES, 'rioxx-v3-example-record-1.xml')) })],
  ['ep3-caltech', () => normalized('caltech', 'ep3', { header: { identifier: 'oai:authors.library.caltech.edu:84590', datestamp: '2018-01-31T00:00:27Z', setSpecs: [], deleted: false }, metadata: metadataOf(join(SAMPLES, 'eprints-ep3xml-export-caltechauthors-84590.xml')) })],
];

describe('golden records (UPDATE_GOLDEN=1 rewrites them after a deliberate change)', () => {
  it.each(goldens)('%s', (name, make) => {
    const file = resolve(HERE, 'golden', `${name}.json`);
    const actual = `${JSON.stringify(make(), null, 2)}\n`;
    if (process.env['UPDATE_GOLDEN'] === '1') writeFileSync(file, actual);
    // A missing golden fails: an expectation is written deliberately, then reviewed.
    expect(existsSync(file), `${file} is missing; write it with UPDATE_GOLDEN=1 and review it`).toBe(true);
    expect(actual).toBe(readFileSync(file, 'utf8'));
  });
});

describe('rejects', () => {
  it('says why a format cannot be read', () => {
    const result = normalizeRecord('s', 'marcxml', { header: { identifier: 'x', datestamp: '2021', setSpecs: [], deleted: false }, metadata: { xml: { 'marc:record': [{ '@': { 'xmlns:marc': 'http://www.loc.gov/MARC21/slim' } }] } } });
    expect(result).toEqual({ reject: 'no normaliser for metadataPrefix "marcxml" (root <marc:record> in http://www.loc.gov/MARC21/slim); the raw metadata is kept' });
  });

  it('turns a tombstone into a deleted common record', () => {
    const result = normalizeRecord('s', 'oai_dc', { header: { identifier: 'oai:x:1', datestamp: '2021-01-01T00:00:00Z', setSpecs: [], deleted: true }, metadata: null });
    expect(result).toMatchObject({ record: { id: 's:oai:x:1', deleted: true, title: null, formats: [] } });
  });
});

describe('the JSON Schema of the common record', () => {
  it('accepts every golden record and every normalised fixture record, and rejects a broken one', async () => {
    const { Ajv2020 } = await import('ajv/dist/2020.js');
    const schema = JSON.parse(readFileSync(resolve(HERE, '../../src/formats/common-record.schema.json'), 'utf8'));
    const validate = new Ajv2020({ allErrors: true, strict: true }).compile(schema);
    const records = goldens.map(([, make]) => make());
    for (const file of readdirSync(join(FIXTURES, 'listrecords'))) {
      for (const r of recordsIn(join(FIXTURES, 'listrecords', file))) {
        const result = normalizeRecord('s', 'oai_dc', r);
        if ('record' in result) records.push(resolveDoi(result.record));
      }
    }
    expect(records.length).toBeGreaterThan(400);
    for (const record of records) {
      const valid = validate(record as unknown);
      if (!valid) throw new Error(`${record.id}: ${JSON.stringify(validate.errors)}`);
    }
    const broken = { ...records[0]!, dates: { ...records[0]!.dates, published: { value: '30/07/2021', field: 'x' } } };
    expect(validate(broken)).toBe(false);
  });
});

describe('a normaliser that fails', () => {
  it('rejects metadata no normaliser reads, with the reason', () => {
    const [mods] = recordsInXml(`<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><responseDate>2026-01-01T00:00:00Z</responseDate><request>x</request>
      <ListRecords><record><header><identifier>oai:x:1</identifier><datestamp>2026-01-01</datestamp></header>
      <metadata><mods xmlns="http://www.loc.gov/mods/v3"><titleInfo><title>A</title></titleInfo></mods></metadata></record></ListRecords></OAI-PMH>`);
    const result = normalizeRecord('kar', 'mods', mods!);
    expect(result).toEqual({ reject: expect.stringContaining('no normaliser for metadataPrefix "mods"') });
  });

  it('calls anything else it throws a bug, with its stack, not unreadable metadata', () => {
    // No parsed page holds this (dc is always an object of arrays); a bug in a normaliser meets it the same way.
    const result = normalizeRecord('kar', 'oai_dc', { ...kar, metadata: { dc: null } as never });
    expect(result).toEqual({ bug: { message: expect.stringMatching(/^TypeError: /), stack: expect.stringContaining('fromOaiDc') } });
  });
});
