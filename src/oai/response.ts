// OAI-PMH documents → typed values. Pure functions over the parsed tree.
import { oaiErrorFrom, ProtocolViolationError, XmlError, type ErrorContext, type OaiError } from './errors.ts';
import {
  attributesOf, childOf, childrenOf, childText, elementOf, localName, textOf,
  type XmlElement, type XmlValue,
} from './xml.ts';
import type {
  Granularity, Identify, MetadataFormat, OaiHeader, OaiRecord, OaiSet, RecordMetadata, ResumptionToken, Verb,
} from './types.ts';

export interface Envelope {
  responseDate: string;
  /** The verb element (e.g. <ListRecords>), absent when the response is an error. */
  payload: XmlElement | undefined;
  error: OaiError | undefined;
}

export function readEnvelope(root: XmlElement, verb: Verb, context: ErrorContext): Envelope {
  const responseDate = childText(root, 'responseDate');
  const errorValues = childrenOf(root, 'error');
  if (errorValues.length > 0) {
    const errors = errorValues.map((e) => ({ code: attributesOf(e)['code'] ?? 'unknown', message: textOf(e).trim() }));
    const beside = elementOf(childOf(root, verb));
    if (beside && Object.keys(beside).some((k) => k !== '@' && k !== '#text')) {
      throw new ProtocolViolationError(
        `the response has an OAI-PMH error (${errors.map((e) => e.code).join(', ')}) and <${verb}> content beside it; ` +
          'the list is not known to be complete, so it stops at the last committed page',
        { ...context, stage: 'oai' },
      );
    }
    return { responseDate, payload: undefined, error: oaiErrorFrom(errors, { ...context, stage: 'oai' }) };
  }
  const payload = elementOf(childOf(root, verb));
  const present = childOf(root, verb);
  if (present === undefined) {
    throw new XmlError(`the response has neither <${verb}> nor <error>`, { ...context, stage: 'xml' });
  }
  // <ListRecords/> with nothing inside parses as "": an empty list, not a broken page.
  return { responseDate, payload: payload ?? {}, error: undefined };
}

export function readIdentify(payload: XmlElement): Identify {
  const granularity = childText(payload, 'granularity');
  return {
    repositoryName: childText(payload, 'repositoryName'),
    baseURL: childText(payload, 'baseURL'),
    protocolVersion: childText(payload, 'protocolVersion'),
    earliestDatestamp: childText(payload, 'earliestDatestamp'),
    deletedRecord: childText(payload, 'deletedRecord'),
    // Anything but the seconds form is treated as day granularity: the safe choice.
    granularity: (granularity.includes('hh') ? 'YYYY-MM-DDThh:mm:ssZ' : 'YYYY-MM-DD') satisfies Granularity,
    adminEmails: childrenOf(payload, 'adminEmail').map((v) => textOf(v).trim()),
    compression: childrenOf(payload, 'compression').map((v) => textOf(v).trim()),
    descriptions: childrenOf(payload, 'description').flatMap((d) => {
      const el = elementOf(d);
      return el ? Object.keys(el).filter((k) => k !== '@').map(localName) : [];
    }),
  };
}

export function readMetadataFormats(payload: XmlElement): MetadataFormat[] {
  return childrenOf(payload, 'metadataFormat').map((value) => {
    const el = elementOf(value) ?? {};
    return {
      metadataPrefix: childText(el, 'metadataPrefix'),
      schema: childText(el, 'schema'),
      metadataNamespace: childText(el, 'metadataNamespace'),
    };
  });
}

export function readSets(payload: XmlElement): OaiSet[] {
  return childrenOf(payload, 'set').map((value) => {
    const el = elementOf(value) ?? {};
    return { setSpec: childText(el, 'setSpec'), setName: childText(el, 'setName') };
  });
}

export function readToken(payload: XmlElement): ResumptionToken | undefined {
  const value = childOf(payload, 'resumptionToken');
  if (value === undefined) return undefined;
  const attrs = attributesOf(value);
  const token: ResumptionToken = { value: textOf(value).trim() };
  const size = toCount(attrs['completeListSize']);
  const cursor = toCount(attrs['cursor']);
  if (size !== undefined) token.completeListSize = size;
  if (cursor !== undefined) token.cursor = cursor;
  if (attrs['expirationDate']) token.expirationDate = attrs['expirationDate'].trim();
  return token;
}

function toCount(value: string | undefined): number | undefined {
  if (value === undefined || !/^\s*\d+\s*$/.test(value)) return undefined;
  return Number(value);
}

export function readHeader(value: XmlValue, context: ErrorContext): OaiHeader {
  const el = elementOf(value);
  const identifier = el ? childText(el, 'identifier') : '';
  if (!el || identifier === '') {
    throw new XmlError('a record header has no identifier', { ...context, stage: 'record' });
  }
  const setSpecs = childrenOf(el, 'setSpec');
  return {
    identifier,
    datestamp: childText(el, 'datestamp'),
    setSpecs: setSpecs.length === 0 ? [] : setSpecs.map((s) => textOf(s).trim()),
    deleted: attributesOf(el)['status'] === 'deleted',
  };
}

export function readHeaders(payload: XmlElement, context: ErrorContext): OaiHeader[] {
  return childrenOf(payload, 'header').map((h) => readHeader(h, context));
}

export function readRecords(payload: XmlElement, context: ErrorContext): OaiRecord[] {
  const values = childrenOf(payload, 'record');
  const records: OaiRecord[] = new Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const el = elementOf(values[i]);
    const headerValue = el && childOf(el, 'header');
    if (!el || headerValue === undefined) {
      const previous = records[i - 1]?.header.identifier;
      throw new XmlError(
        `record ${i + 1} of the page has no header${previous ? ` (it follows ${previous})` : ''}`,
        { ...context, stage: 'record' },
      );
    }
    const header = readHeader(headerValue, context);
    const metadata = header.deleted ? null : readMetadata(childOf(el, 'metadata'));
    records[i] = { header, metadata };
  }
  return records;
}

/** The element inside <metadata>, in the JSON form documented on RecordMetadata. */
export function readMetadata(value: XmlValue | undefined): RecordMetadata | null {
  const el = elementOf(value);
  if (!el) return null;
  for (const key in el) {
    if (key === '@' || key === '#text') continue;
    const inner = el[key];
    if (!Array.isArray(inner) || inner.length === 0) continue;
    const root = inner[0]!;
    if (localName(key) === 'dc' && typeof root !== 'string' && isOaiDc(key, root)) return dublinCore(root);
    return { xml: { [key]: inner } };
  }
  return null;
}

const OAI_DC_NS = 'http://www.openarchives.org/OAI/2.0/oai_dc/';

function isOaiDc(key: string, root: XmlElement): boolean {
  const attrs = attributesOf(root);
  const colon = key.indexOf(':');
  const declared = attrs[colon === -1 ? 'xmlns' : `xmlns:${key.slice(0, colon)}`];
  // Declared on an ancestor (Gallica) or not at all (namespace-less servers): trust the name.
  return declared === undefined || declared === OAI_DC_NS;
}

function resourceOf(attrs: Record<string, string>): string {
  for (const name in attrs) if (localName(name) === 'resource') return attrs[name]!;
  return '';
}

function dublinCore(root: XmlElement): RecordMetadata {
  const dc: Record<string, string[]> = {};
  let lang: Record<string, (string | null)[]> | undefined;
  for (const key in root) {
    if (key === '@' || key === '#text') continue;
    const values = root[key];
    if (!Array.isArray(values)) continue;
    const name = localName(key);
    const texts = (dc[name] ??= []);
    const offset = texts.length;
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      if (typeof v === 'string') {
        texts.push(v);
        continue;
      }
      const attrs = attributesOf(v);
      // An element that names a resource instead of holding text (<rdf:type rdf:resource="…"/>).
      texts.push(textOf(v) || resourceOf(attrs));
      const l = attrs['xml:lang'];
      if (l !== undefined) {
        lang ??= {};
        const langs = (lang[name] ??= []);
        while (langs.length < offset + i) langs.push(null);
        langs[offset + i] = l;
      }
    }
  }
  if (lang) {
    for (const name in lang) {
      const langs = lang[name]!;
      while (langs.length < dc[name]!.length) langs.push(null);
    }
    return { dc, lang };
  }
  return { dc };
}
