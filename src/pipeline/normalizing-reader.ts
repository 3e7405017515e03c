// The run thread's side of the normalising worker (normalize-worker.ts): what a job asks,
// what its pages hold, and the threads that run them, or none. Importing this does not load
// the normalisers; the worker threads do, or the first page read without them.
import type { ErrorContext } from '../oai/errors.ts';
import { PageWorkers, type PageJob, type PageReader } from '../oai/page-parser.ts';
import { siblingModule } from '../oai/threads.ts';
import type { OaiHeader } from '../oai/types.ts';
import type { JsonBytes } from '../store/json-bytes.ts';

export interface NormalizeOptions {
  source: string;
  metadataPrefix: string;
  /** Also return the format's fields, to merge with other formats (multi-format sources). */
  fields: boolean;
}

export interface NormalizeJob extends PageJob {
  /** Null: raw metadata only (a source with the common record turned off). */
  normalize: NormalizeOptions | null;
}

/**
 * A harvested record ready to write: raw metadata and common record, both as JSON in UTF-8
 * bytes. Without NormalizeOptions only header and metadataJson are present.
 */
export interface NormalizedJsonRecord {
  header: OaiHeader;
  metadataJson: JsonBytes;
  /** The common record of this format alone; null when the record could not be read. */
  recordJson?: JsonBytes | null;
  /** Its DOI (lower case), so the writer need not parse the JSON to find the work. */
  doi?: string | null;
  /** Title, year and first creator, for probable duplicates among records without a DOI. */
  matchKey?: string | null;
  /** This format's fields, kept to merge with the record's other formats. */
  format?: string | null;
  fieldsJson?: string | null;
  reject?: string | null;
  /** The normaliser threw something other than unreadable metadata: a bug, with its stack. */
  bug?: { message: string; stack: string } | null;
}

const NORMALIZE_WORKER_URL = siblingModule('normalize-worker', import.meta.url);
const NORMALIZE_PAGE_URL = siblingModule('normalize-page', import.meta.url);

/**
 * The parser threads of a run, `size` of them (default: cores − 1, at least 1, at most 4). With
 * 0, pages are parsed and normalised in the run's own thread: one heap fewer (measured: peak
 * RSS 193 MB against 228 MB at 20,000 records), but the parse no longer overlaps the state's
 * writes, and a page too large for the heap stops the run instead of one parser thread.
 */
export class NormalizingWorkers extends PageWorkers<NormalizeJob, NormalizedJsonRecord> {
  readonly inline: boolean;

  constructor(size?: number) {
    super(NORMALIZE_WORKER_URL, size);
    this.inline = size === 0;
  }

  /** ListRecords pages read into records ready to write, as `normalize` asks. */
  reader(normalize: NormalizeOptions | null): PageReader<NormalizedJsonRecord> {
    if (this.inline) return async (body: Uint8Array, context: ErrorContext) => (await normalizePageModule()).normalizePage({ body, verb: 'ListRecords', context, normalize });
    return (body: Uint8Array, context: ErrorContext) => this.run({ body, verb: 'ListRecords', context, normalize });
  }
}

type NormalizePageModule = typeof import('./normalize-page.ts');
let normalizePageLoaded: Promise<NormalizePageModule> | undefined;

function normalizePageModule(): Promise<NormalizePageModule> {
  return (normalizePageLoaded ??= import(NORMALIZE_PAGE_URL.href) as Promise<NormalizePageModule>);
}
