// One source in a run: its lock, its client, Identify and formats, each of its lists in turn,
// its statistics, and the outcome noted in its run history.
import type { Logger } from 'pino';
import { OaiClient } from '../oai/client.ts';
import { isDiskFull } from '../oai/errors.ts';
import { HttpClient, type HttpOptions } from '../oai/http.ts';
import { redactUrl } from '../oai/secrets.ts';
import type { Identify } from '../oai/types.ts';
import type { SourceConfig } from '../config/config.ts';
import type { LockResult } from '../store/source-lock.ts';
import { EPRINTS_EXPORT } from '../formats/eprints-export.ts';
import { fetchSourceStats, StatsError } from '../stats/fetch-stats.ts';
import type { RunContext, SourceContext } from './context.ts';
import { defaultViewTemplate, ViewExports } from './eprints-views.ts';
import { endsSource, InterruptedError, LockedError, NormalizerBugError, noted, STOPPED_CODES } from './errors.ts';
import { harvestList } from './list.ts';
import { harvestPartitioned, partitioned } from './partitions.ts';
import { httpHooks } from './progress.ts';
import { describeError, emptySourceSummary, enrichmentSummary, type ErrorSummary, type SourceSummary } from './summary.ts';

/** A source that stopped because it was asked to, not because it failed. */
export function wasInterrupted(summary: SourceSummary): boolean {
  return summary.status === 'interrupted' || (summary.status === 'failed' && summary.error !== undefined && STOPPED_CODES.has(summary.error.code));
}

/** Harvests one source and notes the outcome in its run history. */
export async function harvestSource(run: RunContext, source: SourceConfig): Promise<SourceSummary> {
  const startedAt = new Date().toISOString();
  const log = run.options.logger.child({ source: source.id });
  const summary = await harvestSourceLocking(run, source, log);
  // Stopped by a signal is not failed: the run table, runs/*.json and the history all say so.
  if (wasInterrupted(summary)) summary.status = 'interrupted';
  noteSourceRun(run, log, { startedAt, summary });
  return summary;
}

/** A source's outcome in its run history, for `status`; a full disk refusing it does not hide the outcome. */
export function noteSourceRun(run: RunContext, log: Logger, { startedAt, summary }: { startedAt: string; summary: SourceSummary }): void {
  const error = summary.error ? { code: summary.error.code, name: summary.error.name, message: summary.error.message, verb: summary.error.verb, url: summary.error.url } : null;
  noted(log, 'the source run in the history', () => run.resources.state.runs.save({
    sourceId: summary.source, runId: run.runId, startedAt, finishedAt: new Date().toISOString(),
    status: summary.status, error, records: summary.records, deleted: summary.deleted,
  }));
}

async function harvestSourceLocking(run: RunContext, source: SourceConfig, log: Logger): Promise<SourceSummary> {
  if (run.options.signal?.aborted) return untouchedSource(run, source, 'failed', describeError(new InterruptedError('stopped before this source started')));
  let lock: LockResult;
  try {
    lock = run.resources.state.lockSource(source.id, run.outDir);
  } catch (error) {
    if (!isDiskFull(error)) throw error;
    const failure = describeError(error);
    log.error({ err: error, code: failure.code }, failure.message);
    return untouchedSource(run, source, 'failed', failure);
  }
  if (!lock.acquired) {
    const { pid, host, since } = lock.holder;
    const locked = new LockedError(`source "${source.id}" is being harvested by process ${pid} on ${host} since ${since}; skipped`);
    log.warn({ holder: lock.holder, code: locked.code }, locked.message);
    return untouchedSource(run, source, 'locked', describeError(locked));
  }
  if (lock.tookOverFrom) log.warn({ staleHolder: lock.tookOverFrom }, 'took over a lock left by a process that is gone');
  try {
    return await harvestLockedSource(sourceContext(run, source, log));
  } finally {
    lock.release();
  }
}

function newSummary(source: SourceConfig, status: SourceSummary['status']): SourceSummary {
  return emptySourceSummary(source.id, redactUrl(source.baseUrl), status);
}

/** The summary of a source that did no work this run (locked elsewhere, or the run was stopping). */
function untouchedSource(run: RunContext, source: SourceConfig, status: SourceSummary['status'], error: ErrorSummary): SourceSummary {
  return { ...newSummary(source, status), error, held: run.resources.state.harvests.recordCounts(source.id) };
}

export function httpOptionsOf(source: SourceConfig): HttpOptions {
  return {
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
}

function sourceContext(run: RunContext, source: SourceConfig, log: Logger): SourceContext {
  const hooks = httpHooks({ log, source: source.id, progress: run.options.progress, stop: run.options.signal });
  const http = new HttpClient(httpOptionsOf(source), run.resources.pool, hooks);
  const client = new OaiClient(source.baseUrl, http, { maxEmptyPages: source.maxEmptyPages, badTokenRetryDelayMs: Math.min(source.retry.baseDelayMs, 5_000) });
  return { run, source, log, http, hooks, client, summary: newSummary(source, 'ok'), prefixes: source.metadataPrefixes, views: viewExports(run, source, http, log) };
}

function viewExports(run: RunContext, source: SourceConfig, http: HttpClient, log: Logger): ViewExports | undefined {
  if (!source.enrich.includes(EPRINTS_EXPORT) || source.exportViewUrl === false) return undefined;
  const template = source.exportViewUrl ?? defaultViewTemplate(source.baseUrl);
  return template ? new ViewExports({ http, template, state: run.resources.state, sourceId: source.id, log }) : undefined;
}

/** Notes a failure of the source: the first one is the one its summary names. */
function fail(ctx: SourceContext, error: unknown): void {
  const e = describeError(error);
  ctx.log.error({ err: error, code: e.code, verb: e.verb, url: e.url, stage: e.stage, firstId: e.firstId, lastId: e.lastId }, e.message);
  ctx.summary.status = 'failed';
  ctx.summary.error ??= e;
}

async function harvestLockedSource(ctx: SourceContext): Promise<SourceSummary> {
  const { source, summary, log, run } = ctx;
  const started = Date.now();
  const identify = await identifySource(ctx);
  if (identify && (await addRicherFormats(ctx))) {
    await harvestLists(ctx, identify);
    if (source.stats && (run.options.onlyList?.stats ?? true) && !run.options.signal?.aborted) await fetchStats(ctx);
  }
  if (source.enrich.includes(EPRINTS_EXPORT)) summary.enrichment = enrichmentSummary(summary.lists, ctx.views?.tally.unavailable ?? null);
  if (summary.normalizerBugs > 0) {
    fail(ctx, new NormalizerBugError(`${summary.normalizerBugs} records hit a bug in the normaliser (logged with their identifiers and stacks); ` +
      'their raw metadata is kept in the output and the rejects file, and a --full run reads them again once the bug is fixed', { stage: 'record' }));
  }
  summary.requests = ctx.http.stats.requests;
  summary.retries = ctx.http.stats.retries;
  summary.wireBytes = ctx.http.stats.wireBytes;
  summary.durationMs = Date.now() - started;
  summary.held = run.resources.state.harvests.recordCounts(source.id);
  log.info({ status: summary.status, records: summary.records, deleted: summary.deleted, pages: summary.pages, durationMs: summary.durationMs }, 'source finished');
  return summary;
}

async function identifySource(ctx: SourceContext): Promise<Identify | undefined> {
  try {
    const identify = await ctx.client.identify();
    ctx.run.resources.state.harvests.saveIdentify(ctx.source.id, ctx.source.baseUrl, identify);
    ctx.summary.granularity = identify.granularity;
    ctx.log.info({ repository: identify.repositoryName, granularity: identify.granularity, deletedRecord: identify.deletedRecord }, 'identified');
    return identify;
  } catch (error) {
    fail(ctx, error);
    return undefined;
  }
}

/** The richer formats the repository offers join the configured ones; false when it could not be asked. */
async function addRicherFormats(ctx: SourceContext): Promise<boolean> {
  const { richerFormats } = ctx.source;
  if (richerFormats.length === 0) return true;
  try {
    const offered = new Set((await ctx.client.listMetadataFormats()).map((f) => f.metadataPrefix));
    const missing = richerFormats.filter((p) => !offered.has(p));
    if (missing.length > 0) ctx.log.info({ notOffered: missing }, 'richer formats not offered by this repository; harvesting without them');
    ctx.prefixes = [...ctx.prefixes, ...richerFormats.filter((p) => offered.has(p))];
    return true;
  } catch (error) {
    fail(ctx, error);
    return false;
  }
}

/** Every format and set of the source (or the one a job asks for), in turn, until one fails in a way that ends them all. */
async function harvestLists(ctx: SourceContext, identify: Identify): Promise<void> {
  const { source, summary, run } = ctx;
  const only = run.options.onlyList;
  for (const metadataPrefix of ctx.prefixes) {
    for (const set of source.sets.length > 0 ? source.sets : [undefined]) {
      if (only && (only.metadataPrefix !== metadataPrefix || only.set !== set)) continue;
      if (run.options.signal?.aborted) return;
      const lists = partitioned(ctx, metadataPrefix, set)
        ? await harvestPartitioned(ctx, { metadataPrefix, set, granularity: identify.granularity }, identify)
        : [await harvestList(ctx, { metadataPrefix, set, granularity: identify.granularity })];
      summary.lists.push(...lists);
      for (const list of lists) {
        if (!list.error) continue;
        summary.status = 'failed';
        summary.error ??= list.error;
        if (list.error.code === 'OAIH_OAI_CANNOT_DISSEMINATE_FORMAT') continue;
        if (endsSource(list.error.code)) return;
      }
    }
  }
}

async function fetchStats(ctx: SourceContext): Promise<void> {
  const { source, run } = ctx;
  const stats = await fetchSourceStats({
    sourceId: source.id, baseUrl: source.baseUrl, config: source.stats!, state: run.resources.state,
    http: { options: httpOptionsOf(source), pool: run.resources.pool, hooks: ctx.hooks },
    now: run.options.now ?? new Date(), months: run.options.statsMonths,
  });
  ctx.summary.stats = stats;
  ctx.log.info({ requests: stats.requests, matched: stats.matched, unmatched: stats.unmatched.length, months: stats.months.length }, 'statistics fetched');
  if (stats.error) fail(ctx, new StatsError(stats.error));
}
