// `status`: per source, how fresh and how healthy the harvested data is, from the state
// database alone (no request goes to any repository), for a person or a monitoring check.
import { redactUrl } from '../oai/secrets.ts';
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { Cron } from 'croner';
import { StateStore } from '../store/state.ts';
import { isPostgresUrl } from '../store/location.ts';
import type { SourceRun } from '../store/run-history.ts';
import type { ListSize } from '../store/harvest-log.ts';
import { currentHolder, sourceLockFile, type LockHolder } from '../store/source-lock.ts';
import type { WorksSnapshotState } from '../store/snapshot-log.ts';
import type { HarvestConfig, SourceConfig } from '../config/config.ts';
import { worksFile } from '../sinks/works-snapshot.ts';
import { HARVEST_QUEUE, type JobCounts } from '../store/postgres/job-queue.ts';

/** Without a schedule or `staleAfterHours`, data older than this is stale. */
export const DEFAULT_STALE_AFTER_HOURS = 48;

/** `interrupted`: stopped by a signal before the source ever finished a run; the next run resumes it. */
export type Health = 'ok' | 'failing' | 'stale' | 'never harvested' | 'interrupted';

export interface SourceStatus {
  source: string;
  name: string;
  baseUrl: string;
  health: Health;
  lastRun: { at: string; status: SourceRun['status'] } | null;
  lastSuccess: string | null;
  lastFailure: { at: string; reason: string; code: string | null; name: string; verb: string | null; url: string | null } | null;
  consecutiveFailures: number;
  records: { live: number; deleted: number };
  works: number;
  lists: ListSize[];
  schedule: string | null;
  nextRun: string | null;
  /** Hours since the last successful run; null when there was none. */
  ageHours: number | null;
  staleAfterHours: number;
  stale: boolean;
  /** The process harvesting the source right now, if any. */
  running: LockHolder | null;
  /** A fleet's jobs of the source (PostgreSQL state); null for a SQLite state, which has none. */
  jobs: JobCounts | null;
}

export interface StatusReport {
  at: string;
  stateFile: string;
  ok: boolean;
  sources: SourceStatus[];
  /** Which run works.jsonl reflects; null before the first run. Being behind is not a failure. */
  worksSnapshot: (WorksSnapshotState & { file: string }) | null;
}

export function statusReport(config: HarvestConfig, outDir: string, stateFile: string, now = new Date()): StatusReport {
  const state = isPostgresUrl(stateFile) || existsSync(stateFile) ? StateStore.open(stateFile) : undefined;
  try {
    const files = config.bibtexSources.map((b) => ({ id: b.id, name: b.name, baseUrl: pathToFileURL(b.path).href, schedule: b.schedule, staleAfterHours: undefined }));
    const jobs = state?.jobCounts(HARVEST_QUEUE);
    const sources = [...config.sources, ...files].map((source) => ({ ...sourceStatus(source, config, outDir, state, now), jobs: jobs ? (jobs.get(source.id) ?? NO_JOBS) : null }));
    const snapshot = state ? state.snapshots.state() : undefined;
    return {
      at: now.toISOString(), stateFile: state?.file ?? stateFile, ok: sources.every((s) => s.health === 'ok'), sources,
      worksSnapshot: snapshot ? { file: worksFile(outDir), ...snapshot } : null,
    };
  } finally {
    state?.close();
  }
}

/** What status needs of a source, OAI-PMH or file. */
type StatusSource = Pick<SourceConfig, 'id' | 'name' | 'baseUrl' | 'schedule' | 'staleAfterHours'>;

const NO_JOBS: JobCounts = { queued: 0, retrying: 0, active: 0, failed: 0 };

function sourceStatus(source: StatusSource, config: HarvestConfig, outDir: string, state: StateStore | undefined, now: Date): Omit<SourceStatus, 'jobs'> {
  const history = state ? state.runs.ofSource(source.id) : { lastRun: null, lastSuccess: null, lastFailure: null, consecutiveFailures: 0 };
  const cron = source.schedule ? new Cron(source.schedule, { paused: true, ...(config.timezone ? { timezone: config.timezone } : {}) }) : undefined;
  const [next, afterNext] = cron ? cron.nextRuns(2, now) : [];
  cron?.stop();
  const intervalHours = next && afterNext ? (afterNext.getTime() - next.getTime()) / 3_600_000 : undefined;
  const staleAfterHours = source.staleAfterHours ?? (intervalHours ? 2 * intervalHours : DEFAULT_STALE_AFTER_HOURS);
  const lastSuccess = history.lastSuccess?.finishedAt ?? null;
  const ageHours = lastSuccess ? round((now.getTime() - Date.parse(lastSuccess)) / 3_600_000) : null;
  const stale = ageHours === null ? history.lastRun !== null : ageHours > staleAfterHours;
  const failure = history.lastFailure;
  return {
    source: source.id,
    name: source.name,
    baseUrl: redactUrl(source.baseUrl),
    health: history.lastRun === null ? 'never harvested'
      : history.consecutiveFailures > 0 ? 'failing'
      : history.lastRun.status === 'interrupted' && lastSuccess === null ? 'interrupted'
      : stale ? 'stale' : 'ok',
    lastRun: history.lastRun ? { at: history.lastRun.finishedAt, status: history.lastRun.status } : null,
    lastSuccess,
    lastFailure: failure?.error
      ? { at: failure.finishedAt, reason: failure.error.message, code: failure.error.code ?? null, name: failure.error.name, verb: failure.error.verb ?? null, url: failure.error.url ?? null }
      : null,
    consecutiveFailures: history.consecutiveFailures,
    records: state ? recordCounts(state, source.id) : { live: 0, deleted: 0 },
    works: state ? state.records.workCount(source.id) : 0,
    lists: state ? state.harvests.listSizes(source.id) : [],
    schedule: source.schedule ?? null,
    nextRun: next?.toISOString() ?? null,
    ageHours,
    staleAfterHours,
    stale,
    running: (state ? state.lockHolder(source.id, outDir) : currentHolder(sourceLockFile(outDir, source.id))) ?? null,
  };
}

/** A file source's are its source records; an OAI-PMH source's come from its harvest log, which counts a record once over its formats. */
function recordCounts(state: StateStore, sourceId: string): { live: number; deleted: number } {
  return state.files.get(sourceId) ? state.records.recordCounts(sourceId) : state.harvests.recordCounts(sourceId);
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
