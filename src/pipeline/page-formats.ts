// A page's records in several formats: the EPrints exports of its new and changed records,
// and each record's formats merged into one common record with those held from before.
import type { HttpClient } from '../oai/http.ts';
import { commonRecord } from '../formats/merge.ts';
import type { FormatFields } from '../formats/registry.ts';
import { fetchEprintsExport, type ExportOutcome } from '../formats/eprints-export.ts';
import { resolveDoi } from '../identifiers/record-doi.ts';
import type { FormatFieldsRow } from '../store/source-records.ts';
import type { JsonDocument } from '../store/json-bytes.ts';
import { matchKey } from '../dedupe/match-key.ts';
import type { ViewExports } from './eprints-views.ts';
import type { NormalizedJsonRecord } from './normalizing-reader.ts';
import type { ListSummary } from './summary.ts';

export type Enrichment = ExportOutcome & { fromView?: boolean };

export interface ExportSource {
  http: HttpClient;
  template: string;
  views?: ViewExports | undefined;
}

/**
 * The EP3 fields of the page's new and changed records: from a browse view of their year
 * where the repository offers one (one request for a year's items), else one export each.
 */
export async function enrichments(wanted: readonly NormalizedJsonRecord[], enrich: ExportSource, result: ListSummary): Promise<Map<string, Enrichment>> {
  const exports = new Map<string, Enrichment>();
  if (enrich.views) {
    const { fields, requests } = await enrich.views.fieldsFor(wanted.map((item) => ({ header: item.header, year: viewYear(item.fieldsJson!) })));
    result.exportViewRequests += requests;
    result.exportsFromViews += fields.size;
    for (const [identifier, f] of fields) exports.set(identifier, { fields: f, fromView: true });
  }
  const rest = wanted.filter((item) => !exports.has(item.header.identifier));
  const outcomes = await Promise.all(rest.map((item) => fetchEprintsExport(enrich.http, enrich.template, item.header)));
  rest.forEach((item, i) => {
    const outcome = outcomes[i]!;
    exports.set(item.header.identifier, outcome);
    if ('fields' in outcome) result.exportsFetched++;
    else result.exportsUnavailable++;
  });
  return exports;
}

/** What the output line says of a record's enrichment. */
export function enrichmentNote(exported: Enrichment, name: string): string {
  return JSON.stringify({ [name]: 'fields' in exported ? (exported.fromView ? 'ok (browse view)' : 'ok') : `unavailable: ${exported.unavailable}` });
}

/** The year EPrints' year view lists a record under: its `date`, which oai_dc writes as dc:date. */
function viewYear(fieldsJson: string): string | null {
  const published = (JSON.parse(fieldsJson) as FormatFields['fields']).dates.published;
  return published?.field === 'dc:date' ? published.value.slice(0, 4) : null;
}

/** The format fields a written record leaves for merging: its own format's, and a fresh EPrints export's. */
export function formatFieldsOf(sourceId: string, item: NormalizedJsonRecord, exported: Enrichment | undefined): FormatFieldsRow[] {
  const { identifier, datestamp, deleted } = item.header;
  if (deleted) return [];
  const rows: FormatFieldsRow[] = [];
  if (item.format && item.fieldsJson) rows.push({ sourceId, identifier, format: item.format, datestamp, fieldsJson: item.fieldsJson });
  if (exported && 'fields' in exported) rows.push({ sourceId, identifier, format: 'ep3', datestamp, fieldsJson: JSON.stringify(exported.fields.fields) });
  return rows;
}

export interface MergedRecord {
  /** The format's own record as the parser thread packed it, or the merge as text. */
  json: JsonDocument;
  doi: string | null;
  matchKey: string | null;
}

/** This format's fields merged with a fresh export and the record's other formats held in the state. */
export function mergedRecord(sourceId: string, item: NormalizedJsonRecord, exported: Enrichment | undefined, heldFormats: readonly FormatFieldsRow[]): MergedRecord {
  const formats: FormatFields[] = [{ format: item.format as FormatFields['format'], fields: JSON.parse(item.fieldsJson!) as FormatFields['fields'] }];
  if (exported && 'fields' in exported) formats.push(exported.fields);
  for (const held of heldFormats) {
    if (!formats.some((f) => f.format === held.format)) {
      formats.push({ format: held.format as FormatFields['format'], fields: JSON.parse(held.fieldsJson) as FormatFields['fields'] });
    }
  }
  if (formats.length === 1) return { json: item.recordJson!, doi: item.doi ?? null, matchKey: item.matchKey ?? null };
  const record = resolveDoi(commonRecord(sourceId, item.header, formats));
  return { json: JSON.stringify(record), doi: record.doi, matchKey: record.doi ? null : matchKey(record) };
}
