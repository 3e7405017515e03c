// One list page's bytes → typed items. Pure; runs on the main thread or in a worker.
import { NoRecordsMatchError, type ErrorContext } from './errors.ts';
import { readEnvelope, readHeaders, readRecords, readSets, readToken } from './response.ts';
import type { ResumptionToken, Verb } from './types.ts';
import { parseOaiXml } from './xml.ts';

/** Readers by name, so a worker thread can be told which one to run. */
export const LIST_READERS = { records: readRecords, headers: readHeaders, sets: readSets } as const;
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
