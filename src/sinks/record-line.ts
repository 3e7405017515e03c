import type { OaiHeader, OaiRecord } from '../oai/types.ts';
import type { LinePart } from './line-buffer.ts';

/**
 * One line of a harvest's JSONL output. The shape is part of the public interface:
 * see "Output" in the README before changing it.
 */
export interface RecordLine {
  source: string;
  identifier: string;
  datestamp: string;
  deleted: boolean;
  setSpecs: string[];
  metadataPrefix: string;
  /** null for deleted records (tombstones) and for records sent without metadata. */
  metadata: OaiRecord['metadata'];
  /** The server's responseDate of the page that carried the record. */
  responseDate: string;
  /** The common record (see the README), or null when the metadata could not be read. */
  record: unknown;
  /** Sources with enrichment only: per enrichment, "ok" or "unavailable: <reason>". */
  enrichment?: Record<string, string>;
}

export function recordLine(source: string, metadataPrefix: string, record: OaiRecord, responseDate: string, common: unknown = null): string {
  const line: RecordLine = {
    source,
    identifier: record.header.identifier,
    datestamp: record.header.datestamp,
    deleted: record.header.deleted,
    setSpecs: record.header.setSpecs,
    metadataPrefix,
    metadata: record.metadata,
    responseDate,
    record: common,
  };
  return JSON.stringify(line);
}

/** A record line's parts, the metadata and common record already serialised as JSON (text or UTF-8 bytes). */
export interface JsonLineParts {
  source: string;
  metadataPrefix: string;
  header: OaiHeader;
  metadataJson: LinePart;
  responseDate: string;
  recordJson?: LinePart | null | undefined;
  enrichmentJson?: string | undefined;
}

/** The same line as recordLine, from metadata and common record already serialised as JSON: copied in, not parsed. */
export function recordLineFromJson({ source, metadataPrefix, header, metadataJson, responseDate, recordJson = null, enrichmentJson }: JsonLineParts): LinePart[] {
  return [
    `{"source":${JSON.stringify(source)},"identifier":${JSON.stringify(header.identifier)},` +
    `"datestamp":${JSON.stringify(header.datestamp)},"deleted":${header.deleted},"setSpecs":${JSON.stringify(header.setSpecs)},` +
    `"metadataPrefix":${JSON.stringify(metadataPrefix)},"metadata":`, metadataJson, `,"responseDate":${JSON.stringify(responseDate)},"record":`,
    recordJson ?? 'null', `${enrichmentJson ? `,"enrichment":${enrichmentJson}` : ''}}`,
  ];
}

/** A record whose metadata could not be read into the common record, and why. */
export interface RejectLine {
  source: string;
  identifier: string;
  datestamp: string;
  metadataPrefix: string;
  reason: string;
  responseDate: string;
}

export function rejectLine(reject: RejectLine): string {
  return JSON.stringify(reject);
}
