import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { harvest } from '../../src/pipeline/harvest.ts';
import { statusReport } from '../../src/pipeline/status.ts';
import { formatStatus } from '../../src/cli/status-text.ts';
import { Feed } from '../support/feed.ts';
import { startOaiServer, type TestServer } from '../support/oai-server.ts';
import { captureLogger, tempDir, testConfig } from '../support/run.ts';

const MAIN = resolve(import.meta.dirname, '../../src/cli/bin.ts');

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function setup(extra: Record<string, unknown> = {}) {
  const feed = new Feed({ records: 120, pageSize: 50, deletedEvery: 10 });
  server = await startOaiServer({ feeds: { kar: feed, other: new Feed({ records: 5 }) } });
  const config = testConfig(
    [
      { id: 'kar', name: 'Kent Academic Repository', baseUrl: server.feedUrl('kar'), schedule: '0 2 * * *' },
      { id: 'other', baseUrl: server.feedUrl('other'), schedule: false },
    ],
    { timezone: 'UTC', ...extra },
  );
  const out = tempDir();
  const run = (sourceIds = ['kar']) => harvest({ config, outDir: out, logger: captureLogger().logger, sourceIds, parserThreads: 1 });
  return { feed, config, out, run, status: (now?: Date) => statusReport(config, out, join(out, 'state.sqlite'), now) };
}

describe('status', () => {
  it('reports sources never harvested without creating a state database', async () => {
    const { status } = await setup();
    const report = status(new Date('2026-11-22T10:00:00Z'));
    expect(report.ok).toBe(false);
    expect(report.sources.map((s) => s.health)).toEqual(['never harvested', 'never harvested']);
    expect(report.sources[0]!.nextRun).toBe('2026-11-23T02:00:00.000Z');
    expect(report.sources[1]!.nextRun).toBeNull();
  });

  it('shows the last success, records, works, and the server list size against what is held', async () => {
    const { run, status } = await setup();
    const started = new Date().toISOString();
    const summary = await run();
    const now = new Date(Date.now() + 60_000);
    const report = status(now);
    const kar = report.sources[0]!;
    expect(kar.health).toBe('ok');
    expect(kar.lastRun?.status).toBe('ok');
    expect(Date.parse(kar.lastSuccess!)).toBeGreaterThanOrEqual(Date.parse(started));
    expect(Date.parse(kar.lastSuccess!)).toBeLessThanOrEqual(Date.parse(summary.finishedAt));
    expect(kar.lastRun?.at).toBe(kar.lastSuccess);
    expect(kar.consecutiveFailures).toBe(0);
    expect(kar.records).toEqual({ live: 108, deleted: 12 });
    expect(kar.works).toBe(108);
    expect(kar.lists).toEqual([expect.objectContaining({ list: 'oai_dc', server: 120, held: 120 })]);
    // Scheduled daily: stale after two intervals.
    expect(kar.staleAfterHours).toBe(48);
    expect(kar.stale).toBe(false);
    expect(kar.running).toBeNull();
    const text = formatStatus(report);
    expect(text).toContain('health        ok');
    expect(text).toContain('108 live, 12 deleted; 108 works');
    expect(text).toMatch(/list oai_dc\s+server 120 \(\d{4}-\d\d-\d\d\), held 120/);
  });

  it('counts failed runs in a row with the last reason and URL, until a run succeeds again', async () => {
    const { feed, run, status } = await setup();
    await run();
    feed.faults.forbidden = true;
    await run();
    await run();
    let kar = status().sources[0]!;
    expect(kar.health).toBe('failing');
    expect(kar.consecutiveFailures).toBe(2);
    expect(kar.lastFailure).toMatchObject({ name: 'ForbiddenError', verb: 'Identify' });
    expect(kar.lastFailure?.url).toContain('/feed/kar');
    expect(formatStatus(status())).toContain('failing (2 failed runs in a row)');

    feed.faults.forbidden = false;
    await run();
    kar = status().sources[0]!;
    expect(kar.health).toBe('ok');
    expect(kar.consecutiveFailures).toBe(0);
    expect(kar.lastFailure?.name).toBe('ForbiddenError');
  });

  it('calls data stale after two scheduled intervals, or after staleAfterHours', async () => {
    const { run, status, config } = await setup();
    await run(['kar', 'other']);
    const later = new Date(Date.now() + 49 * 3_600_000);
    const [kar, other] = status(later).sources;
    expect(kar!.health).toBe('stale');
    expect(kar!.ageHours).toBeGreaterThan(48);
    // Not scheduled: the default limit.
    expect(other!.staleAfterHours).toBe(48);
    expect(other!.health).toBe('stale');
    const own = statusReport({ ...config, sources: config.sources.map((s) => ({ ...s, staleAfterHours: 72 })) }, '/nonexistent', status().stateFile, later);
    expect(own.sources.map((s) => s.health)).toEqual(['ok', 'ok']);
  });

  it('status --json exits 0 when every source is healthy, 1 otherwise', async () => {
    server = await startOaiServer({ feeds: { kar: new Feed({ records: 10 }) } });
    const dir = tempDir();
    const out = join(dir, 'out');
    const configFile = join(dir, 'sources.json');
    const retry = { maxAttempts: 2, maxContentAttempts: 1, baseDelayMs: 10, maxDelayMs: 20, maxRetryAfterMs: 100, budgetMs: 500 };
    writeFileSync(configFile, JSON.stringify({ schedule: '*/5 * * * *', sources: [{ id: 'kar', baseUrl: server.feedUrl('kar'), minDelayMs: 0, retry }] }));
    const cli = (...args: string[]) =>
      promisify(execFile)(process.execPath, [MAIN, ...args, '--config', configFile, '--out', out]).then(
        (r) => ({ code: 0, stdout: r.stdout }),
        (e: { code: number; stdout: string }) => ({ code: e.code, stdout: e.stdout }),
      );
    const before = await cli('status', '--json');
    expect(before.code).toBe(1);
    expect(JSON.parse(before.stdout).sources[0].health).toBe('never harvested');
    expect((await cli('run')).code).toBe(0);
    const after = await cli('status', '--json');
    expect(after.code).toBe(0);
    const json = JSON.parse(after.stdout);
    expect(json.sources[0]).toMatchObject({ health: 'ok', records: { live: 10, deleted: 0 }, schedule: '*/5 * * * *', staleAfterHours: 1 / 6 });
  }, 30_000);
});
