// Worker thread entry for harvests: parses a page and normalises each record to the common
// record in the same pass, so the main thread only writes. Answers the oai parse protocol.
import { parentPort } from 'node:worker_threads';
import { errorToJson } from '../oai/errors.ts';
import { parseListPage } from '../oai/list-page.ts';
import type { ParseReply, ParseRequest } from '../oai/page-parser.ts';
import { normalizeRecord } from '../formats/normalize.ts';
import { matchKey } from '../dedupe/match-key.ts';
import { resolveDoi } from '../identifiers/record-doi.ts';
import type { OaiRecord } from '../oai/types.ts';

export interface NormalizeOptions {
  source: string;
  metadataPrefix: string;
  /** Also return the format's fields, to merge with other formats (multi-format sources). */
  fields: boolean;
}

/**
 * A harvested record ready to write: raw metadata and common record, both as JSON text.
 * Without NormalizeOptions only header and metadataJson are present.
 */
export interface NormalizedJsonRecord {
  header: import('../oai/types.ts').OaiHeader;
  metadataJson: string;
  /** The common record of this format alone; null when the record could not be read. */
  recordJson?: string | null;
  /** Its DOI (lower case), so the writer need not parse the JSON to find the work. */
  doi?: string | null;
  /** Title, year and first creator, for probable duplicates among records without a DOI. */
  matchKey?: string | null;
  /** This format's fields, kept to merge with the record's other formats. */
  format?: string | null;
  fieldsJson?: string | null;
  reject?: string | null;
}

export function normalizePage(request: ParseRequest): ParseReply {
  const options = request.options as NormalizeOptions | undefined;
  if (request.kind !== 'recordsJson' || !options) {
    return { id: request.id, page: parseListPage(request.body, request.verb, request.kind, request.context) };
  }
  const page = parseListPage(request.body, request.verb, 'records', request.context);
  const items = page.items.map((record) => normalizeForOutput(options, record));
  return { id: request.id, page: { ...page, items } };
}

/** A record's raw metadata and common record as JSON, or the reason it was rejected. */
export function normalizeForOutput(options: NormalizeOptions, record: OaiRecord): NormalizedJsonRecord {
  const result = normalizeRecord(options.source, options.metadataPrefix, record);
  const metadataJson = JSON.stringify(record.metadata);
  if ('reject' in result) return { header: record.header, metadataJson, recordJson: null, format: null, fieldsJson: null, reject: result.reject };
  const common = resolveDoi(result.record);
  return {
    header: record.header, metadataJson, recordJson: JSON.stringify(common), doi: common.doi,
    matchKey: common.doi || record.header.deleted ? null : matchKey(common), format: result.fields?.format ?? null,
    fieldsJson: options.fields && result.fields ? JSON.stringify(result.fields.fields) : null, reject: null,
  };
}

parentPort?.on('message', (request: ParseRequest) => {
  let reply: ParseReply;
  try {
    reply = normalizePage(request);
  } catch (error) {
    reply = { id: request.id, error: errorToJson(error) };
  }
  parentPort!.postMessage(reply);
});
