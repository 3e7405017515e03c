// What a run hands down: its options and resources to each source, a source's client and
// summary to each of its lists. One object per tier instead of long parameter lists.
import type { Logger } from 'pino';
import type { OaiClient } from '../oai/client.ts';
import { HttpPool, type HttpClient, type HttpHooks } from '../oai/http.ts';
import type { Granularity } from '../oai/types.ts';
import type { HarvestConfig, SourceConfig } from '../config/config.ts';
import { StateStore } from '../store/state.ts';
import type { HarvestKey } from '../store/harvest-log.ts';
import type { WorksRun } from '../dedupe/recompute-works.ts';
import type { ViewExports } from './eprints-views.ts';
import { NormalizingWorkers } from './normalizing-reader.ts';
import type { ProgressListener } from './progress.ts';
import type { SourceSummary } from './summary.ts';

export interface HarvestOptions {
  config: HarvestConfig;
  outDir: string;
  /** Defaults to `<outDir>/state.sqlite`, so two output folders never share state. */
  stateFile?: string | undefined;
  sourceIds?: string[] | undefined;
  from?: string | undefined;
  until?: string | undefined;
  full?: boolean | undefined;
  /** Sources harvested at once; defaults to the config's `concurrency`. */
  concurrency?: number | undefined;
  logger: Logger;
  /** Told of each list's pages and each source's waits (a terminal display). */
  progress?: ProgressListener | undefined;
  /** How many times a list restarts after the server refuses its token. */
  maxRestarts?: number | undefined;
  /** Worker threads that parse and normalise pages, over the config's `parserThreads` (0: none, pages are parsed in the run's thread). */
  parserThreads?: number | undefined;
  /** Statistics: fetch this many months back (a backfill) instead of each source's `stats.months`. */
  statsMonths?: number | undefined;
  /** The clock for statistics months (tests); defaults to now. */
  now?: Date | undefined;
  /**
   * `never`: the touched works are recomputed and the change file written, but works.jsonl and
   * the tables are left to `works snapshot` (a fleet's job, one of many writing one state).
   */
  worksSnapshot?: 'when-due' | 'never' | undefined;
  /**
   * Only this list of the run's one source (a fleet's job), and the source's statistics only
   * with `stats`; every list of every source without.
   */
  onlyList?: { metadataPrefix: string; set?: string | undefined; stats: boolean } | undefined;
  /** Aborted (SIGINT/SIGTERM): the current page is committed, then the run stops, resumable. */
  signal?: AbortSignal | undefined;
  /**
   * Shared by runs in one process (the scheduler): one state connection, one set of worker
   * threads, and one connection pool whose per-host gates keep every source on a host within
   * its limits. The caller closes them; without, each run opens and closes its own.
   */
  resources?: HarvestResources | undefined;
}

export interface HarvestResources {
  state: StateStore;
  pool: HttpPool;
  workers: NormalizingWorkers;
}

/** How many parser threads: the caller's option, else the config's `parserThreads`, else the machine's default. */
export interface ParserThreadsChoice {
  parserThreads?: number | undefined;
  config: Pick<HarvestConfig, 'parserThreads'>;
}

export function openHarvestResources(stateFile: string, { parserThreads, config }: ParserThreadsChoice): HarvestResources {
  return { state: StateStore.open(stateFile), pool: new HttpPool(), workers: new NormalizingWorkers(parserThreads ?? config.parserThreads) };
}

export async function closeHarvestResources(resources: HarvestResources): Promise<void> {
  // Connections first, so no abandoned prefetch sends another page to the workers.
  await resources.pool.close();
  await resources.workers.close();
  resources.state.close();
}

/** One run, as each of its sources sees it. */
export interface RunContext {
  options: HarvestOptions;
  runId: string;
  /** Absolute. */
  outDir: string;
  resources: HarvestResources;
  works: WorksRun;
}

/** One source within a run: made once, handed to each of its lists. */
export interface SourceContext {
  run: RunContext;
  source: SourceConfig;
  log: Logger;
  http: HttpClient;
  /** Log retries and long waits and tell the display; shared by the OAI client and the statistics client. */
  hooks: HttpHooks;
  client: OaiClient;
  summary: SourceSummary;
  /** Every format harvested for the source this run (several make one record). */
  prefixes: readonly string[];
  /** EPrints browse-view exports, shared by the source's lists; undefined when not used. */
  views: ViewExports | undefined;
}

/** One list of a source: a format and set, or one datestamp window of it. */
export interface ListSpec {
  metadataPrefix: string;
  set: string | undefined;
  granularity: Granularity;
  window?: ListWindow | undefined;
}

/** One window of a partitioned harvest, harvested as a list of its own. */
export interface ListWindow {
  key: string;
  from: string | undefined;
  until: string | undefined;
  /** The plan's: records are noted once for all its windows. */
  recordKey: HarvestKey;
}

export { listKeyOf } from './list-key.ts';
