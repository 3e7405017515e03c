// What `status` prints for a person: one block per source, the problem first.
import type { StatusReport } from '../pipeline/status.ts';

/** The text `status` prints: one block per source, the problem first. */
export function formatStatus(report: StatusReport, now = new Date(report.at)): string {
  const n = (x: number) => x.toLocaleString('en-GB');
  const ago = (iso: string) => `${iso} (${duration(now.getTime() - Date.parse(iso))} ago)`;
  const blocks = report.sources.map((s) => {
    const health = s.health === 'failing' ? `failing (${s.consecutiveFailures} failed run${s.consecutiveFailures === 1 ? '' : 's'} in a row)`
      : s.health === 'stale' ? `stale (no successful run for ${s.ageHours === null ? 'ever' : duration(s.ageHours * 3_600_000)}; limit ${s.staleAfterHours} h)`
      : s.health === 'interrupted' ? 'interrupted (stopped by a signal before its first complete run; the next run resumes it)'
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
    if (s.jobs) lines.push(`  jobs          ${s.jobs.active} active, ${s.jobs.queued} queued, ${s.jobs.retrying} waiting to retry, ${s.jobs.failed} failed`);
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
