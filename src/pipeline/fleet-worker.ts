// `worker`: takes harvest jobs from the fleet's queue until stopped, or until no job is left.
// Each job is one list of a source harvested on the shared PostgreSQL state (its other formats,
// held there, merged into its records as in a `run`); its works are recomputed
// there and then, and works.jsonl is left to `works snapshot`, which many writers cannot each
// rewrite. The jobs share one state connection, one connection pool and one set of parser
// threads, made once, as a schedule's runs do: a job of a few pages costs its requests, not a
// start-up (opening them for each job cost about a second of CPU a job).
import type { Logger } from 'pino';
import type { PgBoss } from 'pg-boss';
import type { HarvestConfig } from '../config/config.ts';
import { HarvestError, type ErrorCode } from '../oai/errors.ts';
import { UNFINISHED_JOBS_SQL } from '../store/postgres/job-queue.ts';
import { closeHarvestResources, harvest, openHarvestResources, wasInterrupted, type HarvestResources } from './harvest.ts';
import { fleetTimings, HARVEST_QUEUE, jobListKey, openBoss, unknownList, type FleetTimings, type HarvestJob } from './jobs.ts';
import type { RunSummary } from './summary.ts';

export interface FleetWorkerOptions {
  config: HarvestConfig;
  outDir: string;
  /** The PostgreSQL state, by URL: its database holds the jobs too. */
  stateUrl: string;
  /** Jobs this worker runs at once (each on another host). */
  concurrency: number;
  /** Stop once no job is queued or active anywhere, rather than wait for more. */
  exitWhenIdle: boolean;
  logger: Logger;
  /** Aborted (SIGINT/SIGTERM): no new job is taken; each running one commits its page and goes back to the queue. */
  signal: AbortSignal;
  timings?: FleetTimings | undefined;
  parserThreads?: number | undefined;
}

export interface FleetWorkerSummary {
  jobs: number;
  failed: number;
  /** Found their source held by another run (a `run` by hand): back in the queue, to be retried. */
  deferred: number;
  /** Stopped by the signal: back in the queue, resumed by the next worker from their last page. */
  interrupted: number;
}

/** A job that did not finish: pg-boss retries it, here or on another worker. */
export class JobFailedError extends HarvestError {
  override readonly code: ErrorCode = 'OAIH_JOB_FAILED';
}

export async function runFleetWorker(options: FleetWorkerOptions): Promise<FleetWorkerSummary> {
  const timings = options.timings ?? fleetTimings();
  const resources = openHarvestResources(options.stateUrl, options.parserThreads);
  const boss = await openBoss(options.stateUrl, timings, { supervise: true }).catch(async (error: unknown) => {
    await closeHarvestResources(resources);
    throw error;
  });
  const summary: FleetWorkerSummary = { jobs: 0, failed: 0, deferred: 0, interrupted: 0 };
  const { logger } = options;
  boss.on('error', (error) => logger.error({ err: error }, `job queue: ${error.message}`));
  const inHand = new JobsInHand();
  try {
    await boss.work<HarvestJob>(HARVEST_QUEUE, {
      localConcurrency: options.concurrency, batchSize: 1, pollingIntervalSeconds: timings.pollSeconds,
      heartbeatRefreshSeconds: Math.max(1, Math.floor(timings.heartbeatSeconds / 3)),
    }, async ([job]) => {
      inHand.started();
      let succeeded = false;
      try {
        const outcome = await runJob({ ...options, resources }, job!, summary);
        succeeded = true;
        return outcome;
      } finally {
        inHand.ended(job!.id, succeeded);
      }
    });
    logger.info({ concurrency: options.concurrency, exitWhenIdle: options.exitWhenIdle }, 'worker started');
    await untilStopped(options, boss, timings, inHand);
  } finally {
    // Graceful: running jobs commit their page and end (their signal is aborted) before the connections close.
    await boss.stop({ graceful: true, timeout: 10 * 60_000 });
    await closeHarvestResources(resources);
  }
  logger.info({ ...summary }, 'worker stopped');
  return summary;
}

async function runJob(options: FleetWorkerOptions & { resources: HarvestResources }, job: { id: string; data: HarvestJob; retryCount: number; signal: AbortSignal }, summary: FleetWorkerSummary): Promise<object> {
  const { sourceId, full, list } = job.data;
  const log = options.logger.child({ source: sourceId, job: job.id, list: jobListKey(job.data) });
  const refused = refusal(options.config, job.data);
  if (refused) throw new JobFailedError(`job ${job.id} asks for source "${sourceId}"${list ? ` list "${jobListKey(job.data)}"` : ''}, ${refused} in ${options.config.file}`, { stage: 'job' });
  log.info({ full, attempt: job.retryCount + 1 }, 'job started');
  summary.jobs++;
  const run = await harvest({
    config: options.config, outDir: options.outDir, stateFile: options.stateUrl, sourceIds: [sourceId], full,
    ...(list ? { onlyList: { ...list, stats: job.data.stats === true } } : {}),
    worksSnapshot: 'never', logger: options.logger, resources: options.resources, signal: AbortSignal.any([options.signal, job.signal]),
  });
  const source = run.sources[0];
  const outcome = { runId: run.runId, status: source?.status, records: source?.records ?? 0, deleted: source?.deleted ?? 0, pages: source?.pages ?? 0 };
  log.info(outcome, 'job finished');
  if (source && source.status === 'ok') return outcome;
  if (source && wasInterrupted(source)) summary.interrupted++;
  else if (source?.status === 'locked') summary.deferred++;
  else summary.failed++;
  throw new JobFailedError(jobFailure(sourceId, run), { stage: 'job' });
}

/** Why a job cannot run against this config (its source or list gone since it was queued); undefined when it can. */
function refusal(config: HarvestConfig, job: HarvestJob): string | undefined {
  const oai = config.sources.find((s) => s.id === job.sourceId);
  if (!oai) return config.bibtexSources.some((s) => s.id === job.sourceId) ? undefined : 'which is not';
  const why = job.list ? unknownList(oai, job.list) : undefined;
  return why ? `but ${why}` : undefined;
}

function jobFailure(sourceId: string, run: RunSummary): string {
  const source = run.sources[0];
  if (!source) return `source "${sourceId}" was not harvested`;
  const reason = source.error ? `${source.error.code}: ${source.error.message}` : source.status;
  return `source "${sourceId}" ${source.status} (run ${run.runId}): ${reason}`;
}

/**
 * Resolves once the signal aborts or, with `exitWhenIdle`, once no job is queued or active:
 * looked at first thing, when a job of this worker ends, and every poll between, so a drained
 * queue is left at once rather than a poll later.
 */
async function untilStopped(options: FleetWorkerOptions, boss: PgBoss, timings: FleetTimings, inHand: JobsInHand): Promise<void> {
  const { signal } = options;
  while (!signal.aborted) {
    if (options.exitWhenIdle && inHand.running === 0 && (await unfinishedJobs(boss, inHand.succeeded)) === 0) return;
    await inHand.nextEnd(timings.pollSeconds * 1000, signal);
  }
}

/** The jobs this worker is running, and a wait that a job's end cuts short. */
class JobsInHand {
  running = 0;
  /**
   * The latest jobs whose handler succeeded: pg-boss marks them completed a moment after, so
   * an idle check made at once must not count them as active. A failed one is not here: it
   * goes to `retry`, which is unfinished.
   */
  readonly succeeded: string[] = [];
  private wake: (() => void) | undefined;

  started(): void {
    this.running++;
  }

  ended(jobId: string, succeeded: boolean): void {
    this.running--;
    if (succeeded && this.succeeded.push(jobId) > 16) this.succeeded.shift();
    this.wake?.();
  }

  /** Resolves when a job ends, after `ms`, or when `signal` aborts, whichever comes first. */
  nextEnd(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((done) => {
      const finish = (): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', finish);
        this.wake = undefined;
        done();
      };
      const timer = setTimeout(finish, ms);
      signal.addEventListener('abort', finish, { once: true });
      this.wake = finish;
    });
  }
}

/** Jobs queued, waiting to retry, or active, on every worker: counted in the job table itself, not pg-boss's periodic cache. */
async function unfinishedJobs(boss: PgBoss, completing: readonly string[]): Promise<number> {
  const { rows } = await boss.getDb().executeSql(UNFINISHED_JOBS_SQL, [HARVEST_QUEUE, completing]);
  return Number((rows[0] as { n: number }).n);
}
