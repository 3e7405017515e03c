// One harvested record → its common record, or the reason it could not be read.
import type { OaiRecord } from '../oai/types.ts';
import type { UnresolvedRecord } from './common-record.ts';
import { commonRecord } from './merge.ts';
import { readFields, UnsupportedMetadataError, type FormatFields } from './registry.ts';

/** A normaliser that threw anything but UnsupportedMetadataError: a bug to report, not metadata to reject. */
export interface NormalizerBug {
  message: string;
  stack: string;
}

/** The record's DOI is resolved by the identifiers stage (identifiers/record-doi.ts). */
export type Normalized = { record: UnresolvedRecord; fields: FormatFields | null } | { reject: string } | { bug: NormalizerBug };

export function normalizeRecord(source: string, metadataPrefix: string, record: OaiRecord): Normalized {
  // A tombstone has no metadata to read: the common record says only that it is deleted.
  if (record.header.deleted) return { record: commonRecord(source, record.header, []), fields: null };
  if (record.metadata === null) return { reject: 'the record has no metadata' };
  try {
    const fields = readFields(metadataPrefix, record.metadata, record.header);
    return { record: commonRecord(source, record.header, [fields]), fields };
  } catch (error) {
    if (error instanceof UnsupportedMetadataError) return { reject: error.message };
    const e = error instanceof Error ? error : new Error(String(error));
    return { bug: { message: `${e.name}: ${e.message}`, stack: e.stack ?? `${e.name}: ${e.message}` } };
  }
}
