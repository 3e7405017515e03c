// A list page parsed and each record normalised to the common record in the same pass, its
// JSON packed for the writer: run in the parser threads (normalize-worker.ts), or in the run's
// own thread when a configuration asks for none (parserThreads: 0).
import { parseListPage, type ParsedListPage } from '../oai/list-page.ts';
import type { OaiRecord } from '../oai/types.ts';
import { normalizeRecord } from '../formats/normalize.ts';
import { matchKey } from '../dedupe/match-key.ts';
import { resolveDoi } from '../identifiers/record-doi.ts';
import { packJsonTexts } from '../store/json-bytes.ts';
import type { NormalizedJsonRecord, NormalizeJob, NormalizeOptions } from './normalizing-reader.ts';

/** A record normalised, its raw metadata and common record still JSON text. */
export type NormalizedTextRecord = Omit<NormalizedJsonRecord, 'metadataJson' | 'recordJson'> & { metadataJson: string; recordJson?: string | null };

/** A record's raw metadata and common record as JSON, or the reason it was rejected, or the bug it hit. */
export function normalizeForOutput(options: NormalizeOptions, record: OaiRecord): NormalizedTextRecord {
  const result = normalizeRecord(options.source, options.metadataPrefix, record);
  const metadataJson = JSON.stringify(record.metadata);
  if ('reject' in result) return { header: record.header, metadataJson, recordJson: null, format: null, fieldsJson: null, reject: result.reject };
  if ('bug' in result) return { header: record.header, metadataJson, recordJson: null, format: null, fieldsJson: null, reject: `a bug in the normaliser: ${result.bug.message}`, bug: result.bug };
  const common = resolveDoi(result.record);
  return {
    header: record.header, metadataJson, recordJson: JSON.stringify(common), doi: common.doi,
    matchKey: common.doi || record.header.deleted ? null : matchKey(common), format: result.fields?.format ?? null,
    fieldsJson: options.fields && result.fields ? JSON.stringify(result.fields.fields) : null, reject: null,
  };
}

/**
 * A page's records with their JSON encoded into one buffer, which moves to the run's thread
 * instead of being copied as strings: that thread writes it to the record log and the state
 * as it is, and never decodes it.
 */
export function packRecords(items: readonly NormalizedTextRecord[]): NormalizedJsonRecord[] {
  const texts: string[] = [];
  for (const item of items) {
    texts.push(item.metadataJson);
    if (typeof item.recordJson === 'string') texts.push(item.recordJson);
  }
  const views = packJsonTexts(texts);
  let next = 0;
  return items.map((item) => {
    const metadataJson = views[next++]!;
    return typeof item.recordJson === 'string' ? { ...item, metadataJson, recordJson: views[next++]! } : { ...item, metadataJson, recordJson: item.recordJson };
  });
}

/** A ListRecords page's records, each normalised as the job asks, their JSON packed in one buffer. */
export function normalizePage(job: NormalizeJob): ParsedListPage<NormalizedJsonRecord> {
  const page = parseListPage(job.body, job.verb, 'records', job.context);
  const { normalize } = job;
  // Serialised where the page was parsed, sparing the main thread both the object graph and the stringify.
  const items = page.items.map((record): NormalizedTextRecord =>
    normalize ? normalizeForOutput(normalize, record) : { header: record.header, metadataJson: JSON.stringify(record.metadata) });
  return { ...page, items: packRecords(items) };
}
