// A work: one paper however many repositories hold it, keyed by its normalised DOI.
import type { Container, FileRef, Identifier, Person, ResourceType, UpdateNotice } from '../formats/common-record.ts';

export const WORK_SCHEMA_VERSION = 2;

/** A value and the source record (common record id) it was taken from. */
export interface Chosen<T> {
  value: T;
  from: string;
}

export type TextVersion = 'published' | 'accepted' | 'submitted' | 'other';

/** One repository's copy of the work. */
export interface WorkSource {
  /** Common record id: `<source>:<OAI identifier>`. */
  id: string;
  source: string;
  identifier: string;
  /** Only in tombstones, which list the copies that were deleted. */
  deleted: boolean;
  landingPage: string | null;
  /** The best version of the text this copy holds. */
  version: TextVersion;
  fileVersions: string[];
  dates: {
    published: string | null;
    accepted: string | null;
    deposited: string | null;
    firstCompliantDeposit: string | null;
    available: string | null;
    modified: string | null;
  };
}

export interface DateConflict {
  date: 'published' | 'accepted';
  values: Chosen<string>[];
}

export interface Work {
  schemaVersion: typeof WORK_SCHEMA_VERSION;
  /**
   * `doi:<doi>`; for a record without a DOI `record:<common record id>`, or `title:<title|year|creator>`
   * when probable duplicates are merged.
   */
  id: string;
  doi: string | null;
  /** A work whose every source record was deleted stays as a tombstone. */
  status: 'active' | 'tombstone';
  title: Chosen<string> | null;
  abstract: Chosen<string> | null;
  creators: Chosen<Person[]> | null;
  type: Chosen<ResourceType> | null;
  peerReviewed: Chosen<boolean> | null;
  language: Chosen<string> | null;
  publisher: Chosen<string> | null;
  container: Chosen<Container> | null;
  licence: Chosen<string> | null;
  /** Values that differ from the chosen one, each with its source record. */
  variants: { title: Chosen<string>[]; abstract: Chosen<string>[] };
  subjects: string[];
  keywords: string[];
  identifiers: Identifier[];
  files: (FileRef & { from: string })[];
  dates: {
    published: Chosen<string> | null;
    accepted: Chosen<string> | null;
    /** Earliest deposit over every repository; each repository's own is in `sources`. */
    deposited: Chosen<string> | null;
    firstCompliantDeposit: Chosen<string> | null;
    available: Chosen<string> | null;
    modified: Chosen<string> | null;
    conflicts: DateConflict[];
  };
  /**
   * Corrections, retractions and other notices linked to the work (Crossref `updated-by`), and
   * the works this one is the notice for (`update-to`), each with the copy that said so.
   */
  updates: (UpdateNotice & { from: string })[];
  /** A retraction, partial retraction, withdrawal or removal notice updates the work. */
  retracted: boolean;
  /** A correction, erratum, corrigendum, addendum or clarification updates the work. */
  corrected: boolean;
  /** The live copies; for a tombstone, the deleted ones. */
  sources: WorkSource[];
  /** Per metric (`irstats2:downloads`, `Total_Item_Requests`, …), summed over the live copies. */
  downloads: Record<string, { last12Months: number; allTime: number }>;
}
