// `status`: per source, how fresh and how healthy the harvested data is, from the state
// database alone (no request goes to any repository), for a person or a monitoring check.
import { redactUrl } from '../oai/secrets.ts';
import { existsSync } from 'node:fs';
import { Cron } from 'croner';
import { StateStore } from '../store/state.ts';
import type { SourceRun } from '../store/run-history.ts';
import type { ListSize } from '../store/harvest-log.ts';
import { currentHolder, sourceLockFile, type LockHolder } from '../store/source-lock.ts';
import type { WorksSnapshotState } from '../store/snapshot-log.ts';
import type { HarvestConfig, SourceConfig } from '../config/config.ts';
import { worksFile } from '../sinks/works-snapshot.ts';

/** Without a schedule or `staleAfterHours`, data older than this is stale. */
export const DEFAULT_STALE_AFTER_HOURS = 48;

export type Health = 'ok' | 'failing' | 'stale' | 'never harvested';

export interface SourceStatus {
  source: string;
  name: string;
  baseUrl: string;
  health: Health;
  lastRun: { at: string; status: SourceRun['status'] } | null;
  lastSuccess: string | null;
  lastFailure: { at: string; reason: string; name: string; verb: string | null; url: string | null } | null;
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
  const state = existsSync(stateFile) ? StateStore.open(stateFile) : undefined;
  try {
    const sources = config.sources.map((source) => sourceStatus(source, config, outDir, state, now));
    const snapshot = state ? state.snapshots.state() : undefined;
    return {
      at: now.toISOString(), stateFile, ok: sources.every((s) => s.health === 'ok'), sources,
      worksSnapshot: snapshot ? { file: worksFile(outDir), ...snapshot } : null,
    };
  } finally {
    state?.close();
  }
}

function sourceStatus(source: SourceConfig, config: HarvestConfig, outDir: string, state: StateStore | undefined, now: Date): SourceStatus {
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
    health: history.lastRun === null ? 'never harvested' : history.consecutiveFailures > 0 ? 'failing' : stale ? 'stale' : 'ok',
    lastRun: history.lastRun ? { at: history.lastRun.finishedAt, status: history.lastRun.status } : null,
    lastSuccess,
    lastFailure: failure?.error
      ? { at: failure.finishedAt, reason: failure.error.message, name: failure.error.name, verb: failure.error.verb ?? null, url: failure.error.url ?? null }
      : null,
    consecutiveFailures: history.consecutiveFailures,
    records: state ? state.harvests.recordCounts(source.id) : { live: 0, deleted: 0 },
    works: state ? state.records.workCount(source.id) : 0,
    lists: state ? state.harvests.listSizes(source.id) : [],
    schedule: source.schedule ?? null,
    nextRun: next?.toISOString() ?? null,
    ageHours,
    staleAfterHours,
    stale,
    running: currentHolder(sourceLockFile(outDir, source.id)) ?? null,
  };
}

/** The text `status` prints: one block per source, the problem first. */
export function formatStatus(report: StatusReport, now = new Date(report.at)): string {
  const n = (x: number) => x.toLocaleString('en-GB');
  const ago = (iso: string) => `${iso} (${duration(now.getTime() - Date.parse(iso))} ago)`;
  const blocks = report.sources.map((s) => {
    const health = s.health === 'failing' ? `failing (${s.consecutiveFailures} failed run${s.consecutiveFailures === 1 ? '' : 's'} in a row)`
      : s.health === 'stale' ? `stale (no successful run for ${s.ageHours === null ? 'ever' : duration(s.ageHours * 3_600_000)}; limit ${s.staleAfterHours} h)`
      : s.health;
    const lines = [
      `${s.source}  ${s.name}  ${s.baseUrl}`,
      `  health        ${health}`,
      `  last success  ${s.lastSuccess ? ago(s.lastSuccess) : 'never'}`,
    ];
    if (s.lastFailure) {
      const where = s.lastFailure.url ? ` (${s.lastFailure.verb ? `${s.lastFailure.verb} ` : ''}${s.lastFailure.url})` : '';
      lines.push(`  last failure  ${ago(s.lastFailure.at)}: ${s.lastFailure.name}: ${s.lastFailure.reason}${where}`);
    }
    lines.push(`  records       ${n(s.records.live)} live, ${n(s.records.deleted)} deleted; ${n(s.works)} works`);
    for (const l of s.lists) {
      const server = l.server === null ? 'server gave no size' : `server ${n(l.server)} (${l.serverAsOf?.slice(0, 10)})`;
      const gap = l.server !== null && l.held !== null && l.held !== l.server ? ` (${l.held > l.server ? '+' : ''}${n(l.held - l.server)})` : '';
      lines.push(`  list ${l.list.padEnd(8)} ${server}, held ${l.held === null ? 'not counted for a set' : n(l.held)}${gap}`);
    }
    lines.push(`  next run      ${s.nextRun ? `${s.nextRun} (${s.schedule})` : 'not scheduled'}`);
    if (s.running) lines.push(`  running       process ${s.running.pid} on ${s.running.host} since ${s.running.since}`);
    return lines.join('\n');
  });
  const w = report.worksSnapshot;
  if (w) {
    const since = w.behind ? `; behind: ${w.changeFilesSince.length} change file${w.changeFilesSince.length === 1 ? '' : 's'} since (works/snapshot.json lists them)` : '; current';
    blocks.push(`works.jsonl  ${n(w.works)} works as of ${ago(w.writtenAt)}${since}`);
  }
  return blocks.join('\n\n');
}

function duration(ms: number): string {
  const minutes = Math.max(0, Math.round(ms / 60_000));
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ${minutes % 60} min`;
  return `${Math.floor(hours / 24)} d ${hours % 24} h`;
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
