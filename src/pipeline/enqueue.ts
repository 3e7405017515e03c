// `enqueue`: one harvest job per source on the fleet's queue, keyed by the source's host.
import type { PgBoss } from 'pg-boss';
import type { BibtexSourceConfig, HarvestConfig, SourceConfig } from '../config/config.ts';
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
  for (const { source, host } of acrossHosts(sources)) {
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

/**
 * The sources in turn by host (the first of each host, then the second of each…), as jobs are
 * taken oldest first: a host's sources queued one after another would leave workers idle at
 * the end, every job left waiting for the one host still busy.
 */
export function acrossHosts<S extends SourceConfig | BibtexSourceConfig>(sources: readonly S[]): { source: S; host: string }[] {
  const byHost = new Map<string, S[]>();
  for (const source of sources) {
    const host = hostKey(source);
    byHost.get(host)?.push(source) ?? byHost.set(host, [source]);
  }
  const ordered: { source: S; host: string }[] = [];
  for (let round = 0; ordered.length < sources.length; round++) {
    for (const [host, ofHost] of byHost) if (round < ofHost.length) ordered.push({ source: ofHost[round]!, host });
  }
  return ordered;
}
