// Several formats of one record → one common record: per field, the richest format that
// says something wins, and the record says which one it was. Pure.
import { decodeSetSpec } from '../oai/setspec.ts';
import type { OaiHeader } from '../oai/types.ts';
import {
  COMMON_RECORD_SCHEMA_VERSION, emptyFields, type CommonRecord, type RecordDates, type RecordFields, type UnresolvedRecord,
} from './common-record.ts';
import { FORMATS, type FormatFields } from './registry.ts';
import { partialDate } from './vocabulary.ts';

/**
 * Subject labels come from Dublin Core; EP3 exports only subject ids. The landing page is
 * RIOXX3's identifier, else the abstract page Dublin Core links (EP3 gives the /id/ URI).
 */
const PREFERENCE: Partial<Record<keyof RecordFields, readonly string[]>> = {
  subjects: ['oai_dc', 'rioxx3', 'rioxx', 'ep3'],
  landingPage: ['rioxx3', 'oai_dc', 'rioxx', 'ep3'],
};

const UNION: readonly (keyof RecordFields)[] = ['identifiers', 'funding'];

/** Merges a record's formats; its DOI is resolved after, by identifiers/record-doi.ts. */
export function commonRecord(source: string, header: OaiHeader, formats: readonly FormatFields[]): UnresolvedRecord {
  const ordered = [...formats].sort((a, b) => FORMATS.indexOf(a.format) - FORMATS.indexOf(b.format));
  const { merged, fieldSources } = ordered.length === 1 ? single(ordered[0]!) : mergeFields(ordered);
  // Last modification is the header datestamp, whatever a format says.
  const modified = partialDate(header.datestamp);
  merged.dates.modified = modified ? { value: modified, field: 'header datestamp' } : null;
  if (ordered.length > 0) fieldSources.dates = ordered.map((f) => f.format).join('+');

  return {
    schemaVersion: COMMON_RECORD_SCHEMA_VERSION,
    id: `${source}:${header.identifier}`,
    source,
    identifier: header.identifier,
    deleted: header.deleted,
    datestamp: header.datestamp,
    sets: header.setSpecs.map(decodeSetSpec),
    formats: ordered.map((f) => f.format),
    ...merged,
    // Every format's candidates, richest format first, each tagged with its format.
    doiCandidates: ordered.flatMap(({ format, fields }) => fields.doiCandidates.map((c) => ({ ...c, format }))),
    fieldSources,
  };
}

/** One format: its fields as they are, each attributed to it when it says something. */
function single({ format, fields }: FormatFields): { merged: RecordFields; fieldSources: CommonRecord['fieldSources'] } {
  const merged: RecordFields = { ...fields, dates: { ...fields.dates } };
  const fieldSources: CommonRecord['fieldSources'] = {};
  for (const key in fields) {
    if (key === 'dates' || key === 'doiCandidates') continue;
    const value = fields[key as keyof RecordFields];
    const empty = key === 'container' ? Object.values(fields.container).every(isEmpty) : isEmpty(value);
    if (!empty) fieldSources[key as keyof RecordFields] = format;
  }
  return { merged, fieldSources };
}

function mergeFields(ordered: readonly FormatFields[]): { merged: RecordFields; fieldSources: CommonRecord['fieldSources'] } {
  const merged = emptyFields();
  const fieldSources: CommonRecord['fieldSources'] = {};
  const keys = Object.keys(merged) as (keyof RecordFields)[];
  for (const key of keys) {
    if (key === 'dates' || key === 'container' || key === 'doiCandidates' || key === 'doi' || key === 'doiInfo') continue;
    const order = PREFERENCE[key];
    const candidates = order ? [...ordered].sort((a, b) => order.indexOf(a.format) - order.indexOf(b.format)) : ordered;
    if (UNION.includes(key)) {
      const seen = new Set<string>();
      const values: unknown[] = [];
      for (const { format, fields } of candidates) {
        for (const v of fields[key] as unknown[]) {
          const id = JSON.stringify(v).toLowerCase();
          if (seen.has(id)) continue;
          seen.add(id);
          values.push(v);
          fieldSources[key] ??= format;
        }
      }
      (merged as unknown as Record<string, unknown>)[key] = values;
      continue;
    }
    const winner = candidates.find(({ fields }) => !isEmpty(fields[key]));
    if (winner) {
      (merged as unknown as Record<string, unknown>)[key] = winner.fields[key];
      fieldSources[key] = winner.format;
    }
  }

  // Container and dates merge part by part: one format may know the volume, another the ISSN.
  for (const part of Object.keys(merged.container) as (keyof RecordFields['container'])[]) {
    const from = ordered.find(({ fields }) => !isEmpty(fields.container[part]));
    if (from) (merged.container as unknown as Record<string, unknown>)[part] = from.fields.container[part];
  }
  const containerFrom = ordered.find(({ fields }) => Object.values(fields.container).some((v) => !isEmpty(v)));
  if (containerFrom) fieldSources.container = containerFrom.format;
  for (const part of Object.keys(merged.dates) as (keyof RecordDates)[]) {
    const from = ordered.find(({ fields }) => fields.dates[part] !== null);
    if (from) merged.dates[part] = from.fields.dates[part];
  }
  return { merged, fieldSources };
}

function isEmpty(value: unknown): boolean {
  if (value === null || value === undefined || value === '') return true;
  if (Array.isArray(value)) return value.length === 0;
  if (typeof value === 'object') {
    const type = value as { coar?: unknown; original?: unknown[] };
    if ('original' in type && 'coar' in type) return type.coar === null && (type.original ?? []).length === 0;
  }
  return false;
}
