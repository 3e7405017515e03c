// Typed values of the protocol, produced once at the edge by response.ts.

export type Verb = 'Identify' | 'ListMetadataFormats' | 'ListSets' | 'ListIdentifiers' | 'ListRecords' | 'GetRecord';

export type Granularity = 'YYYY-MM-DD' | 'YYYY-MM-DDThh:mm:ssZ';

export interface Identify {
  repositoryName: string;
  baseURL: string;
  protocolVersion: string;
  earliestDatestamp: string;
  deletedRecord: 'no' | 'transient' | 'persistent' | string;
  granularity: Granularity;
  adminEmails: string[];
  compression: string[];
  /** Software and identifier hints from <description> blocks, as local-name → text. */
  descriptions: string[];
}

export interface MetadataFormat {
  metadataPrefix: string;
  schema: string;
  metadataNamespace: string;
}

export interface OaiSet {
  setSpec: string;
  setName: string;
}

export interface OaiHeader {
  identifier: string;
  datestamp: string;
  setSpecs: string[];
  deleted: boolean;
}

/**
 * Metadata as JSON. Dublin Core (oai_dc) is compact: each element an array of strings,
 * with `lang` aligned to it where any value carries xml:lang. Any other format keeps the
 * XML's own shape: `{ xml: { "<root as written>": [ element ] } }`, where an element has
 * attributes under "@", text under "#text" (or is a plain string), and children by name.
 */
export type RecordMetadata =
  | { dc: Record<string, string[]>; lang?: Record<string, (string | null)[]> }
  | { xml: Record<string, unknown> };

export interface OaiRecord {
  header: OaiHeader;
  /** null for a deleted record, and for a live one whose <metadata> was empty. */
  metadata: RecordMetadata | null;
}

export interface ResumptionToken {
  /** Trimmed token text; empty means the list is complete. */
  value: string;
  completeListSize?: number;
  cursor?: number;
  expirationDate?: string;
}

export interface ListPage<T> {
  items: T[];
  /** The token of this page, if the element was present at all. */
  token: ResumptionToken | undefined;
  responseDate: string;
  url: string;
  bytes: number;
  repairedChars: number;
  /** Characters cut from text nodes longer than the cap (a 50 MB title). */
  truncatedChars: number;
}
