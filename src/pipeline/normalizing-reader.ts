// The main thread's side of the normalising worker (normalize-worker.ts): what a job asks,
// what its pages hold, and the threads that run them. Importing this does not load the
// normalisers; only the worker threads do.
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

export class NormalizingWorkers extends PageWorkers<NormalizeJob, NormalizedJsonRecord> {
  constructor(size?: number) {
    super(NORMALIZE_WORKER_URL, size);
  }

  /** ListRecords pages read into records ready to write, as `normalize` asks. */
  reader(normalize: NormalizeOptions | null): PageReader<NormalizedJsonRecord> {
    return (body: Uint8Array, context: ErrorContext) => this.run({ body, verb: 'ListRecords', context, normalize });
  }
}
