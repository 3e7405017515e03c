// `schedule` on a PostgreSQL state: each source's cron queues its jobs for the fleet's workers
// instead of harvesting here. Every scheduler computes the same job id for a source's slot, so
// two schedulers (one per machine, for redundancy) never queue one slot twice.
import { Cron } from 'croner';
import type { Logger } from 'pino';
import type { HarvestConfig } from '../config/config.ts';
import type { StateStore } from '../store/state.ts';
import { enqueueOn } from './enqueue.ts';
import { fleetTimings, openBoss } from './jobs.ts';

export interface FleetScheduleOptions {
  config: HarvestConfig;
  stateUrl: string;
  state: StateStore;
  logger: Logger;
  signal: AbortSignal;
  scheduled: readonly { id: string; schedule: string }[];
  catchUp: boolean;
  /** The slot a missed run would have had, if no successful run finished after it. */
  missedRun: (schedule: string, sourceId: string) => string | undefined;
}

/** The slot a cron firing now stands for: its time to the second, the same on every machine whose clock is right. */
export function slotOf(firedAt: Date): string {
  return new Date(Math.floor(firedAt.getTime() / 1000) * 1000).toISOString();
}

/** Queues each source's job on its cron until `signal` aborts; returns how many jobs it queued. */
export async function runFleetSchedule(options: FleetScheduleOptions): Promise<number> {
  const { config, logger, signal } = options;
  const boss = await openBoss(options.stateUrl, fleetTimings(), { supervise: true });
  boss.on('error', (error) => logger.error({ err: error }, `job queue: ${error.message}`));
  let enqueued = 0;
  const enqueue = async (sourceId: string, slot: string, reason: string): Promise<void> => {
    const log = logger.child({ source: sourceId });
    try {
      for (const job of await enqueueOn(boss, { config, sourceIds: [sourceId], slot })) {
        if (job.jobId) enqueued++;
        log.info({ slot, reason, list: job.list, job: job.jobId, alreadyQueued: job.pending ?? (job.jobId ? null : 'this slot') }, job.jobId ? 'job queued' : 'job not queued: already queued');
      }
    } catch (error) {
      log.error({ err: error, slot }, `could not queue the job: ${(error as Error).message}`);
    }
  };
  const timezone = config.timezone ? { timezone: config.timezone } : {};
  const crons: Cron[] = [];
  try {
    // Unnamed: croner's names are unique per process, and a process may hold two schedules (a library user's, a test's).
    for (const source of options.scheduled) crons.push(new Cron(source.schedule, timezone, () => enqueue(source.id, slotOf(new Date()), 'scheduled')));
    if (options.catchUp) {
      for (const source of options.scheduled) {
        const missed = options.missedRun(source.schedule, source.id);
        if (missed) await enqueue(source.id, missed, `catching up: the run due ${missed} has not succeeded`);
      }
    }
    logger.info({ sources: options.scheduled.map((s) => s.id), state: options.state.file }, 'schedule started: jobs are queued for the workers');
    await new Promise<void>((done) => {
      if (signal.aborted) done();
      else signal.addEventListener('abort', () => done(), { once: true });
    });
  } finally {
    for (const cron of crons) cron.stop();
    await boss.stop({ graceful: false });
  }
  return enqueued;
}
