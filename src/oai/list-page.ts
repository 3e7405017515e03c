// One list page's bytes → typed items. Pure; runs on the main thread or in a worker.
import { NoRecordsMatchError, type ErrorContext } from './errors.ts';
import { readEnvelope, readHeaders, readRecords, readSets, readToken } from './response.ts';
import type { OaiHeader, ResumptionToken, Verb } from './types.ts';
import { parseOaiXml, type XmlElement } from './xml.ts';

/** A record whose metadata is already JSON text: what a writer of JSON lines needs. */
export interface JsonRecord {
  header: OaiHeader;
  metadataJson: string;
}

// Serialising where the page was parsed (often a worker) spares the receiving thread
// both the object graph and the stringify.
function readJsonRecords(payload: XmlElement, context: ErrorContext): JsonRecord[] {
  return readRecords(payload, context).map((r) => ({ header: r.header, metadataJson: JSON.stringify(r.metadata) }));
}

/** Readers by name, so a worker thread can be told which one to run. */
export const LIST_READERS = { records: readRecords, recordsJson: readJsonRecords, headers: readHeaders, sets: readSets } as const;
export type ListKind = keyof typeof LIST_READERS;
export type ItemOf<K extends ListKind> = ReturnType<(typeof LIST_READERS)[K]>[number];

export interface ParsedListPage<T> {
  items: T[];
  token: ResumptionToken | undefined;
  responseDate: string;
  repairedChars: number;
  truncatedChars: number;
}

export function parseListPage<K extends ListKind>(body: Uint8Array, verb: Verb, kind: K, context: ErrorContext): ParsedListPage<ItemOf<K>> {
  const parsed = parseOaiXml(body, context);
  const envelope = readEnvelope(parsed.root, verb, context);
  const base = { repairedChars: parsed.repairedChars, truncatedChars: parsed.truncatedChars, responseDate: envelope.responseDate };
  // noRecordsMatch is an empty, successful list (also after a token: the end of it).
  if (envelope.error instanceof NoRecordsMatchError) return { ...base, items: [], token: undefined };
  if (envelope.error) throw envelope.error;
  const payload = envelope.payload!;
  const reader = LIST_READERS[kind] as (p: typeof payload, c: ErrorContext) => ItemOf<K>[];
  return { ...base, items: reader(payload, context), token: readToken(payload) };
}
