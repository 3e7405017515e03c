// The common record: one shape for every repository and metadata format. Documented field
// by field in docs of the README ("The common record") and in common-record.schema.json.

export const COMMON_RECORD_SCHEMA_VERSION = 2;

/** A date as precise as the source gave it: YYYY, YYYY-MM, YYYY-MM-DD or a UTC timestamp. */
export type PartialDate = string;

/** A value and the field it was read from, e.g. "oai_dc dc:date" or "ep3 datestamp". */
export interface Sourced<T = string> {
  value: T;
  field: string;
}

export interface Person {
  /** As the source wrote it. */
  name: string;
  family: string | null;
  given: string | null;
  orcid: string | null;
}

export type FileVersion = 'submitted' | 'accepted' | 'published';
export type AccessRight = 'open' | 'embargoed' | 'restricted' | 'metadataOnly';

export interface FileRef {
  url: string;
  mimeType: string | null;
  version: FileVersion | null;
  licence: string | null;
  access: AccessRight | null;
  embargoUntil: PartialDate | null;
}

export type IdentifierScheme = 'handle' | 'urn' | 'isbn' | 'issn' | 'arxiv' | 'pmid' | 'pmcid' | 'url' | 'other';

export interface Identifier {
  scheme: IdentifierScheme;
  value: string;
}

export interface ResourceType {
  /** COAR resource type URI (http://purl.org/coar/resource_type/…). */
  coar: string | null;
  /** COAR label, e.g. "journal article". */
  label: string | null;
  /** The labels as the source gave them. */
  original: string[];
}

export interface Container {
  title: string | null;
  volume: string | null;
  issue: string | null;
  pages: string | null;
  issn: string[];
  isbn: string[];
}

export interface Funding {
  funder: string | null;
  funderId: string | null;
  award: string | null;
}

/** A licence with the version of the text it covers and when it starts (Crossref `license`). */
export interface LicenceTerm {
  url: string;
  /** vor, am, tdm or unspecified. */
  contentVersion: string;
  start: PartialDate | null;
  delayDays: number | null;
}

/**
 * A correction, retraction or other update between this record's DOI and another
 * (Crossref `update-to` / `updated-by`). `direction`: `updated-by` when the other DOI updates
 * this one (this record was retracted), `updates` when this record is the notice.
 */
export interface UpdateNotice {
  direction: 'updated-by' | 'updates';
  /** correction, retraction, erratum, expression_of_concern, new_version, … */
  type: string;
  doi: string;
  date: PartialDate | null;
  /** Who asserted it: publisher, retraction-watch, … */
  source: string | null;
}

export interface RecordDates {
  published: Sourced<PartialDate> | null;
  accepted: Sourced<PartialDate> | null;
  /** When the record first went live in the repository (EPrints "Date Deposited"). */
  deposited: Sourced<PartialDate> | null;
  /** The first compliant deposit of an accepted or published file (REF), where exposed. */
  firstCompliantDeposit: Sourced<PartialDate> | null;
  /** First open access. */
  available: Sourced<PartialDate> | null;
  /** Last modification: the OAI header datestamp, never a deposit date. */
  modified: Sourced<PartialDate> | null;
}

/**
 * A value where a DOI may be, as a format found it; the identifiers stage decides which is
 * the record's DOI. `rank`: lower is more trustworthy for the field (RIOXX version of record
 * 1, DOI links 2, identifiers 3).
 */
export interface DoiSource {
  value: string;
  field: string;
  rank: number;
  /** Set when formats are merged. */
  format?: string;
}

export interface DoiInfo {
  /** As written (case kept), cleaned of wrappers. */
  original: string;
  field: string;
  reason: string;
  /** Other distinct DOIs on the record (lower case), when there were several. */
  others: string[];
}

/** Everything a metadata format can say about a record. */
export interface RecordFields {
  title: string | null;
  otherTitles: string[];
  creators: Person[];
  contributors: Person[];
  abstract: string | null;
  subjects: string[];
  keywords: string[];
  type: ResourceType;
  peerReviewed: boolean | null;
  /** ISO 639-1 where the source's value maps to it, else the ISO 639-2/3 code given. */
  language: string | null;
  publisher: string | null;
  container: Container;
  /**
   * The version of the text the record holds, where the record states it: OpenAIRE version
   * types, RIOXX version, EPrints document content, a statement in the description.
   */
  version: Sourced<FileVersion> | null;
  /** Lower-cased DOI: the key works are merged by. Set by the identifiers stage. */
  doi: string | null;
  doiInfo: DoiInfo | null;
  /** Where DOIs may be; formats fill this, identifiers/record-doi.ts resolves and drops it. */
  doiCandidates: DoiSource[];
  identifiers: Identifier[];
  landingPage: string | null;
  files: FileRef[];
  licence: string | null;
  rights: string[];
  citation: string | null;
  divisions: string[];
  funding: Funding[];
  dates: RecordDates;
  /** Licences per version of the text, where the format gives them (Crossref). */
  licences?: LicenceTerm[];
  /** Corrections and retractions, where the format gives them (Crossref). */
  updates?: UpdateNotice[];
}

export interface CommonRecord extends Omit<RecordFields, 'doiCandidates'> {
  schemaVersion: typeof COMMON_RECORD_SCHEMA_VERSION;
  /** `<source>:<OAI identifier>`: stable across runs. */
  id: string;
  source: string;
  identifier: string;
  deleted: boolean;
  datestamp: string;
  /** Decoded setSpecs (EPrints hex sets become `status=pub`). */
  sets: string[];
  /** Metadata formats that contributed, richest first. */
  formats: string[];
  /** For each field, the format its value came from. */
  fieldSources: Partial<Record<keyof RecordFields, string>>;
}

/** A merged record whose DOI is not resolved yet (see identifiers/record-doi.ts). */
export type UnresolvedRecord = CommonRecord & { doiCandidates: DoiSource[] };

export function emptyFields(): RecordFields {
  return {
    title: null, otherTitles: [], creators: [], contributors: [], abstract: null, subjects: [], keywords: [],
    type: { coar: null, label: null, original: [] }, peerReviewed: null, language: null, publisher: null,
    container: { title: null, volume: null, issue: null, pages: null, issn: [], isbn: [] }, version: null,
    doi: null, doiInfo: null, doiCandidates: [], identifiers: [], landingPage: null, files: [], licence: null, rights: [], citation: null,
    divisions: [], funding: [],
    dates: { published: null, accepted: null, deposited: null, firstCompliantDeposit: null, available: null, modified: null },
  };
}
