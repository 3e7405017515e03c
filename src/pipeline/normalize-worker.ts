// Worker thread entry for harvests: parses a page and normalises each record to the common
// record in the same pass, so the run's thread only writes.
import { parentPort } from 'node:worker_threads';
import type { ParsedListPage } from '../oai/list-page.ts';
import { answerPageJobs } from '../oai/page-parser.ts';
import { normalizePage } from './normalize-page.ts';
import type { NormalizedJsonRecord, NormalizeJob } from './normalizing-reader.ts';

/** The one buffer a page's records' JSON is packed in. */
function packedBuffer(page: ParsedListPage<NormalizedJsonRecord>): ArrayBuffer[] {
  const first = page.items[0];
  return first ? [first.metadataJson.buffer as ArrayBuffer] : [];
}

if (parentPort) answerPageJobs<NormalizeJob, NormalizedJsonRecord>(parentPort, normalizePage, packedBuffer);
