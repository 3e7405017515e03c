// How a fleet worker's jobs are run, apart from the queue that hands them out: in the queue's
// own thread (a library's `runFleetWorker`), or in a thread of their own (the command line's
// `worker`), where a job waiting on the database, whose store calls block their thread, cannot
// hold back the queue's heartbeats and supervision. Either way the jobs share one state
// connection, one connection pool and one set of parser threads, opened once.
import type { Logger } from 'pino';
import type { HarvestConfig } from '../config/config.ts';
import { closeHarvestResources, harvest, openHarvestResources, wasInterrupted, type HarvestResources } from './harvest.ts';
import { jobListKey, unknownList, type HarvestJob } from './job-lists.ts';
import type { RunSummary } from './summary.ts';

/** A job as the queue handed it out. */
export interface JobRequest {
  id: string;
  data: HarvestJob;
  retryCount: number;
}

/**
 * How a job ended. `refused`: it could not start (its source or list is not in this worker's
 * config); the others are harvests that ran, `ok` the only one the queue marks completed.
 */
export type JobResult =
  | { status: 'ok'; outcome: JobOutcome }
  | { status: 'failed' | 'deferred' | 'interrupted' | 'refused'; message: string };

export interface JobOutcome {
  runId: string;
  status: string | undefined;
  records: number;
  deleted: number;
  pages: number;
}

export interface JobRunner {
  /** Runs one job; `signal` aborts it (the page in hand is committed first). */
  run(job: JobRequest, signal: AbortSignal): Promise<JobResult>;
  /** Once every job has ended: the connections and threads go. */
  close(): Promise<void>;
}

export interface JobRunnerOptions {
  config: HarvestConfig;
  outDir: string;
  /** The PostgreSQL state, by URL. */
  stateUrl: string;
  logger: Logger;
  parserThreads?: number | undefined;
}

/** Runs the jobs in this thread. */
export function localJobRunner(options: JobRunnerOptions): JobRunner {
  const resources = openHarvestResources(options.stateUrl, options);
  return {
    run: (job, signal) => runJob({ ...options, resources }, job, signal),
    close: () => closeHarvestResources(resources),
  };
}

async function runJob(options: JobRunnerOptions & { resources: HarvestResources }, job: JobRequest, signal: AbortSignal): Promise<JobResult> {
  const { sourceId, full, list } = job.data;
  const log = options.logger.child({ source: sourceId, job: job.id, list: jobListKey(job.data) });
  const refused = refusal(options.config, job.data);
  if (refused) return { status: 'refused', message: `job ${job.id} asks for source "${sourceId}"${list ? ` list "${jobListKey(job.data)}"` : ''}, ${refused} in ${options.config.file}` };
  log.info({ full, attempt: job.retryCount + 1 }, 'job started');
  const run = await harvest({
    config: options.config, outDir: options.outDir, stateFile: options.stateUrl, sourceIds: [sourceId], full,
    ...(list ? { onlyList: { ...list, stats: job.data.stats === true } } : {}),
    worksSnapshot: 'never', logger: options.logger, resources: options.resources, signal,
  });
  const source = run.sources[0];
  const outcome: JobOutcome = { runId: run.runId, status: source?.status, records: source?.records ?? 0, deleted: source?.deleted ?? 0, pages: source?.pages ?? 0 };
  log.info(outcome, 'job finished');
  if (source && source.status === 'ok') return { status: 'ok', outcome };
  const status = source && wasInterrupted(source) ? 'interrupted' : source?.status === 'locked' ? 'deferred' : 'failed';
  return { status, message: jobFailure(sourceId, run) };
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
