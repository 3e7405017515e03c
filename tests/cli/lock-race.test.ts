// Runs of one source started at the same moment on one output folder, with and without a
// stale lock left by a run killed mid-harvest: exactly one harvests, every record arrives
// once, none twice.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Feed } from '../support/feed.ts';
import { startOaiServer, type TestServer } from '../support/oai-server.ts';
import { outputLines, tempDir } from '../support/run.ts';

const MAIN = resolve(import.meta.dirname, '../../src/cli/bin.ts');
let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

function run(args: string[], killWhen?: () => boolean): Promise<{ code: number | null; stdout: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [MAIN, 'run', ...args], { stdio: ['ignore', 'pipe', 'ignore'] });
    let stdout = '';
    child.stdout.on('data', (d) => (stdout += d));
    const poll = killWhen ? setInterval(() => killWhen() && child.kill('SIGKILL'), 2) : undefined;
    child.on('close', (code) => {
      clearInterval(poll);
      done({ code, stdout });
    });
  });
}

describe('runs started together on one source', () => {
  it('let exactly one harvest, with and without a stale lock, and lose or repeat no record', async () => {
    const records = 300;
    server = await startOaiServer({ feeds: { kar: new Feed({ records, pageSize: 100, latencyMs: 30 }) } });
    for (let round = 0; round < 6; round++) {
      const dir = tempDir();
      const config = join(dir, 'sources.json');
      writeFileSync(config, JSON.stringify({ sources: [{ id: 'kar', baseUrl: server.feedUrl('kar'), minDelayMs: 0 }] }));
      const out = join(dir, 'out');
      const args = ['--config', config, '--out', out];
      if (round % 2 === 1) {
        // A run killed once its first page is in: its lock is left behind, its pid gone.
        const before = server.requests.length;
        const killed = await run(args, () => server!.requests.filter((r) => r.params['verb'] === 'ListRecords').length > 0 && server!.requests.length > before + 2);
        expect(killed.code).toBeNull();
      }
      const results = await Promise.all([run(args), run(args), run(args)]);
      const harvested = results.filter((r) => /^kar\s+ok\b/m.test(r.stdout));
      const locked = results.filter((r) => /^kar\s+locked\b/m.test(r.stdout));
      expect([harvested.length, locked.length], `round ${round}: ${results.map((r) => r.stdout).join('\n---\n')}`).toEqual([1, 2]);
      const ids = outputLines(out).map((l) => l.identifier);
      expect(new Set(ids).size, `round ${round}`).toBe(records);
      expect(ids, `round ${round}`).toHaveLength(records);
    }
  });
});
