// `enqueue`: one harvest job per source on the fleet's queue, keyed by the source's host.
import type { PgBoss } from 'pg-boss';
import type { HarvestConfig } from '../config/config.ts';
import { fleetTimings, HARVEST_QUEUE, hostKey, openBoss, pendingJobs, slotJobId, type FleetTimings, type HarvestJob } from './jobs.ts';

export interface EnqueueOptions {
  config: HarvestConfig;
  stateUrl: string;
  /** Only these sources; every source by default. */
  sourceIds?: readonly string[] | undefined;
  full?: boolean | undefined;
  /** The cron slot queuing the jobs (a scheduler's): one job per source and slot, however many schedulers fire. */
  slot?: string | undefined;
  timings?: FleetTimings | undefined;
}

export interface EnqueuedJob {
  sourceId: string;
  host: string;
  /** The new job's id; null when the source already had a job waiting (or, for a slot, when that slot was queued already). */
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
  for (const source of sources) {
    const host = hostKey(source);
    // A source waiting in the queue already would only be harvested twice in a row.
    const waiting = (await pendingJobs(boss, source.id)).find((j) => j.state !== 'active');
    if (waiting) {
      queued.push({ sourceId: source.id, host, jobId: null, pending: { id: waiting.id, state: waiting.state } });
      continue;
    }
    const data: HarvestJob = { sourceId: source.id, full: options.full === true, ...(options.slot ? { slot: options.slot } : {}) };
    const jobId = await boss.send(HARVEST_QUEUE, data, { singletonKey: host, ...(options.slot ? { id: slotJobId(source.id, options.slot) } : {}) });
    queued.push({ sourceId: source.id, host, jobId });
  }
  return queued;
}
