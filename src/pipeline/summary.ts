// What a run reports: the summaries written to output/runs and printed after a run.
import { CannotDisseminateFormatError, DiskFullError, errorCode, HarvestError, isDiskFull, type ErrorCode } from '../oai/errors.ts';
import type { Granularity } from '../oai/types.ts';
import type { WorksSummary } from '../sinks/works-output.ts';
import type { CrossrefSummary } from './crossref-enrich.ts';
import type { StatsSummary } from '../stats/fetch-stats.ts';

export interface ErrorSummary {
  /** Stable: what scripts and the run's own decisions go by. */
  code: ErrorCode;
  name: string;
  message: string;
  kind: 'config' | 'source';
  stage?: string | undefined;
  verb?: string | undefined;
  url?: string | undefined;
  firstId?: string | undefined;
  lastId?: string | undefined;
}

/** What the pages of a list, or of all a source's lists, came to. */
export interface PageCounts {
  pages: number;
  /** Lines written: new and changed records, tombstones included. */
  records: number;
  deleted: number;
  unchanged: number;
  /** Records whose metadata could not be read into the common record (see the rejects file). */
  rejects: number;
  /** Records a normaliser failed on with a bug (counted among the rejects too; each is logged with its stack). */
  normalizerBugs: number;
}

export interface ListSummary extends PageCounts {
  list: string;
  metadataPrefix: string;
  set: string | null;
  harvestId: string;
  resumed: boolean;
  from: string | null;
  until: string | null;
  status: 'complete' | 'incomplete';
  /** EPrints exports fetched one record at a time for enrichment, and those the repository would not give. */
  exportsFetched: number;
  exportsUnavailable: number;
  /** EPrints browse-view exports fetched (one per year), and the records whose fields came from one. */
  exportViewRequests: number;
  exportsFromViews: number;
  restarts: number;
  /** Records received by the whole harvest (over every run that worked on it). */
  received: number;
  /** The server's completeListSize, when it sent one. */
  completeListSize: number | null;
  output: string | null;
  rejectsFile: string | null;
  error?: ErrorSummary;
}

export interface SourceSummary extends PageCounts {
  source: string;
  /** `locked`: another run holds the source; it was skipped. `interrupted`: stopped by SIGINT/SIGTERM after committing its page. */
  status: 'ok' | 'failed' | 'locked' | 'interrupted';
  error?: ErrorSummary;
  baseUrl: string;
  granularity: Granularity | null;
  lists: ListSummary[];
  bytes: number;
  wireBytes: number;
  requests: number;
  retries: number;
  repairedChars: number;
  /** Characters cut from text nodes over a mebibyte, so memory stays bounded. */
  truncatedChars: number;
  durationMs: number;
  held: { live: number; deleted: number };
  stats?: StatsSummary;
  /** Sources with `enrich`: how the EPrints exports were fetched this run. */
  enrichment?: EnrichmentSummary;
}

export interface EnrichmentSummary {
  /** `browse views`: year views gave every export; `per record`: one request each; both; or nothing to fetch. */
  method: 'browse views' | 'per record' | 'browse views and per record' | 'none needed';
  viewRequests: number;
  fromViews: number;
  perRecord: number;
  unavailable: number;
  /** The repository gave no browse-view export (URL and reason), so records were fetched one by one. */
  viewsUnavailable: string | null;
}

export function enrichmentSummary(lists: readonly ListSummary[], viewsUnavailable: string | null): EnrichmentSummary {
  const sum = (f: (l: ListSummary) => number) => lists.reduce((n, l) => n + f(l), 0);
  const fromViews = sum((l) => l.exportsFromViews);
  const perRecord = sum((l) => l.exportsFetched + l.exportsUnavailable);
  const method = fromViews > 0 && perRecord > 0 ? 'browse views and per record' : fromViews > 0 ? 'browse views' : perRecord > 0 ? 'per record' : 'none needed';
  return { method, viewRequests: sum((l) => l.exportViewRequests), fromViews, perRecord: sum((l) => l.exportsFetched), unavailable: sum((l) => l.exportsUnavailable), viewsUnavailable };
}

export interface RunSummary {
  runId: string;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  ok: boolean;
  outDir: string;
  stateFile: string;
  summaryFile: string;
  sources: SourceSummary[];
  works: WorksSummary;
  /** With "crossref" configured: the publisher's records asked for this run. */
  crossref?: CrossrefSummary;
  stats?: { downloads: string; summary: string; rows: number };
}

/** A source that has done nothing yet. `baseUrl` is shown: credentials already taken out. */
export function emptySourceSummary(source: string, baseUrl: string, status: SourceSummary['status']): SourceSummary {
  return {
    source, status, baseUrl, granularity: null, lists: [], pages: 0, records: 0, deleted: 0,
    unchanged: 0, rejects: 0, normalizerBugs: 0, bytes: 0, wireBytes: 0, requests: 0, retries: 0, repairedChars: 0, truncatedChars: 0, durationMs: 0,
    held: { live: 0, deleted: 0 },
  };
}

/** A list that has done nothing yet; with `error`, one that could not start. */
export function emptyList(list: string, metadataPrefix: string, set: string | undefined, error: ErrorSummary | undefined): ListSummary {
  return {
    list, metadataPrefix, set: set ?? null, harvestId: '', resumed: false, from: null, until: null, status: 'incomplete',
    pages: 0, records: 0, deleted: 0, unchanged: 0, rejects: 0, normalizerBugs: 0, exportsFetched: 0, exportsUnavailable: 0, exportViewRequests: 0, exportsFromViews: 0,
    restarts: 0, received: 0, completeListSize: null, output: null, rejectsFile: null, ...(error ? { error } : {}),
  };
}

export function configError(error: unknown): ErrorSummary {
  return { code: 'OAIH_CONFIG', name: 'ConfigError', message: (error as Error).message, kind: 'config', stage: 'config' };
}

/** Errors the user fixes in the configuration rather than by waiting for the server. */
const CONFIG_CODES: ReadonlySet<ErrorCode> = new Set(['OAIH_OAI_CANNOT_DISSEMINATE_FORMAT', 'OAIH_OAI_BAD_ARGUMENT', 'OAIH_CONFIG', 'OAIH_STATS_CONFIG']);

export function describeError(thrown: unknown): ErrorSummary {
  // A full disk is named as such, wherever it surfaced (a write, the database).
  const error = isDiskFull(thrown) && !(thrown instanceof DiskFullError)
    ? new DiskFullError(`the disk is full: ${(thrown as Error).message}; the next run resumes once there is room`, { stage: 'output' }, { cause: thrown })
    : thrown;
  const e = error instanceof Error ? error : new Error(String(error));
  const offered = error instanceof CannotDisseminateFormatError && error.offeredFormats.length > 0
    ? ` (the server offers: ${error.offeredFormats.join(', ')})`
    : '';
  const code = errorCode(error);
  const summary: ErrorSummary = { code, name: e.name, message: `${e.message}${offered}`, kind: CONFIG_CODES.has(code) ? 'config' : 'source' };
  if (error instanceof HarvestError) {
    if (error.stage) summary.stage = error.stage;
    if (error.verb) summary.verb = error.verb;
    if (error.url) summary.url = error.url;
    if (error.firstId) summary.firstId = error.firstId;
    if (error.lastId) summary.lastId = error.lastId;
  }
  return summary;
}
