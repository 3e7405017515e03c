// `schedule`: the harvester as a long-lived service. Each source runs on its own cron
// expression; all runs share one state connection, one parser and one connection pool, so
// the per-host politeness of one source holds for every source on that host.
import { resolve } from 'node:path';
import { isPostgresUrl, resolveStateLocation } from '../store/location.ts';
import { StateStore } from '../store/state.ts';
import { Cron } from 'croner';
import PQueue from 'p-queue';
import type { Logger } from 'pino';
import type { BibtexSourceConfig, HarvestConfig, SourceConfig } from '../config/config.ts';
import { ConfigError } from '../config/config.ts';
import { closeHarvestResources, harvest, openHarvestResources, wasInterrupted, type ProgressListener, type RunSummary } from './harvest.ts';

export interface ScheduleOptions {
  config: HarvestConfig;
  outDir: string;
  stateFile?: string | undefined;
  logger: Logger;
  /** Aborted: no new run starts; running ones commit their current page and stop. */
  signal: AbortSignal;
  /** Runs at once, over all sources (default: the config's `concurrency`). */
  concurrency?: number | undefined;
  /** Start a source at once when its last scheduled time passed without a successful run since (default true). */
  catchUp?: boolean | undefined;
  parserThreads?: number | undefined;
  /** Told of each run's lists and waits (a terminal display). */
  progress?: ProgressListener | undefined;
  /** Called after each run (tests, monitoring hooks). */
  onRun?: ((run: RunSummary) => void) | undefined;
}

export interface ScheduleSummary {
  runs: number;
  /** Runs in which a source failed (a source skipped for its lock, or stopped by the signal, did not). */
  failedRuns: number;
  /** Runs stopped by the signal after committing their page: the next run resumes them. */
  interruptedRuns: number;
  /** Jobs queued for a fleet's workers (a PostgreSQL state), where the runs are theirs. */
  enqueued?: number;
}

/** An OAI-PMH or a file source with a schedule. */
type ScheduledSource = Pick<SourceConfig | BibtexSourceConfig, 'id'> & { schedule: string };

/** Runs until `signal` aborts, then waits for the runs in progress and closes everything. */
export async function runSchedule(options: ScheduleOptions): Promise<ScheduleSummary> {
  const { config, logger, signal } = options;
  const scheduled: ScheduledSource[] = [...config.sources, ...config.bibtexSources].flatMap((s) => (s.schedule === undefined ? [] : [{ id: s.id, schedule: s.schedule }]));
  if (scheduled.length === 0) {
    throw new ConfigError(`${config.file}: no source has a "schedule" (set one per source, or a default "schedule" at the top level)`);
  }
  const outDir = resolve(options.outDir);
  const stateFile = resolveStateLocation(options.stateFile, outDir);
  if (isPostgresUrl(stateFile)) return fleetSchedule(options, scheduled, stateFile);
  const resources = openHarvestResources(stateFile, options);
  const queue = new PQueue({ concurrency: options.concurrency ?? config.concurrency });
  const busy = new Set<string>();
  const summary: ScheduleSummary = { runs: 0, failedRuns: 0, interruptedRuns: 0 };
  const timezone = config.timezone ? { timezone: config.timezone } : {};

  const start = (source: ScheduledSource, reason: string): void => {
    if (signal.aborted) return;
    const log = logger.child({ source: source.id });
    if (busy.has(source.id)) {
      log.warn({ reason }, 'the previous run of this source is still going; this one is skipped');
      return;
    }
    busy.add(source.id);
    log.info({ reason }, 'run queued');
    void queue.add(async () => {
      try {
        if (signal.aborted) return;
        const run = await harvest({ config, outDir, stateFile, sourceIds: [source.id], logger, signal, resources, progress: options.progress });
        summary.runs++;
        // A run stopped by the signal resumes next time: it did not fail.
        if (run.sources.some((s) => s.status === 'failed' && !wasInterrupted(s))) summary.failedRuns++;
        else if (run.sources.some(wasInterrupted)) summary.interruptedRuns++;
        const s = run.sources[0];
        log.info({ status: s?.status, records: s?.records, deleted: s?.deleted, durationMs: run.durationMs, nextRun: jobs.get(source.id)?.nextRun()?.toISOString() }, 'run finished');
        options.onRun?.(run);
      } catch (error) {
        summary.runs++;
        summary.failedRuns++;
        log.error({ err: error }, `run crashed: ${(error as Error).message}`);
      } finally {
        busy.delete(source.id);
      }
    });
  };

  const jobs = new Map<string, Cron>();
  for (const source of scheduled) {
    const job = new Cron(source.schedule, { name: source.id, ...timezone }, () => start(source, 'scheduled'));
    jobs.set(source.id, job);
    logger.info(
      { source: source.id, schedule: source.schedule, timezone: config.timezone ?? 'local', nextRuns: job.nextRuns(3).map((d) => d.toISOString()) },
      'scheduled',
    );
  }
  const catchingUp: string[] = [];
  if (options.catchUp ?? true) {
    for (const source of scheduled) {
      const missed = missedRun(source.schedule, timezone, resources.state, source.id);
      if (!missed) continue;
      catchingUp.push(source.id);
      start(source, `catching up: the run due ${missed} has not succeeded`);
    }
  }
  logger.info({ sources: scheduled.map((s) => s.id), catchingUp }, 'schedule started');

  await new Promise<void>((done) => {
    if (signal.aborted) done();
    else signal.addEventListener('abort', () => done(), { once: true });
  });
  logger.info({ running: [...busy] }, 'stopping: no new runs; running ones commit their page and stop');
  for (const job of jobs.values()) job.stop();
  queue.clear();
  await queue.onIdle();
  await closeHarvestResources(resources);
  return summary;
}

/** On a PostgreSQL state the workers harvest: the schedule queues their jobs. */
async function fleetSchedule(options: ScheduleOptions, scheduled: ScheduledSource[], stateUrl: string): Promise<ScheduleSummary> {
  const { config, logger, signal } = options;
  const state = StateStore.open(stateUrl);
  const timezone = config.timezone ? { timezone: config.timezone } : {};
  try {
    // Loaded for a PostgreSQL state only: the job queue (pg-boss) is no cost to a SQLite schedule.
    const { runFleetSchedule } = await import('./fleet-schedule.ts');
    const enqueued = await runFleetSchedule({
      config, stateUrl, state, logger, signal, scheduled, catchUp: options.catchUp ?? true,
      missedRun: (schedule, sourceId) => missedRun(schedule, timezone, state, sourceId),
    });
    return { runs: 0, failedRuns: 0, interruptedRuns: 0, enqueued };
  } finally {
    state.close();
  }
}

/** The last scheduled time, if no successful run finished after it (the service was down then). */
function missedRun(schedule: string, timezone: { timezone?: string }, state: StateStore, sourceId: string): string | undefined {
  const job = new Cron(schedule, { paused: true, ...timezone });
  const [previous] = job.previousRuns(1);
  job.stop();
  if (!previous) return undefined;
  const lastSuccess = state.runs.ofSource(sourceId).lastSuccess?.finishedAt;
  return lastSuccess && Date.parse(lastSuccess) >= previous.getTime() ? undefined : previous.toISOString();
}
