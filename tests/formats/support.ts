import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CommonRecord } from '../../src/formats/common-record.ts';
import { commonRecord } from '../../src/formats/merge.ts';
import { normalizeRecord } from '../../src/formats/normalize.ts';
import { readFields } from '../../src/formats/registry.ts';
import { resolveDoi } from '../../src/identifiers/record-doi.ts';
import { childOf, elementOf, parseOaiXml, parseXmlDocument } from '../../src/oai/xml.ts';
import { readRecords } from '../../src/oai/response.ts';
import type { OaiRecord, RecordMetadata } from '../../src/oai/types.ts';

/** The records of a captured OAI-PMH response (or of a bare <record> sample). */
export function recordsIn(file: string): OaiRecord[] {
  return recordsInXml(readFileSync(file));
}

export function recordsInXml(xml: Buffer | string): OaiRecord[] {
  let bytes = Buffer.isBuffer(xml) ? xml : Buffer.from(xml);
  const text = bytes.toString('utf8');
  if (!/<(?:\w+:)?OAI-PMH[\s>]/.test(text)) bytes = Buffer.from(`<OAI-PMH><GetRecord>${text.replace(/^<\?xml[^>]*\?>/, '')}</GetRecord></OAI-PMH>`);
  const { root } = parseOaiXml(bytes);
  const payload = elementOf(childOf(root, 'ListRecords')) ?? elementOf(childOf(root, 'GetRecord'));
  return payload ? readRecords(payload, {}) : [];
}

/** A standalone XML document (RIOXX example, EP3 export) as record metadata. */
export function metadataOf(file: string): RecordMetadata {
  const { root, rootName } = parseXmlDocument(readFileSync(file));
  return { xml: { [rootName]: [root] } };
}

const FIXTURES = join(import.meta.dirname, 'fixtures');

/** Kent's accepted manuscript of the example paper: its oai_dc merged with its EP3 export. */
export function kentRecord(): CommonRecord {
  const r = recordsIn(join(FIXTURES, 'kar-89524-oai_dc.xml'))[0]!;
  return resolveDoi(commonRecord('kar', r.header, [readFields('oai_dc', r.metadata!, r.header), readFields('ep3', metadataOf(join(FIXTURES, 'kar-89524-ep3.xml')), r.header)]));
}

/**
 * Manchester's Pure record of the same paper: the version of record. `withoutFiles` leaves
 * out its file link, as Pure records often have none: only dc:type then says the version.
 */
export function manchesterRecord({ withoutFiles = false } = {}): CommonRecord {
  let xml = readFileSync(join(FIXTURES, 'pure-manchester-oai_dc.xml'), 'utf8');
  if (withoutFiles) xml = xml.replace(/\s*<dc:identifier>[^<]*\.pdf<\/dc:identifier>/, '');
  const result = normalizeRecord('manchester', 'oai_dc', recordsInXml(xml)[0]!);
  if ('reject' in result) throw new Error(result.reject);
  if ('bug' in result) throw new Error(result.bug.stack);
  return resolveDoi(result.record);
}
