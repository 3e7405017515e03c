// `worker`: takes harvest jobs from the fleet's queue until stopped, or until no job is left.
// Each job is one list of a source harvested on the shared PostgreSQL state (its other formats,
// held there, merged into its records as in a `run`); its works are recomputed there and then,
// and works.jsonl is left to `works snapshot`, which many writers cannot each rewrite. The
// queue (pg-boss: fetching, heartbeats, supervision) is this thread's; the jobs are a runner's
// (job-runner.ts), in this thread or in one of their own.
import type { Logger } from 'pino';
import type { PgBoss } from 'pg-boss';
import type { HarvestConfig } from '../config/config.ts';
import { HarvestError, type ErrorCode } from '../oai/errors.ts';
import { UNFINISHED_JOBS_SQL } from '../store/postgres/job-queue.ts';
import { fleetTimings, HARVEST_QUEUE, openBoss, type FleetTimings, type HarvestJob } from './jobs.ts';
import type { JobResult, JobRunner } from './job-runner.ts';

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

/**
 * Takes jobs until stopped. Without `jobs`, they run in this thread; `fleetWorkerInWorker`
 * gives a runner in a thread of their own.
 */
export async function runFleetWorker(options: FleetWorkerOptions, jobs?: JobRunner): Promise<FleetWorkerSummary> {
  // Loaded only to run jobs here: a queue whose jobs run elsewhere does not load the pipeline.
  const runner = jobs ?? (await import('./job-runner.ts')).localJobRunner(options);
  const timings = options.timings ?? fleetTimings();
  const boss = await openBoss(options.stateUrl, timings, { supervise: true }).catch(async (error: unknown) => {
    await runner.close();
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
      let result: JobResult | undefined;
      try {
        result = await runner.run({ id: job!.id, data: job!.data, retryCount: job!.retryCount }, AbortSignal.any([options.signal, job!.signal]));
      } finally {
        inHand.ended(job!.id, result?.status === 'ok');
      }
      tally(summary, result);
      if (result.status === 'ok') return result.outcome;
      throw new JobFailedError(result.message, { stage: 'job' });
    });
    logger.info({ concurrency: options.concurrency, exitWhenIdle: options.exitWhenIdle }, 'worker started');
    await untilStopped(options, boss, timings, inHand);
  } finally {
    // Graceful: running jobs commit their page and end (their signal is aborted) before the connections close.
    await boss.stop({ graceful: true, timeout: 10 * 60_000 });
    await runner.close();
  }
  logger.info({ ...summary }, 'worker stopped');
  return summary;
}

function tally(summary: FleetWorkerSummary, result: JobResult): void {
  if (result.status === 'refused') return;
  summary.jobs++;
  if (result.status === 'failed') summary.failed++;
  else if (result.status === 'deferred') summary.deferred++;
  else if (result.status === 'interrupted') summary.interrupted++;
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
