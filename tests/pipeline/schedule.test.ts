import { spawn } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runSchedule } from '../../src/pipeline/schedule.ts';
import type { RunSummary } from '../../src/pipeline/harvest.ts';
import { statusReport } from '../../src/pipeline/status.ts';
import { ConfigError } from '../../src/config/config.ts';
import { Feed } from '../support/feed.ts';
import { startOaiServer, type TestServer } from '../support/oai-server.ts';
import { captureLogger, outputLines, tempDir, testConfig } from '../support/run.ts';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const waitFor = async (condition: () => boolean, ms = 15_000) => {
  const until = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('schedule', () => {
  it('reads a bibtex source on its schedule too', async () => {
    const dir = tempDir();
    const bib = join(dir, 'publisher.bib');
    writeFileSync(bib, '@article{a1, title = {A paper}, doi = {10.5555/bib.1}, year = 2024}\n');
    const config = testConfig([{ id: 'pub', type: 'bibtex', path: bib, schedule: '* * * * * *' }]);
    const runs: RunSummary[] = [];
    const stop = new AbortController();
    const service = runSchedule({ config, outDir: join(dir, 'out'), logger: captureLogger().logger, signal: stop.signal, parserThreads: 1, onRun: (r) => runs.push(r) });
    await waitFor(() => runs.length >= 1);
    stop.abort();
    expect(await service).toMatchObject({ failedRuns: 0 });
    expect(runs[0]!.sources).toEqual([expect.objectContaining({ source: 'pub', status: 'ok', records: 1 })]);
  });

  it('runs each source on its cron, keeps one host polite across sources, and stops cleanly', async () => {
    const MIN_DELAY = 150;
    server = await startOaiServer({ feeds: { a: new Feed({ records: 200, pageSize: 50 }), b: new Feed({ records: 200, pageSize: 50 }) } });
    const config = testConfig([
      { id: 'a', baseUrl: server.feedUrl('a'), minDelayMs: MIN_DELAY, schedule: '* * * * * *' },
      { id: 'b', baseUrl: server.feedUrl('b'), minDelayMs: MIN_DELAY, schedule: '* * * * * *' },
      { id: 'manual', baseUrl: server.feedUrl('a'), schedule: false },
    ]);
    const out = tempDir();
    const { logger, lines } = captureLogger();
    const stop = new AbortController();
    const runs: RunSummary[] = [];
    const service = runSchedule({ config, outDir: out, logger, signal: stop.signal, parserThreads: 1, onRun: (r) => runs.push(r) });
    // Each source runs twice: the first at once (nothing has run yet), then on its schedule.
    await waitFor(() => runs.filter((r) => r.sources[0]?.source === 'a').length >= 2 && runs.filter((r) => r.sources[0]?.source === 'b').length >= 2);
    stop.abort();
    const summary = await service;

    expect(summary.runs).toBeGreaterThanOrEqual(4);
    expect(summary.failedRuns).toBe(0);
    const scheduled = lines.filter((l) => l['msg'] === 'scheduled');
    expect(scheduled.map((l) => l['source'])).toEqual(['a', 'b']);
    for (const l of scheduled) {
      const next = l['nextRuns'] as string[];
      expect(next).toHaveLength(3);
      expect(Date.parse(next[1]!) - Date.parse(next[0]!)).toBe(1000);
    }
    expect(lines.some((l) => l['msg'] === 'run queued' && String(l['reason']).startsWith('catching up'))).toBe(true);
    // Runs take longer than a second here: a source never runs twice at once.
    expect(lines.some((l) => l['msg'] === 'the previous run of this source is still going; this one is skipped')).toBe(true);

    // The two sources share one host: its requests, from either source, stay MIN_DELAY apart.
    const times = server.requests.map((r) => r.at).sort((x, y) => x - y);
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(MIN_DELAY - 5);
    expect(new Set(server.requests.map((r) => r.path))).toEqual(new Set(['/feed/a', '/feed/b']));

    expect(new Set(outputLines(out, 'a').map((l) => l.identifier)).size).toBe(200);
    expect(new Set(outputLines(out, 'b').map((l) => l.identifier)).size).toBe(200);
    // No lock is left held (the folder's mutex file stays; it holds no lock between runs).
    expect(existsSync(join(out, 'locks')) ? readdirSync(join(out, 'locks')).filter((f) => f !== '.mutex.sqlite') : []).toEqual([]);
    const status = statusReport(config, out, join(out, 'state.sqlite'));
    expect(status.sources.map((s) => s.health)).toEqual(['ok', 'ok', 'never harvested']);
  }, 60_000);

  it('does not catch up a source whose last scheduled run succeeded', async () => {
    server = await startOaiServer({ feeds: { a: new Feed({ records: 10 }) } });
    // Yearly, on 1 January: the last scheduled time is long past.
    const config = testConfig([{ id: 'a', baseUrl: server.feedUrl('a'), schedule: '0 0 1 1 *' }]);
    const out = tempDir();
    const first = captureLogger();
    let stop = new AbortController();
    const runs: RunSummary[] = [];
    let service = runSchedule({ config, outDir: out, logger: first.logger, signal: stop.signal, parserThreads: 1, onRun: (r) => runs.push(r) });
    await waitFor(() => runs.length === 1);
    stop.abort();
    await service;
    expect(runs[0]!.ok).toBe(true);

    const second = captureLogger();
    stop = new AbortController();
    service = runSchedule({ config, outDir: out, logger: second.logger, signal: stop.signal, parserThreads: 1 });
    // Whether a source catches up is decided before the schedule says it has started.
    await waitFor(() => second.lines.some((l) => l['msg'] === 'schedule started'));
    expect(second.lines.find((l) => l['msg'] === 'schedule started')).toMatchObject({ sources: ['a'], catchingUp: [] });
    stop.abort();
    expect(await service).toEqual({ runs: 0, failedRuns: 0, interruptedRuns: 0 });
    expect(second.lines.some((l) => l['msg'] === 'run queued')).toBe(false);
  }, 30_000);

  it('counts a run stopped mid-harvest by the signal as interrupted, not failed, and resumes it next time', async () => {
    server = await startOaiServer({ feeds: { a: new Feed({ records: 400, pageSize: 20, latencyMs: 30 }) } });
    const config = testConfig([{ id: 'a', baseUrl: server.feedUrl('a'), minDelayMs: 0, schedule: '0 0 1 1 *' }]);
    const out = tempDir();
    let stop = new AbortController();
    // Never harvested: it catches up at once; stopped a few pages in.
    let service = runSchedule({ config, outDir: out, logger: captureLogger().logger, signal: stop.signal, parserThreads: 1 });
    await waitFor(() => server!.requests.length >= 4);
    stop.abort();
    expect(await service).toEqual({ runs: 1, failedRuns: 0, interruptedRuns: 1 });
    expect(statusReport(config, out, join(out, 'state.sqlite')).sources[0]).toMatchObject({ lastRun: { status: 'interrupted' }, consecutiveFailures: 0 });

    // Not succeeded yet, so the next start catches up, and finishes the list.
    stop = new AbortController();
    const runs: RunSummary[] = [];
    service = runSchedule({ config, outDir: out, logger: captureLogger().logger, signal: stop.signal, parserThreads: 1, onRun: (r) => runs.push(r) });
    await waitFor(() => runs.length === 1);
    stop.abort();
    expect(await service).toEqual({ runs: 1, failedRuns: 0, interruptedRuns: 0 });
    expect(new Set(outputLines(out, 'a').map((l) => l.identifier)).size).toBe(400);
  }, 30_000);

  it('refuses a config in which no source has a schedule, and bad cron expressions at load', async () => {
    const config = testConfig([{ id: 'a', baseUrl: 'http://127.0.0.1:9/oai' }]);
    const run = runSchedule({ config, outDir: tempDir(), logger: captureLogger().logger, signal: new AbortController().signal });
    await expect(run).rejects.toThrow(ConfigError);
    await expect(run).rejects.toThrow(/no source has a "schedule"/);
    expect(() => testConfig([{ id: 'a', baseUrl: 'http://x/oai', schedule: '61 * * * *' }])).toThrow(/source "a" field "schedule": must be a cron expression/);
    expect(() => testConfig([{ id: 'a', baseUrl: 'http://x/oai' }], { timezone: 'Mars/Olympus' })).toThrow(/"timezone": must be an IANA time zone/);
  });

  it('oai-harvester schedule logs the next runs, and on SIGTERM commits its page, releases its locks and exits 0', async () => {
    server = await startOaiServer({ feeds: { a: new Feed({ records: 2000, pageSize: 50 }) } });
    const dir = tempDir();
    const config = join(dir, 'sources.json');
    writeFileSync(config, JSON.stringify({ schedule: '0 3 * * *', timezone: 'UTC', sources: [{ id: 'a', baseUrl: server.feedUrl('a'), minDelayMs: 20 }] }));
    const out = join(dir, 'out');
    const child = spawn(process.execPath, [resolve(import.meta.dirname, '../../src/cli/bin.ts'), 'schedule', '--config', config, '--out', out], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((done) => child.on('close', (code) => done(code)));
    // Never harvested: it catches up at once; stop it a few pages in.
    await waitFor(() => server!.requests.filter((r) => r.params['verb'] === 'ListRecords').length >= 4);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    const lines = stderr.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    const scheduled = lines.find((l) => l['msg'] === 'scheduled')!;
    expect(scheduled['nextRuns']).toEqual(expect.arrayContaining([expect.stringMatching(/T03:00:00\.000Z$/)]));
    expect(lines.some((l) => l['msg'] === 'schedule stopped')).toBe(true);
    expect(existsSync(join(out, 'locks', 'a.lock'))).toBe(false);
    const written = outputLines(out).length;
    expect(written % 50).toBe(0);
    expect(written).toBeGreaterThan(0);
    expect(written).toBeLessThan(2000);
  }, 30_000);
});
