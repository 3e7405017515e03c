// `harvest`: configured sources → JSONL, resumable and incremental. The library entry
// point behind `oai-harvester run`.
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import PQueue from 'p-queue';
import type { Logger } from 'pino';
import { OaiClient } from '../oai/client.ts';
import { fromWithOverlap, toProtocolDate, trustedServerTime } from '../oai/dates.ts';
import { redactUrl } from '../oai/secrets.ts';
import { BadArgumentError, BadResumptionTokenError, CannotDisseminateFormatError, DiskFullError, HarvestError, isDiskFull, StoppedError } from '../oai/errors.ts';
import { HttpClient, HttpPool, type RetryEvent } from '../oai/http.ts';
import { WorkerPageParser, type PageParser } from '../oai/page-parser.ts';
import { HARVEST_WORKER_URL } from './harvest-worker-url.ts';
import type { NormalizedJsonRecord, NormalizeOptions } from './harvest-worker.ts';
import { LazyJsonlAppender } from '../sinks/lazy-appender.ts';
import { defaultExportTemplate, EPRINTS_EXPORT } from '../formats/eprints-export.ts';
import { defaultViewTemplate, ViewExports } from './eprints-views.ts';
import { commitPage, type PageSink } from './commit-page.ts';
import { recomputeDirtyWorks, updateWorks, worksRun, type WorksRun } from '../sinks/works-output.ts';
import { fetchSourceStats } from '../stats/fetch-stats.ts';
import { writeStatsOutput } from '../sinks/stats-output.ts';
import {
  configError, describeError, emptyList, enrichmentSummary, type ErrorSummary, type ListProgress, type ListSummary, type RunSummary, type SourceSummary,
} from './summary.ts';

export { describeError, type ErrorSummary, type ListProgress, type ListSummary, type RunSummary, type SourceSummary } from './summary.ts';
import type { Granularity, Identify, ListPage } from '../oai/types.ts';
import { StateStore } from '../store/state.ts';
import type { HarvestKey } from '../store/harvest-log.ts';
import { acquireLock, sourceLockFile } from '../store/source-lock.ts';
import { windowListKey } from '../store/partition-plans.ts';
import { datestampWindows, type DateWindow } from '../oai/windows.ts';
import { writeFileAtomic } from '../sinks/atomic.ts';
import { JsonlAppender } from '../sinks/jsonl-appender.ts';

import type { HarvestConfig, SourceConfig } from '../config/config.ts';

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
  onProgress?: ((progress: ListProgress) => void) | undefined;
  /** How many times a list restarts after the server refuses its token. */
  maxRestarts?: number | undefined;
  /** Worker threads that parse pages (default: cores − 1, at least 1, at most 4). */
  parserThreads?: number | undefined;
  /** Statistics: fetch this many months back (a backfill) instead of each source's `stats.months`. */
  statsMonths?: number | undefined;
  /** The clock for statistics months (tests); defaults to now. */
  now?: Date | undefined;
  /** Aborted (SIGINT/SIGTERM): the current page is committed, then the run stops, resumable. */
  signal?: AbortSignal | undefined;
  /**
   * Shared by runs in one process (the scheduler): one state connection, one parser, and one
   * connection pool whose per-host gates keep every source on a host within its limits.
   * The caller closes them; without, each run opens and closes its own.
   */
  resources?: HarvestResources | undefined;
}

export interface HarvestResources {
  state: StateStore;
  pool: HttpPool;
  parser: PageParser;
}

export function openHarvestResources(stateFile: string, parserThreads?: number): HarvestResources {
  return { state: StateStore.open(stateFile), pool: new HttpPool(), parser: new WorkerPageParser(parserThreads, HARVEST_WORKER_URL) };
}

export async function closeHarvestResources(resources: HarvestResources): Promise<void> {
  // Connections first, so no abandoned prefetch sends another page to the parser.
  await resources.pool.close();
  await resources.parser.close();
  resources.state.close();
}

/** A run's options as its sources see them. */
type RunOptions = HarvestOptions & { outDir: string; works: WorksRun };

/** The run was asked to stop; what was committed stays, and the next run resumes there. */
export class InterruptedError extends HarvestError {}

export async function harvest(options: HarvestOptions): Promise<RunSummary> {
  const startedAt = new Date();
  const runId = `${startedAt.toISOString().replace(/[:.]/g, '-')}-${randomBytes(3).toString('hex')}`;
  const outDir = resolve(options.outDir);
  const stateFile = resolve(options.stateFile ?? join(outDir, 'state.sqlite'));
  const wanted = options.sourceIds && options.sourceIds.length > 0 ? new Set(options.sourceIds) : undefined;
  const sources = options.config.sources.filter((s) => !wanted || wanted.has(s.id));

  // Pages are parsed and normalised in a worker thread while the main thread writes state and output.
  const resources = options.resources ?? openHarvestResources(stateFile, options.parserThreads);
  const { state, pool, parser } = resources;
  const works = worksRun(state, { sourcePriority: options.config.works.sourcePriority }, runId, options.now ?? new Date(), options.config.works.snapshotEveryHours);
  const queue = new PQueue({ concurrency: options.concurrency ?? options.config.concurrency });
  try {
    const summaries = await Promise.all(
      sources.map((source) => queue.add(() => harvestSource(source, { ...options, outDir, works }, runId, state, pool, parser))),
    );
    // Works are recomputed even when a source failed: its committed pages count.
    let worksSummary: Awaited<ReturnType<typeof updateWorks>>;
    let stats: ReturnType<typeof writeStatsOutput> | undefined;
    try {
      worksSummary = await updateWorks(works, outDir);
      stats = summaries.some((s) => s.stats) ? writeStatsOutput(state, outDir, runId, summaries) : undefined;
    } catch (error) {
      if (!isDiskFull(error)) throw error;
      throw diskFullAfterSources(error, { runId, startedAt, outDir, summaries }, options.logger);
    }
    options.logger.info({ ...worksSummary }, 'works updated');
    const finishedAt = new Date();
    const summaryFile = join(outDir, 'runs', `${runId}.json`);
    const run: RunSummary = {
      runId,
      startedAt: startedAt.toISOString(),
      finishedAt: finishedAt.toISOString(),
      durationMs: finishedAt.getTime() - startedAt.getTime(),
      ok: summaries.every((s) => s.status === 'ok'),
      outDir,
      stateFile,
      summaryFile,
      sources: summaries,
      works: worksSummary,
      ...(stats ? { stats } : {}),
    };
    writeFileAtomic(summaryFile, JSON.stringify(run, null, 2) + '\n');
    return run;
  } finally {
    if (!options.resources) await closeHarvestResources(resources);
  }
}

/**
 * The disk filled up after the sources' pages were committed (works or statistics output): the
 * run summary is written if there is still room for it, and the run fails with one clear error.
 * What was committed stays; the works are recomputed by the next run.
 */
function diskFullAfterSources(
  error: unknown,
  run: { runId: string; startedAt: Date; outDir: string; summaries: SourceSummary[] },
  logger: Logger,
): DiskFullError {
  const failure = new DiskFullError(
    `the disk is full: ${(error as Error).message}; the harvested pages are committed, and the next run updates the works once there is room`,
    { stage: 'output' }, { cause: error },
  );
  logger.error({ err: failure }, failure.message);
  const summaryFile = join(run.outDir, 'runs', `${run.runId}.json`);
  try {
    writeFileAtomic(summaryFile, `${JSON.stringify({
      runId: run.runId, startedAt: run.startedAt.toISOString(), finishedAt: new Date().toISOString(), ok: false,
      error: { name: failure.name, message: failure.message }, sources: run.summaries,
    }, null, 2)}\n`);
  } catch (writeError) {
    logger.error({ err: writeError, file: summaryFile }, 'no room for the run summary either');
  }
  return failure;
}

/** The errors of a source that was asked to stop (SIGINT, SIGTERM), and did. */
const STOPPED_ERRORS = ['Interrupted', InterruptedError.name, StoppedError.name];

/** A source that stopped because it was asked to, not because it failed. */
export function wasInterrupted(summary: SourceSummary): boolean {
  return summary.status === 'failed' && STOPPED_ERRORS.includes(summary.error?.name ?? '');
}

/** Harvests one source and notes the outcome in its run history. */
async function harvestSource(
  source: SourceConfig,
  options: RunOptions,
  runId: string,
  state: StateStore,
  pool: HttpPool,
  pageParser: PageParser,
): Promise<SourceSummary> {
  const startedAt = new Date().toISOString();
  const summary = await harvestSourceLocking(source, options, state, pool, pageParser);
  const error = summary.error ? { name: summary.error.name, message: summary.error.message, verb: summary.error.verb, url: summary.error.url } : null;
  noted(options.logger, 'the source run in the history', () => state.runs.save({
    sourceId: source.id, runId, startedAt, finishedAt: new Date().toISOString(),
    status: wasInterrupted(summary) ? 'interrupted' : summary.status, error,
    records: summary.records, deleted: summary.deleted,
  }));
  return summary;
}

/** Bookkeeping on the way out of a failure: a full disk refusing it must not hide the failure itself. */
function noted(log: Logger, what: string, write: () => void): void {
  try {
    write();
  } catch (error) {
    if (!isDiskFull(error)) throw error;
    log.error({ err: error }, `could not note ${what}: the disk is full`);
  }
}

async function harvestSourceLocking(
  source: SourceConfig,
  options: RunOptions,
  state: StateStore,
  pool: HttpPool,
  pageParser: PageParser,
): Promise<SourceSummary> {
  const log = options.logger.child({ source: source.id });
  const started = Date.now();
  if (options.signal?.aborted) {
    return untouchedSource(source, state, 'failed', { name: 'Interrupted', message: 'stopped before this source started', kind: 'source' });
  }
  let lock: ReturnType<typeof acquireLock>;
  try {
    lock = acquireLock(sourceLockFile(options.outDir, source.id));
  } catch (error) {
    if (!isDiskFull(error)) throw error;
    const failure = describeError(error);
    log.error({ err: error }, failure.message);
    return untouchedSource(source, state, 'failed', failure);
  }
  if (!lock.acquired) {
    const { pid, host, since } = lock.holder;
    const message = `source "${source.id}" is being harvested by process ${pid} on ${host} since ${since}; skipped`;
    log.warn({ holder: lock.holder }, message);
    return untouchedSource(source, state, 'locked', { name: 'LockedError', message, kind: 'source' });
  }
  if (lock.tookOverFrom) log.warn({ staleHolder: lock.tookOverFrom }, 'took over a lock left by a process that is gone');
  try {
    return await harvestLockedSource(source, options, state, pool, pageParser, log, started);
  } finally {
    lock.release();
  }
}

/** The summary of a source that did no work this run (locked elsewhere, or the run was stopping). */
function untouchedSource(source: SourceConfig, state: StateStore, status: SourceSummary['status'], error: ErrorSummary): SourceSummary {
  return {
    source: source.id, status, error, baseUrl: redactUrl(source.baseUrl), granularity: null, lists: [], pages: 0, records: 0, deleted: 0,
    unchanged: 0, rejects: 0, bytes: 0, wireBytes: 0, requests: 0, retries: 0, repairedChars: 0, truncatedChars: 0, durationMs: 0,
    held: state.harvests.recordCounts(source.id),
  };
}

async function harvestLockedSource(
  source: SourceConfig,
  options: RunOptions,
  state: StateStore,
  pool: HttpPool,
  pageParser: PageParser,
  log: Logger,
  started: number,
): Promise<SourceSummary> {
  const httpOptions = {
      userAgent: source.userAgent,
      from: source.contact,
      connectTimeoutMs: source.connectTimeoutMs,
      readTimeoutMs: source.readTimeoutMs,
      requestTimeoutMs: source.requestTimeoutMs,
      basicAuth: source.basicAuth,
      maxResponseBytes: source.maxResponseBytes,
      maxRedirects: 5,
      minDelayMs: source.minDelayMs,
      hostConcurrency: source.concurrency,
      retry: source.retry,
  };
  const onRetry = (event: RetryEvent) =>
    log.warn({ verb: event.verb, url: event.url, attempt: event.attempt, delayMs: event.delayMs, reason: event.reason }, 'retrying request');
  const http = new HttpClient(httpOptions, pool, onRetry, options.signal);
  const client = new OaiClient(source.baseUrl, http, {
    maxEmptyPages: source.maxEmptyPages,
    badTokenRetryDelayMs: Math.min(source.retry.baseDelayMs, 5_000),
    pageParser,
  });
  const summary: SourceSummary = {
    source: source.id, status: 'ok', baseUrl: redactUrl(source.baseUrl), granularity: null, lists: [],
    pages: 0, records: 0, deleted: 0, unchanged: 0, rejects: 0, bytes: 0, wireBytes: 0, requests: 0, retries: 0,
    repairedChars: 0, truncatedChars: 0, durationMs: 0, held: { live: 0, deleted: 0 },
  };
  const fail = (error: unknown): ErrorSummary => {
    const e = describeError(error);
    log.error({ err: error, verb: e.verb, url: e.url, stage: e.stage, firstId: e.firstId, lastId: e.lastId }, e.message);
    return e;
  };

  let identify: Identify | undefined;
  try {
    identify = await client.identify();
    state.harvests.saveIdentify(source.id, source.baseUrl, identify);
    summary.granularity = identify.granularity;
    log.info({ repository: identify.repositoryName, granularity: identify.granularity, deletedRecord: identify.deletedRecord }, 'identified');
  } catch (error) {
    summary.status = 'failed';
    summary.error = fail(error);
  }

  let prefixes = source.metadataPrefixes;
  if (identify && source.richerFormats.length > 0) {
    try {
      const offered = new Set((await client.listMetadataFormats()).map((f) => f.metadataPrefix));
      const extra = source.richerFormats.filter((p) => offered.has(p));
      const missing = source.richerFormats.filter((p) => !offered.has(p));
      if (missing.length > 0) log.info({ notOffered: missing }, 'richer formats not offered by this repository; harvesting without them');
      prefixes = [...prefixes, ...extra];
    } catch (error) {
      summary.status = 'failed';
      summary.error = fail(error);
      identify = undefined;
    }
  }

  let enrichedBy: ViewExports | undefined;
  if (identify) {
    const run: SourceRun = { source, prefixes, client, state, options, summary, log, views: viewExports(source, http, state, log) };
    enrichedBy = run.views;
    lists: for (const metadataPrefix of prefixes) {
      for (const set of source.sets.length > 0 ? source.sets : [undefined]) {
        if (options.signal?.aborted) break lists;
        const lists = partitioned(source, metadataPrefix, set, state, options)
          ? await harvestPartitioned(run, metadataPrefix, set, identify)
          : [await harvestList(run, metadataPrefix, set, identify.granularity)];
        summary.lists.push(...lists);
        for (const list of lists) {
          if (!list.error) continue;
          summary.status = 'failed';
          summary.error ??= list.error;
          if (list.error.kind === 'config' && list.error.name === CannotDisseminateFormatError.name) continue;
          // Transport trouble affects every list of the source, and a stop every list: go no further.
          if (['ForbiddenError', 'RetryBudgetExhaustedError', 'NetworkError', 'RequestDeadlineError', 'DiskFullError', 'HttpStatusError', ...STOPPED_ERRORS].includes(list.error.name)) break lists;
        }
      }
    }
  }

  if (identify && source.stats && !options.signal?.aborted) {
    const stats = await fetchSourceStats(source.id, source.baseUrl, source.stats, { options: httpOptions, pool, onRetry, stop: options.signal }, state, {
      now: options.now ?? new Date(), months: options.statsMonths,
    });
    summary.stats = stats;
    log.info({ requests: stats.requests, matched: stats.matched, unmatched: stats.unmatched.length, months: stats.months.length }, 'statistics fetched');
    if (stats.error) {
      summary.status = 'failed';
      summary.error ??= { name: 'StatsError', message: `statistics: ${stats.error.message}`, kind: stats.error.kind, stage: 'stats' };
      log.error({ kind: stats.error.kind }, `statistics: ${stats.error.message}`);
    }
  }

  if (source.enrich.includes(EPRINTS_EXPORT)) summary.enrichment = enrichmentSummary(summary.lists, enrichedBy?.tally.unavailable ?? null);
  summary.requests = http.stats.requests;
  summary.retries = http.stats.retries;
  summary.wireBytes = http.stats.wireBytes;
  summary.durationMs = Date.now() - started;
  summary.held = state.harvests.recordCounts(source.id);
  log.info({ status: summary.status, records: summary.records, deleted: summary.deleted, pages: summary.pages, durationMs: summary.durationMs }, 'source finished');
  return summary;

}

function listKeyOf(metadataPrefix: string, set: string | undefined): string {
  return set === undefined ? metadataPrefix : `${metadataPrefix}|${set}`;
}

/** One window of a partitioned harvest, harvested as a list of its own. */
interface ListWindow {
  key: string;
  from: string | undefined;
  until: string | undefined;
  /** The plan's: records are noted once for all its windows. */
  recordKey: HarvestKey;
}

/**
 * A list is cut into windows when the source asks for it and the harvest would be a whole
 * one (first, or --full), or when a cut harvest was interrupted. Never with --from/--until,
 * nor while an ordinary harvest of the list waits to be resumed.
 */
function partitioned(source: SourceConfig, metadataPrefix: string, set: string | undefined, state: StateStore, options: RunOptions): boolean {
  if (source.partitions < 2 || options.from !== undefined || options.until !== undefined) return false;
  const key = listKeyOf(metadataPrefix, set);
  if (state.plans.running(source.id, key)) return true;
  if (state.harvests.runningHarvest(source.id, key)) return false;
  return options.full === true || state.harvests.lastCompleteResponseDate(source.id, key) === undefined;
}

/** The windows of a whole list, harvested `source.concurrency` at a time; the list is complete when all are. */
function hasSeconds(args: { from?: string | undefined; until?: string | undefined }): boolean {
  return (args.from?.length ?? 0) > 10 || (args.until?.length ?? 0) > 10;
}

/** What harvesting one source's lists needs, made once per source and run. */
interface SourceRun {
  source: SourceConfig;
  /** Every format harvested for the source this run (several make one record). */
  prefixes: readonly string[];
  client: OaiClient;
  state: StateStore;
  options: RunOptions;
  summary: SourceSummary;
  log: Logger;
  /** EPrints browse-view exports, shared by the source's lists; undefined when not used. */
  views: ViewExports | undefined;
}

function viewExports(source: SourceConfig, http: HttpClient, state: StateStore, log: Logger): ViewExports | undefined {
  if (!source.enrich.includes(EPRINTS_EXPORT) || source.exportViewUrl === false) return undefined;
  const template = source.exportViewUrl ?? defaultViewTemplate(source.baseUrl);
  return template ? new ViewExports({ http, template, state, sourceId: source.id, log }) : undefined;
}

async function harvestPartitioned(run: SourceRun, metadataPrefix: string, set: string | undefined, identify: Identify): Promise<ListSummary[]> {
  const { source, state, options, log } = run;
  const listKey = listKeyOf(metadataPrefix, set);
  const { granularity } = identify;
  let plan = state.plans.running(source.id, listKey);
  if (!plan || (options.full === true && !plan.full)) {
    let start: string;
    let windows: DateWindow[];
    try {
      start = source.from ? toProtocolDate(source.from, granularity, 'from') : identify.earliestDatestamp;
      const end = source.until ? toProtocolDate(source.until, granularity, 'until') : new Date().toISOString();
      windows = datestampWindows(start, end, source.partitions, granularity);
    } catch (error) {
      return [emptyList(listKey, metadataPrefix, set, configError(new Error(`cannot cut the list into windows: ${(error as Error).message}`)))];
    }
    // Configured bounds stay bounds: the open ends are only for the repository's own range.
    if (source.from) windows[0]!.from = toProtocolDate(source.from, granularity, 'from');
    if (source.until) windows.at(-1)!.until = toProtocolDate(source.until, granularity, 'until');
    plan = { sourceId: source.id, listKey, planId: `p${Date.now().toString(36)}${randomBytes(2).toString('hex')}`, full: options.full === true, windows };
    state.plans.start(plan);
    log.info({ list: listKey, plan: plan.planId, windows }, 'harvesting the list in datestamp windows');
  }
  const current = plan;
  const recordKey: HarvestKey = { sourceId: source.id, metadataPrefix, harvestId: current.planId, full: current.full };
  const queue = new PQueue({ concurrency: source.concurrency });
  const lists = await Promise.all(
    current.windows.map((w, i) =>
      queue.add(() =>
        options.signal?.aborted
          ? emptyList(windowListKey(current, i), metadataPrefix, set, { name: 'Interrupted', message: 'stopped before this window started', kind: 'source' })
          : harvestList(run, metadataPrefix, set, granularity, { key: windowListKey(current, i), from: w.from, until: w.until, recordKey }),
      ),
    ),
  );
  if (lists.every((l) => l.status === 'complete')) state.plans.complete(current);
  return lists;
}

async function harvestList(run: SourceRun, metadataPrefix: string, set: string | undefined, granularity: Granularity, window?: ListWindow): Promise<ListSummary> {
  const { source, prefixes, client, state, options, summary, log } = run;
  const listKey = window?.key ?? listKeyOf(metadataPrefix, set);
  const listLog = log.child({ list: listKey });
  const full = window?.recordKey.full ?? options.full === true;
  let from: string | undefined;
  let until: string | undefined;
  try {
    from = window ? window.from : options.from ? toProtocolDate(options.from, granularity, 'from') : undefined;
    until = window ? window.until : options.until ? toProtocolDate(options.until, granularity, 'until') : undefined;
  } catch (error) {
    return emptyList(listKey, metadataPrefix, set, configError(error));
  }

  let harvest = state.harvests.runningHarvest(source.id, listKey);
  let resumed = false;
  if (harvest) {
    const compatible = (!full || harvest.full) && (from === undefined || from === harvest.fromArg) && (until === undefined || until === harvest.untilArg);
    if (compatible) {
      resumed = true;
      listLog.info({ harvestId: harvest.harvestId, pages: harvest.pages, records: harvest.records }, 'resuming the interrupted harvest from its last committed page');
    } else {
      state.harvests.abandonHarvest(harvest.harvestId, 'superseded by a run with other from/until/full arguments');
      harvest = undefined;
    }
  }
  if (!harvest) {
    const configFrom = window ? undefined : source.from ? toProtocolDate(source.from, granularity, 'from') : undefined;
    if (from === undefined && !full && !window) {
      const last = state.harvests.lastComplete(source.id, listKey);
      // A server date stored before dates were checked may be junk or far ahead: then our clock at the time.
      const anchor = last ? trustedServerTime(last.responseDate ?? '', new Date(last.at)) : undefined;
      if (anchor?.distrust) listLog.warn({ verb: 'ListRecords', url: redactUrl(source.baseUrl) }, `${anchor.distrust}; starting from our clock when the list was last complete`);
      const incremental = anchor ? fromWithOverlap(anchor.value, source.overlapMinutes * 60_000, granularity) : undefined;
      from = [configFrom, incremental].filter((d): d is string => d !== undefined).sort().at(-1);
    }
    from ??= configFrom;
    if (!window) until ??= source.until ? toProtocolDate(source.until, granularity, 'until') : undefined;
    const harvestId = `${source.id}-${new Date().toISOString().replace(/[:.]/g, '-')}-${randomBytes(3).toString('hex')}`;
    harvest = state.harvests.startHarvest({
      harvestId, sourceId: source.id, listKey, metadataPrefix, setSpec: set ?? null,
      fromArg: from ?? null, untilArg: until ?? null, full, outputFile: join('records', source.id, `${harvestId}.jsonl`),
    });
    listLog.info({ harvestId, from, until, full }, 'starting harvest');
  }

  const outputPath = join(options.outDir, harvest.outputFile);
  const result: ListSummary = {
    list: listKey, metadataPrefix, set: set ?? null, harvestId: harvest.harvestId, resumed,
    from: harvest.fromArg, until: harvest.untilArg, status: 'incomplete', pages: 0, records: 0, deleted: 0,
    unchanged: 0, rejects: 0, exportsFetched: 0, exportsUnavailable: 0, exportViewRequests: 0, exportsFromViews: 0, restarts: 0, received: 0, completeListSize: null,
    output: null, rejectsFile: null,
  };
  const exportTemplate = source.enrich.includes(EPRINTS_EXPORT) ? (source.exportUrl ?? defaultExportTemplate(source.baseUrl)) : undefined;
  if (source.enrich.includes(EPRINTS_EXPORT) && !exportTemplate) {
    result.error = describeError(new HarvestError(
      `source "${source.id}" asks for eprints-export enrichment, but its baseUrl does not end in /oai2; set "exportUrl"`,
      { stage: 'config' },
    ));
    result.error.kind = 'config';
    return result;
  }
  const rejectsPath = join(options.outDir, 'rejects', source.id, `${harvest.harvestId}.jsonl`);
  let appender: JsonlAppender;
  let rejects: LazyJsonlAppender;
  try {
    appender = new JsonlAppender(outputPath, harvest.outputOffset);
    rejects = new LazyJsonlAppender(rejectsPath, harvest.rejectsOffset);
  } catch (error) {
    result.error = describeError(new HarvestError((error as Error).message, { stage: 'output' }));
    return result;
  }
  const progress: ListProgress = {
    source: source.id, list: listKey, pages: harvest.pages, received: harvest.records + harvest.unchanged,
    completeListSize: harvest.completeListSize, startedAt: Date.now(),
  };
  const args = { metadataPrefix, set, from: harvest.fromArg ?? undefined, until: harvest.untilArg ?? undefined };
  const maxRestarts = options.maxRestarts ?? 3;
  let token = harvest.token ?? undefined;
  const mergeFormats = source.commonRecord && (prefixes.length > 1 || exportTemplate !== undefined);
  const parseOptions: NormalizeOptions = { source: source.id, metadataPrefix, fields: mergeFormats };
  const sink: PageSink = {
    appender, rejects, state, sourceId: source.id, metadataPrefix, mergeFormats,
    mergeProbableDuplicates: options.config.works.mergeProbableDuplicates,
    enrich: exportTemplate ? { http: client.http, template: exportTemplate, views: run.views } : undefined,
    recordKey: window?.recordKey,
    log: listLog,
    maxRepeatedPages: source.maxRepeatedPages,
  };
  try {
    for (;;) {
      try {
        // The harvest worker fills in the common record beside the raw metadata, unless the
        // source asks for raw metadata only (then the fields stay absent: record is null).
        const listOptions = { resumptionToken: token, ...(source.commonRecord ? { parseOptions } : {}) };
        for await (const page of client.listPages('ListRecords', args, 'recordsJson', listOptions)) {
          await commitPage(page as ListPage<NormalizedJsonRecord>, harvest, sink, result, summary);
          // The works this page touched, while the next page is on its way (the rest at the end of the run).
          recomputeDirtyWorks(options.works, 2 * page.items.length + 10);
          if (options.signal?.aborted) throw new InterruptedError(`stopped after committing page ${progress.pages + 1}; the next run resumes here`);
          progress.pages++;
          progress.received += page.items.length;
          if (page.token?.completeListSize !== undefined) progress.completeListSize = page.token.completeListSize;
          options.onProgress?.(progress);
        }
        break;
      } catch (error) {
        if (error instanceof BadResumptionTokenError && result.restarts < maxRestarts) {
          result.restarts++;
          listLog.warn({ url: error.url, verb: error.verb, restarts: result.restarts },
            'the server refused the resumptionToken twice; restarting the list from its original from/until, skipping records already written');
          state.harvests.restartHarvest(harvest.harvestId, error.message);
          token = undefined;
          // A new pass: what it meets again is not a loop.
          sink.recentPages = [];
          sink.repeatedPages = 0;
          continue;
        }
        // Advertised seconds, refused them (badArgument on the first request): days, as the protocol allows.
        if (error instanceof BadArgumentError && token === undefined && result.pages === 0 && hasSeconds(args)) {
          listLog.warn({ url: error.url, verb: error.verb, from: args.from, until: args.until },
            'the server refused a from/until in seconds although its Identify says it supports them; asking again by days');
          args.from = args.from?.slice(0, 10);
          args.until = args.until?.slice(0, 10);
          continue;
        }
        throw error;
      }
    }
    state.harvests.completeHarvest(harvest.harvestId);
    result.status = 'complete';
  } catch (error) {
    if (error instanceof CannotDisseminateFormatError) {
      try {
        error.offeredFormats = (await client.listMetadataFormats()).map((f) => f.metadataPrefix);
      } catch {
        // The error stays useful without the list.
      }
    }
    noted(listLog, 'the error on the harvest', () => state.harvests.noteError(harvest.harvestId, (error as Error).message));
    result.error = describeError(error);
    log.error({ err: error, list: listKey, verb: result.error.verb, url: result.error.url, stage: result.error.stage,
      firstId: result.error.firstId, lastId: result.error.lastId }, result.error.message);
  } finally {
    appender.close();
    rejects.close();
  }
  if (rejects.written) result.rejectsFile = relative(process.cwd(), rejectsPath) || rejectsPath;
  const final = state.harvests.harvest(harvest.harvestId)!;
  result.received = final.records + final.unchanged;
  result.completeListSize = final.completeListSize;
  if (final.outputOffset === 0 && result.status === 'complete') rmSync(outputPath, { force: true });
  else result.output = relative(process.cwd(), outputPath) || outputPath;
  if (result.status === 'complete' && result.completeListSize !== null && result.completeListSize !== result.received) {
    listLog.warn({ completeListSize: result.completeListSize, received: result.received },
      'the server announced a different list size than it delivered');
  }
  return result;
}

