// One harvested record → its common record, or the reason it could not be read.
import type { OaiRecord } from '../oai/types.ts';
import type { UnresolvedRecord } from './common-record.ts';
import { commonRecord } from './merge.ts';
import { readFields, type FormatFields } from './registry.ts';

/** The record's DOI is resolved by the identifiers stage (identifiers/record-doi.ts). */
export type Normalized = { record: UnresolvedRecord; fields: FormatFields | null } | { reject: string };

export function normalizeRecord(source: string, metadataPrefix: string, record: OaiRecord): Normalized {
  // A tombstone has no metadata to read: the common record says only that it is deleted.
  if (record.header.deleted) return { record: commonRecord(source, record.header, []), fields: null };
  if (record.metadata === null) return { reject: 'the record has no metadata' };
  try {
    const fields = readFields(metadataPrefix, record.metadata, record.header);
    return { record: commonRecord(source, record.header, [fields]), fields };
  } catch (error) {
    return { reject: (error as Error).message };
  }
}
