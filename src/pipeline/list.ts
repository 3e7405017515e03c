// One list of a source (a format and set, or one window of it): resumed from its last
// committed page or started from where the last complete harvest left off, walked page by
// page into the output and the state, restarted when the server refuses its token.
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Logger } from 'pino';
import { fromWithOverlap, toProtocolDate, trustedServerTime } from '../oai/dates.ts';
import { BadArgumentError, BadResumptionTokenError, CannotDisseminateFormatError, HarvestError } from '../oai/errors.ts';
import { redactUrl } from '../oai/secrets.ts';
import { defaultExportTemplate, EPRINTS_EXPORT } from '../formats/eprints-export.ts';
import type { HarvestRow } from '../store/harvest-log.ts';
import { recomputeDirtyWorks } from '../dedupe/recompute-works.ts';
import { JsonlAppender } from '../sinks/jsonl-appender.ts';
import { LazyJsonlAppender } from '../sinks/lazy-appender.ts';
import { commitPage, type PageSink } from './commit-page.ts';
import { listKeyOf, type ListSpec, type SourceContext } from './context.ts';
import { InterruptedError, noted } from './errors.ts';
import type { ListProgress } from './progress.ts';
import { configError, describeError, emptyList, type ListSummary } from './summary.ts';

/** One list being harvested: what its functions share. */
interface ListContext {
  source: SourceContext;
  spec: ListSpec;
  key: string;
  log: Logger;
  /** Records are written once per harvest, changed or not. */
  full: boolean;
}

export async function harvestList(source: SourceContext, spec: ListSpec): Promise<ListSummary> {
  const key = spec.window?.key ?? listKeyOf(spec.metadataPrefix, spec.set);
  const ctx: ListContext = { source, spec, key, log: source.log.child({ list: key }), full: spec.window?.recordKey.full ?? source.run.options.full === true };
  let bounds: { from: string | undefined; until: string | undefined };
  try {
    bounds = requestedBounds(ctx);
  } catch (error) {
    return emptyList(key, spec.metadataPrefix, spec.set, configError(error));
  }
  const { harvest, resumed } = openHarvest(ctx, bounds);
  const result = newListSummary(ctx, harvest, resumed);
  const exportTemplate = exportTemplateOf(ctx);
  if (exportTemplate === null) {
    result.error = describeError(new HarvestError(
      `source "${source.source.id}" asks for eprints-export enrichment, but its baseUrl does not end in /oai2; set "exportUrl"`, { stage: 'config' },
    ));
    result.error.kind = 'config';
    return result;
  }
  const outputPath = join(source.run.outDir, harvest.outputFile);
  const rejectsPath = join(source.run.outDir, 'rejects', source.source.id, `${harvest.harvestId}.jsonl`);
  let sink: PageSink;
  try {
    sink = pageSink(ctx, { outputPath, rejectsPath, harvest, exportTemplate });
  } catch (error) {
    result.error = describeError(new HarvestError((error as Error).message, { stage: 'output' }));
    return result;
  }
  try {
    const received = harvest.records + harvest.unchanged;
    const progress: ListProgress = {
      source: source.source.id, list: key, state: 'running', pages: harvest.pages, received, receivedBefore: received,
      completeListSize: harvest.completeListSize, startedAt: Date.now(),
    };
    const listener = source.run.options.progress;
    listener?.list(progress);
    try {
      await walkList(ctx, { harvest, sink, result, progress });
    } finally {
      progress.state = result.error ? 'failed' : 'complete';
      listener?.list(progress);
    }
  } finally {
    sink.appender.close();
    sink.rejects.close();
  }
  return finishList(ctx, { harvest, result, outputPath, rejectsPath: sink.rejects.written ? rejectsPath : undefined });
}

/** The --from/--until of the run, or the window's own. */
function requestedBounds({ source, spec }: ListContext): { from: string | undefined; until: string | undefined } {
  if (spec.window) return { from: spec.window.from, until: spec.window.until };
  const { options } = source.run;
  return {
    from: options.from ? toProtocolDate(options.from, spec.granularity, 'from') : undefined,
    until: options.until ? toProtocolDate(options.until, spec.granularity, 'until') : undefined,
  };
}

/** The running harvest of the list when this run may go on with it; otherwise a new one. */
function openHarvest(ctx: ListContext, bounds: { from: string | undefined; until: string | undefined }): { harvest: HarvestRow; resumed: boolean } {
  const { state } = ctx.source.run.resources;
  const running = state.harvests.runningHarvest(ctx.source.source.id, ctx.key);
  if (running) {
    const compatible = (!ctx.full || running.full) && (bounds.from === undefined || bounds.from === running.fromArg) && (bounds.until === undefined || bounds.until === running.untilArg);
    if (compatible) {
      ctx.log.info({ harvestId: running.harvestId, pages: running.pages, records: running.records }, 'resuming the interrupted harvest from its last committed page');
      return { harvest: running, resumed: true };
    }
    state.harvests.abandonHarvest(running.harvestId, 'superseded by a run with other from/until/full arguments');
  }
  return { harvest: startHarvest(ctx, bounds), resumed: false };
}

function startHarvest(ctx: ListContext, bounds: { from: string | undefined; until: string | undefined }): HarvestRow {
  const { source, spec, key, log, full } = ctx;
  const config = source.source;
  const configFrom = spec.window ? undefined : config.from ? toProtocolDate(config.from, spec.granularity, 'from') : undefined;
  let { from, until } = bounds;
  if (from === undefined && !full && !spec.window) from = [configFrom, incrementalFrom(ctx)].filter((d): d is string => d !== undefined).sort().at(-1);
  from ??= configFrom;
  if (!spec.window) until ??= config.until ? toProtocolDate(config.until, spec.granularity, 'until') : undefined;
  const harvestId = `${config.id}-${new Date().toISOString().replace(/[:.]/g, '-')}-${randomBytes(3).toString('hex')}`;
  const harvest = source.run.resources.state.harvests.startHarvest({
    harvestId, sourceId: config.id, listKey: key, metadataPrefix: spec.metadataPrefix, setSpec: spec.set ?? null,
    fromArg: from ?? null, untilArg: until ?? null, full, outputFile: join('records', config.id, `${harvestId}.jsonl`),
  });
  log.info({ harvestId, from, until, full }, 'starting harvest');
  return harvest;
}

/** Where an incremental harvest starts: the server's time when the list was last complete, less the overlap. */
function incrementalFrom({ source, spec, key, log }: ListContext): string | undefined {
  const last = source.run.resources.state.harvests.lastComplete(source.source.id, key);
  // A server date stored before dates were checked may be junk or far ahead: then our clock at the time.
  const anchor = last ? trustedServerTime(last.responseDate ?? '', new Date(last.at)) : undefined;
  if (anchor?.distrust) log.warn({ verb: 'ListRecords', url: redactUrl(source.source.baseUrl) }, `${anchor.distrust}; starting from our clock when the list was last complete`);
  return anchor ? fromWithOverlap(anchor.value, source.source.overlapMinutes * 60_000, spec.granularity) : undefined;
}

function newListSummary({ spec, key }: ListContext, harvest: HarvestRow, resumed: boolean): ListSummary {
  return {
    ...emptyList(key, spec.metadataPrefix, spec.set, undefined),
    harvestId: harvest.harvestId, resumed, from: harvest.fromArg, until: harvest.untilArg,
  };
}

/** The EPrints export URL template when the source enriches from exports; null when it asks but none can be made. */
function exportTemplateOf({ source }: ListContext): string | undefined | null {
  const config = source.source;
  if (!config.enrich.includes(EPRINTS_EXPORT)) return undefined;
  return config.exportUrl ?? defaultExportTemplate(config.baseUrl) ?? null;
}

function pageSink(ctx: ListContext, files: { outputPath: string; rejectsPath: string; harvest: HarvestRow; exportTemplate: string | undefined }): PageSink {
  const { source, spec } = ctx;
  const config = source.source;
  const appender = new JsonlAppender(files.outputPath, files.harvest.outputOffset);
  const rejects = new LazyJsonlAppender(files.rejectsPath, files.harvest.rejectsOffset);
  return {
    appender, rejects, state: source.run.resources.state, sourceId: config.id, metadataPrefix: spec.metadataPrefix,
    mergeFormats: config.commonRecord && (source.prefixes.length > 1 || files.exportTemplate !== undefined),
    mergeProbableDuplicates: source.run.options.config.works.mergeProbableDuplicates,
    enrich: files.exportTemplate ? { http: source.http, template: files.exportTemplate, views: source.views } : undefined,
    recordKey: spec.window?.recordKey,
    log: ctx.log,
    maxRepeatedPages: config.maxRepeatedPages,
  };
}

interface ListWalkState {
  harvest: HarvestRow;
  sink: PageSink;
  result: ListSummary;
  /** Over the whole list, restarts included. */
  progress: ListProgress;
}

/** Pages until the list ends; a refused token restarts the list, refused seconds fall back to days. A failure is noted, not thrown. */
async function walkList(ctx: ListContext, walk: ListWalkState): Promise<void> {
  const { source, spec, log } = ctx;
  const { harvest, result } = walk;
  const { state } = source.run.resources;
  const args = { metadataPrefix: spec.metadataPrefix, set: spec.set, from: harvest.fromArg ?? undefined, until: harvest.untilArg ?? undefined };
  let token = harvest.token ?? undefined;
  try {
    for (;;) {
      try {
        await commitPages(ctx, walk, { args, token });
        break;
      } catch (error) {
        if (!retryable(ctx, walk, { error, args, token })) throw error;
        token = undefined;
      }
    }
    state.harvests.completeHarvest(harvest.harvestId);
    result.status = 'complete';
  } catch (error) {
    if (error instanceof CannotDisseminateFormatError) await addOfferedFormats(ctx, error);
    noted(log, 'the error on the harvest', () => state.harvests.noteError(harvest.harvestId, (error as Error).message));
    result.error = describeError(error);
    source.log.error({ err: error, code: result.error.code, list: ctx.key, verb: result.error.verb, url: result.error.url, stage: result.error.stage,
      firstId: result.error.firstId, lastId: result.error.lastId }, result.error.message);
  }
}

interface ListRequest {
  args: { metadataPrefix: string; set: string | undefined; from: string | undefined; until: string | undefined };
  token: string | undefined;
}

async function commitPages(ctx: ListContext, walk: ListWalkState, request: ListRequest): Promise<void> {
  const { source, spec } = ctx;
  const { run, source: config } = source;
  const { progress } = walk;
  // The workers fill in the common record beside the raw metadata, unless the source asks for
  // raw metadata only (then the fields stay absent: record is null).
  const read = run.resources.workers.reader(config.commonRecord ? { source: config.id, metadataPrefix: spec.metadataPrefix, fields: walk.sink.mergeFormats } : null);
  for await (const page of source.client.recordPagesReadBy(request.args, read, { resumptionToken: request.token })) {
    await commitPage(page, { harvest: walk.harvest, sink: walk.sink, result: walk.result, summary: source.summary });
    // The works this page touched, while the next page is on its way (the rest at the end of the run).
    recomputeDirtyWorks(run.works, 2 * page.items.length + 10);
    if (run.options.signal?.aborted) throw new InterruptedError(`stopped after committing page ${progress.pages + 1}; the next run resumes here`);
    progress.pages++;
    progress.received += page.items.length;
    if (page.token?.completeListSize !== undefined) progress.completeListSize = page.token.completeListSize;
    run.options.progress?.list(progress);
  }
}

/** Whether the list may go on after `error`: a refused token starts it again, refused seconds ask again by days. */
function retryable(ctx: ListContext, walk: ListWalkState, failed: ListRequest & { error: unknown }): boolean {
  const { error, args, token } = failed;
  const { result, sink, harvest } = walk;
  if (error instanceof BadResumptionTokenError && result.restarts < (ctx.source.run.options.maxRestarts ?? 3)) {
    result.restarts++;
    ctx.log.warn({ url: error.url, verb: error.verb, restarts: result.restarts },
      'the server refused the resumptionToken twice; restarting the list from its original from/until, skipping records already written');
    ctx.source.run.resources.state.harvests.restartHarvest(harvest.harvestId, error.message);
    // A new pass: what it meets again is not a loop.
    sink.recentPages = [];
    sink.repeatedPages = 0;
    return true;
  }
  // Advertised seconds, refused them (badArgument on the first request): days, as the protocol allows.
  if (error instanceof BadArgumentError && token === undefined && result.pages === 0 && hasSeconds(args)) {
    ctx.log.warn({ url: error.url, verb: error.verb, from: args.from, until: args.until },
      'the server refused a from/until in seconds although its Identify says it supports them; asking again by days');
    args.from = args.from?.slice(0, 10);
    args.until = args.until?.slice(0, 10);
    return true;
  }
  return false;
}

function hasSeconds(args: { from?: string | undefined; until?: string | undefined }): boolean {
  return (args.from?.length ?? 0) > 10 || (args.until?.length ?? 0) > 10;
}

async function addOfferedFormats(ctx: ListContext, error: CannotDisseminateFormatError): Promise<void> {
  try {
    error.offeredFormats = (await ctx.source.client.listMetadataFormats()).map((f) => f.metadataPrefix);
  } catch {
    // The error stays useful without the list.
  }
}

/** What the harvest holds now, into the list's summary; a complete list that wrote nothing leaves no file. */
function finishList(ctx: ListContext, done: { harvest: HarvestRow; result: ListSummary; outputPath: string; rejectsPath: string | undefined }): ListSummary {
  const { result, outputPath } = done;
  if (done.rejectsPath) result.rejectsFile = relative(process.cwd(), done.rejectsPath) || done.rejectsPath;
  const final = ctx.source.run.resources.state.harvests.harvest(done.harvest.harvestId)!;
  result.received = final.records + final.unchanged;
  result.completeListSize = final.completeListSize;
  if (final.outputOffset === 0 && result.status === 'complete') rmSync(outputPath, { force: true });
  else result.output = relative(process.cwd(), outputPath) || outputPath;
  if (result.status === 'complete' && result.completeListSize !== null && result.completeListSize !== result.received) {
    ctx.log.warn({ completeListSize: result.completeListSize, received: result.received }, 'the server announced a different list size than it delivered');
  }
  return result;
}
