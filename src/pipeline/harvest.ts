// `harvest`: configured sources → JSONL, resumable and incremental. The library's entry
// point and the run over sources: each source harvested (source.ts), then the works they
// touched and the statistics written.
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import { resolveStateLocation } from '../store/location.ts';
import PQueue from 'p-queue';
import type { Logger } from 'pino';
import { DiskFullError, isDiskFull } from '../oai/errors.ts';
import { worksRun } from '../dedupe/recompute-works.ts';
import { writeStatsOutput } from '../sinks/stats-output.ts';
import { updateWorks, worksLeftAlone, type WorksSummary } from '../sinks/works-output.ts';
import { writeFileAtomic } from '../sinks/atomic.ts';
import { closeHarvestResources, openHarvestResources, type HarvestOptions, type RunContext } from './context.ts';
import { harvestBibtexSource } from './bibtex-source.ts';
import { enrichFromCrossref, type CrossrefSummary } from './crossref-enrich.ts';
import { CROSSREF_SOURCE } from '../crossref/to-record.ts';
import { writeCurrentRecords } from '../sinks/current-records.ts';
import { harvestSource } from './source.ts';
import type { RunSummary, SourceSummary } from './summary.ts';
export type { ListProgress, ProgressListener, SourceWait } from './progress.ts';

export { closeHarvestResources, openHarvestResources, type HarvestOptions, type HarvestResources } from './context.ts';
export { wasInterrupted } from './source.ts';
export { describeError, type ErrorSummary, type ListSummary, type RunSummary, type SourceSummary } from './summary.ts';

export async function harvest(options: HarvestOptions): Promise<RunSummary> {
  const startedAt = new Date();
  const runId = `${startedAt.toISOString().replace(/[:.]/g, '-')}-${randomBytes(3).toString('hex')}`;
  const outDir = resolve(options.outDir);
  const stateFile = resolveStateLocation(options.stateFile, outDir);
  const wanted = options.sourceIds && options.sourceIds.length > 0 ? new Set(options.sourceIds) : undefined;
  const sources = options.config.sources.filter((s) => !wanted || wanted.has(s.id));
  const files = options.config.bibtexSources.filter((s) => !wanted || wanted.has(s.id));

  // Pages are parsed and normalised in worker threads while the main thread writes state and output.
  const resources = options.resources ?? openHarvestResources(stateFile, options);
  const works = worksRun(resources.state, {
    policy: { sourcePriority: options.config.works.sourcePriority }, runId, now: options.now, snapshotEveryHours: options.config.works.snapshotEveryHours,
  });
  const run: RunContext = { options, runId, outDir, resources, works };
  const queue = new PQueue({ concurrency: options.concurrency ?? options.config.concurrency });
  try {
    const summaries = await Promise.all([
      ...sources.map((source) => queue.add(() => harvestSource(run, source))),
      ...files.map((source) => queue.add(() => harvestBibtexSource(run, source))),
    ]);
    // Every source held by another run, or failed before committing a page (a server down, a
    // mount missing): this run changed nothing, so it writes nothing, and never leaves an empty
    // works.jsonl behind a failure.
    const idle = summaries.length > 0 && summaries.every((s) => s.status === 'locked' || (s.status !== 'ok' && s.pages === 0));
    // No page is left to parse: the parser threads go before the works and tables are written,
    // where the run's memory peaks. Shared resources (a schedule's) stay for the next run.
    if (!options.resources) await resources.workers.close();
    // Before the works are written, so they are written once, with the publisher's copies in.
    const crossref = options.signal?.aborted || idle ? undefined : await enrichFromCrossref(run);
    // Works are recomputed even when a source failed: its committed pages count.
    const { worksSummary, stats } = idle
      ? { worksSummary: worksLeftAlone(resources.state, outDir), stats: undefined }
      : await writeRunOutputs(run, { summaries, crossref }, startedAt);
    options.logger.info({ ...worksSummary }, idle ? 'no source committed anything: works and tables left as they are' : 'works updated');
    const finishedAt = new Date();
    const summary: RunSummary = {
      runId,
      startedAt: startedAt.toISOString(),
      finishedAt: finishedAt.toISOString(),
      durationMs: finishedAt.getTime() - startedAt.getTime(),
      ok: summaries.every((s) => s.status === 'ok') && (crossref === undefined || crossref.status === 'ok'),
      outDir,
      // As the store shows it: a database URL without its password.
      stateFile: resources.state.file,
      summaryFile: join(outDir, 'runs', `${runId}.json`),
      sources: summaries,
      works: worksSummary,
      ...(crossref ? { crossref } : {}),
      ...(stats ? { stats } : {}),
    };
    writeFileAtomic(summary.summaryFile, JSON.stringify(summary, null, 2) + '\n');
    return summary;
  } finally {
    if (!options.resources) await closeHarvestResources(resources);
  }
}

/** The works the sources touched, and the statistics files when a source fetched any. */
async function writeRunOutputs(
  run: RunContext,
  { summaries, crossref }: { summaries: SourceSummary[]; crossref: CrossrefSummary | undefined },
  startedAt: Date,
): Promise<{ worksSummary: WorksSummary; stats: Awaited<ReturnType<typeof writeStatsOutput>> | undefined }> {
  try {
    const changed = new Set(summaries.filter((s) => s.records + s.deleted > 0).map((s) => s.source));
    if (crossref && crossref.changed + crossref.missing > 0) changed.add(CROSSREF_SOURCE);
    const { config } = run.options;
    const sources = [...config.sources, ...config.bibtexSources].map((s) => s.id).concat(config.crossref ? [CROSSREF_SOURCE] : []);
    // Seconds at 20,000 records, minutes at a million: said, so a watched run is not taken for stuck.
    run.options.logger.info({ changedSources: [...changed] }, 'pages done: writing records/current, recomputing the works, then works.jsonl and the tables when due');
    await writeCurrentRecords(run.resources.state, run.outDir, { sources, changed });
    const worksSummary = await updateWorks(run.works, run.outDir, { writeSnapshot: run.options.worksSnapshot !== 'never' });
    const perSource = summaries.flatMap((s) => (s.stats ? [s.stats] : []));
    const stats = perSource.length > 0 ? await writeStatsOutput(run.resources.state, run.outDir, run.runId, perSource) : undefined;
    return { worksSummary, stats };
  } catch (error) {
    if (!isDiskFull(error)) throw error;
    throw diskFullAfterSources(error, { runId: run.runId, startedAt, outDir: run.outDir, summaries }, run.options.logger);
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
  logger.error({ err: failure, code: failure.code }, failure.message);
  const summaryFile = join(run.outDir, 'runs', `${run.runId}.json`);
  try {
    writeFileAtomic(summaryFile, `${JSON.stringify({
      runId: run.runId, startedAt: run.startedAt.toISOString(), finishedAt: new Date().toISOString(), ok: false,
      error: { code: failure.code, name: failure.name, message: failure.message }, sources: run.summaries,
    }, null, 2)}\n`);
  } catch (writeError) {
    logger.error({ err: writeError, file: summaryFile }, 'no room for the run summary either');
  }
  return failure;
}
