import { readFileSync } from 'node:fs';
import { childOf, elementOf, parseOaiXml, parseXmlDocument } from '../../src/oai/xml.ts';
import { readRecords } from '../../src/oai/response.ts';
import type { OaiRecord, RecordMetadata } from '../../src/oai/types.ts';

/** The records of a captured OAI-PMH response (or of a bare <record> sample). */
export function recordsIn(file: string): OaiRecord[] {
  let bytes = readFileSync(file);
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
