// `enqueue`: one harvest job per list of each source on the fleet's queue, keyed by the source's host.
import type { PgBoss } from 'pg-boss';
import type { BibtexSourceConfig, HarvestConfig, SourceConfig } from '../config/config.ts';
import { fleetTimings, HARVEST_QUEUE, hostKey, jobListKey, openBoss, slotJobId, sourceJobs, waitingJobs, type FleetTimings, type HarvestJob, type QueuedJob } from './jobs.ts';

export interface EnqueueOptions {
  config: HarvestConfig;
  stateUrl: string;
  /** Only these sources; every source by default. */
  sourceIds?: readonly string[] | undefined;
  full?: boolean | undefined;
  /** The cron slot queuing the jobs (a scheduler's): one job per list and slot, however many schedulers fire. */
  slot?: string | undefined;
  timings?: FleetTimings | undefined;
}

export interface EnqueuedJob {
  sourceId: string;
  /** The job's list (`format` or `format|set`), `*` for a whole (file) source. */
  list: string;
  host: string;
  /** The new job's id; null when the list already had a job waiting (or, for a slot, when that slot was queued already). */
  jobId: string | null;
  /** The job it already had, when it had one. */
  pending?: { id: string; state: string } | undefined;
}

export async function enqueueHarvests(options: EnqueueOptions): Promise<EnqueuedJob[]> {
  const boss = await openBoss(options.stateUrl, options.timings ?? fleetTimings(), { supervise: false });
  try {
    return await enqueueOn(boss, options);
  } finally {
    await boss.stop({ graceful: false });
  }
}

/** As `enqueueHarvests`, on a queue already open (a scheduler's, for every slot it fires). */
export async function enqueueOn(boss: PgBoss, options: Omit<EnqueueOptions, 'stateUrl' | 'timings'>): Promise<EnqueuedJob[]> {
  const wanted = options.sourceIds && options.sourceIds.length > 0 ? new Set(options.sourceIds) : undefined;
  const sources = [...options.config.sources, ...options.config.bibtexSources].filter((s) => !wanted || wanted.has(s.id));
  const queued: EnqueuedJob[] = [];
  // Asked once a source, for all its lists.
  const waitingOf = new Map<string, Promise<Map<string, QueuedJob>>>();
  for (const { job, host } of acrossHosts(sources)) {
    const list = jobListKey(job);
    if (!waitingOf.has(job.sourceId)) waitingOf.set(job.sourceId, waitingJobs(boss, job.sourceId));
    // A list waiting in the queue already would only be harvested twice in a row.
    const waiting = (await waitingOf.get(job.sourceId)!).get(list);
    if (waiting) {
      queued.push({ sourceId: job.sourceId, list, host, jobId: null, pending: { id: waiting.id, state: waiting.state } });
      continue;
    }
    const data: HarvestJob = { ...job, full: options.full === true, ...(options.slot ? { slot: options.slot } : {}) };
    const jobId = await boss.send(HARVEST_QUEUE, data, { singletonKey: host, ...(options.slot ? { id: slotJobId(job, options.slot) } : {}) });
    queued.push({ sourceId: job.sourceId, list, host, jobId });
  }
  return queued;
}

type SourceJob = ReturnType<typeof sourceJobs>[number];

/**
 * The sources' jobs in turn by host (each host's first job, then each host's second…), as jobs
 * are taken oldest first: a host's jobs queued one after another would leave workers idle at
 * the end, every job left waiting for the one host still busy. A host's own jobs keep their
 * order, a source's lists the order a `run` harvests them in.
 */
export function acrossHosts(sources: readonly (SourceConfig | BibtexSourceConfig)[]): { job: SourceJob; host: string }[] {
  const byHost = new Map<string, SourceJob[]>();
  for (const source of sources) {
    const host = hostKey(source);
    const jobs = sourceJobs(source);
    byHost.get(host)?.push(...jobs) ?? byHost.set(host, jobs);
  }
  const ordered: { job: SourceJob; host: string }[] = [];
  const total = [...byHost.values()].reduce((n, jobs) => n + jobs.length, 0);
  for (let round = 0; ordered.length < total; round++) {
    for (const [host, ofHost] of byHost) if (round < ofHost.length) ordered.push({ job: ofHost[round]!, host });
  }
  return ordered;
}
