// Memory is bounded per response, not by what a server sends: a 50 MB text node is cut to a
// mebibyte before parsing, and a failing response is read only as far as its message needs.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Feed } from '../support/feed.ts';
import { startOaiServer, type TestServer } from '../support/oai-server.ts';
import { outputLines, tempDir } from '../support/run.ts';

const PEAK_RSS = resolve(import.meta.dirname, '../support/peak-rss.ts');
const LIMIT_KIB = 400 * 1024;
let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** The run's exit code, output and peak RSS in KiB, started as `node dist/cli/bin.js` would be (no flags). */
function runMeasured(feed: Feed, source: Record<string, unknown> = {}): Promise<{ code: number | null; peakKib: number; out: string; stderr: string }> {
  return startOaiServer({ feeds: { kar: feed } }).then((started) => {
    server = started;
    const dir = tempDir();
    const config = join(dir, 'sources.json');
    writeFileSync(config, JSON.stringify({ sources: [{ id: 'kar', baseUrl: started.feedUrl('kar'), minDelayMs: 0, ...source }] }));
    const out = join(dir, 'out');
    return new Promise((done) => {
      const child = spawn(process.execPath, [PEAK_RSS, 'run', '--config', config, '--out', out], { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d) => (stderr += d));
      child.on('close', (code) => done({ code, peakKib: Number(/peak-rss-kib (\d+)/.exec(stderr)?.[1]), out, stderr }));
    });
  });
}

describe('memory per response', () => {
  it('a 50 MB text node: the record is harvested with its title cut and counted, under 400 MB', async () => {
    const run = await runMeasured(new Feed({ records: 20, faults: { hugeTitle: { id: 7, chars: 50 * 1024 * 1024 } } }), { maxResponseBytes: 128 * 1024 * 1024 });
    expect(run.code, run.stderr.slice(-2000)).toBe(0);
    expect(run.peakKib).toBeLessThan(LIMIT_KIB);
    const seven = outputLines(run.out).find((l) => l.identifier === 'oai:test.example:7')!;
    const title = (seven.record as { title: string }).title;
    expect(title.length).toBeLessThan(1.1 * 1024 * 1024);
    expect(title).toMatch(/^Record number 7 & its xxx+ \[… \d+ bytes cut\]$/);
    expect(title.match(/ cut\]/g)).toHaveLength(1);
    expect(run.stderr).toContain('text over a mebibyte cut from a record on this page');
    expect(outputLines(run.out)).toHaveLength(20);
  }, 120_000);

  it('a 100 MB error body: read only as far as its message needs, under 400 MB, and the source fails clearly', async () => {
    const run = await runMeasured(new Feed({ records: 5, faults: { hugeErrorBody: { status: 500, bytes: 100 * 1024 * 1024 } } }), {
      retry: { maxAttempts: 2, baseDelayMs: 10, maxDelayMs: 20, budgetMs: 5000 },
    });
    expect(run.code).toBe(1);
    expect(run.peakKib).toBeLessThan(LIMIT_KIB);
    expect(run.stderr).toMatch(/HTTP 500: e{20}/);
  }, 120_000);
});
