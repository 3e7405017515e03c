// The fleet's jobs, on pg-boss in the state's PostgreSQL database: one job harvests one list of
// a source (a format and set; a partitioned list's windows inside its job, at the source's own
// concurrency), or one file source. Jobs are keyed by the source's host under pg-boss's
// singleton policy, a unique index on active jobs: however many workers on however many
// machines, one job per host runs at a time. A worker that dies stops its job's heartbeat;
// pg-boss hands the job to another worker, which resumes from the last committed page.
import { createHash } from 'node:crypto';
import { PgBoss, type JobWithMetadata } from 'pg-boss';
import { HARVEST_QUEUE } from '../store/postgres/job-queue.ts';
export { HARVEST_QUEUE, type JobCounts } from '../store/postgres/job-queue.ts';
import { jobListKey, type HarvestJob } from './job-lists.ts';
import { ConfigError, type BibtexSourceConfig, type SourceConfig } from '../config/config.ts';

export { jobListKey, sourceJobs, unknownList, type HarvestJob, type JobList } from './job-lists.ts';

export type QueuedJob = JobWithMetadata<HarvestJob>;

/** How a fleet's jobs behave; the defaults suit a harvest, the tests shorten the waits. */
export interface FleetTimings {
  /** A job whose worker sent no heartbeat for this long is given to another worker (pg-boss's minimum is 10). */
  heartbeatSeconds: number;
  /** How often a worker looks for abandoned jobs and new ones. */
  superviseSeconds: number;
  pollSeconds: number;
  /** A failed job waits this long before its first retry, doubling for each further one (at most an hour). */
  retryDelaySeconds: number;
}

export const DEFAULT_TIMINGS: FleetTimings = { heartbeatSeconds: 30, superviseSeconds: 30, pollSeconds: 2, retryDelaySeconds: 30 };

/**
 * The timings, each overridable by an environment variable (OAI_HARVESTER_HEARTBEAT_SECONDS,
 * OAI_HARVESTER_SUPERVISE_SECONDS, OAI_HARVESTER_POLL_SECONDS, OAI_HARVESTER_RETRY_DELAY_SECONDS):
 * a fleet that must take over a dead worker's job sooner, or a test.
 */
export function fleetTimings(env: NodeJS.ProcessEnv = process.env): FleetTimings {
  const read = (name: string, fallback: number, min: number): number => {
    const value = env[name];
    if (value === undefined || value === '') return fallback;
    const n = Number(value);
    if (!Number.isFinite(n) || n < min) throw new ConfigError(`${name} must be a number of seconds, at least ${min}: got "${value}"`);
    return n;
  };
  return {
    heartbeatSeconds: read('OAI_HARVESTER_HEARTBEAT_SECONDS', DEFAULT_TIMINGS.heartbeatSeconds, 10),
    superviseSeconds: read('OAI_HARVESTER_SUPERVISE_SECONDS', DEFAULT_TIMINGS.superviseSeconds, 1),
    pollSeconds: read('OAI_HARVESTER_POLL_SECONDS', DEFAULT_TIMINGS.pollSeconds, 0.5),
    retryDelaySeconds: read('OAI_HARVESTER_RETRY_DELAY_SECONDS', DEFAULT_TIMINGS.retryDelaySeconds, 1),
  };
}

/**
 * The singleton key of a source: its URL's host (and port), the key the connection pool's host
 * gates use (URL lowercases it), or its file for a file source.
 */
export function hostKey(source: Pick<SourceConfig, 'baseUrl'> | Pick<BibtexSourceConfig, 'id'>): string {
  return 'baseUrl' in source ? new URL(source.baseUrl).host : `file:${source.id}`;
}

/**
 * The job id of a source's list for a cron slot, the same in every scheduler: pg-boss keeps one
 * job per id, so two schedulers firing for one slot queue it once.
 */
export function slotJobId(job: Pick<HarvestJob, 'sourceId' | 'list'>, slot: string): string {
  const hex = createHash('sha256').update(`${job.sourceId}\u0000${jobListKey(job)}\u0000${slot}`).digest('hex');
  // A UUID's shape (version 8, custom), as pg-boss's id column is one.
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16)}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** A pg-boss instance on the state database, its schema created or migrated, the harvest queue made. */
export async function openBoss(stateUrl: string, timings: FleetTimings, { supervise }: { supervise: boolean }): Promise<PgBoss> {
  const boss = new PgBoss({
    connectionString: stateUrl,
    application_name: 'oai-harvester jobs',
    max: 4,
    supervise,
    superviseIntervalSeconds: timings.superviseSeconds,
    monitorIntervalSeconds: timings.superviseSeconds,
    schedule: false,
  });
  await boss.start();
  const queue = {
    heartbeatSeconds: timings.heartbeatSeconds,
    // Heartbeats tell a dead worker; the expiry only bounds a job whose worker is alive but stuck.
    expireInSeconds: 24 * 3600,
    retryLimit: 5,
    retryDelay: timings.retryDelaySeconds,
    retryBackoff: true,
    retryDelayMax: 3600,
  };
  await boss.createQueue(HARVEST_QUEUE, { policy: 'singleton', ...queue });
  // A queue made earlier takes this instance's timings: the jobs sent from now on inherit them.
  await boss.updateQueue(HARVEST_QUEUE, queue);
  return boss;
}

/**
 * The jobs of a source waiting to run (queued, or waiting to retry), by list key. Asked with
 * pg-boss's `queued`: the finished jobs it keeps for a week come first otherwise, and a source
 * on an hourly cron soon has more of them than one answer holds.
 */
export async function waitingJobs(boss: PgBoss, sourceId: string): Promise<Map<string, QueuedJob>> {
  const jobs = await boss.findJobs<HarvestJob>(HARVEST_QUEUE, { data: { sourceId }, queued: true });
  return new Map(jobs.map((job) => [jobListKey(job.data), job]));
}
