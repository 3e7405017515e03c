// Runs started at the same instant: exactly one holds a source's lock, whether the lock is
// free, stale (its process killed) or old junk, a hundred times over.
import { fork, spawnSync, type ChildProcess } from 'node:child_process';
import { utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../support/run.ts';

const CONTENDER = join(import.meta.dirname, '../support/lock-contender.ts');
let contenders: ChildProcess[] = [];

function ask<T>(child: ChildProcess, message: object, until: (reply: Record<string, unknown>) => boolean): Promise<T> {
  return new Promise((resolve) => {
    const listen = (reply: Record<string, unknown>) => {
      if (!until(reply)) return;
      child.off('message', listen);
      resolve(reply as T);
    };
    child.on('message', listen);
    child.send(message);
  });
}

beforeAll(async () => {
  contenders = [0, 1, 2].map(() => fork(CONTENDER, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
  await Promise.all(contenders.map((c) => new Promise<void>((r) => c.once('message', () => r()))));
});
afterAll(() => {
  for (const c of contenders) c.kill();
});

/** The pid of a process that has exited: a lock it left is stale. */
function deadPid(): number {
  return spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout as unknown as number;
}

describe('source lock under contention', () => {
  it('goes to exactly one of two or three runs started at once, free, stale or junk, a hundred times', async () => {
    const dir = tempDir();
    const dead = Number(deadPid());
    const outcomes = { free: 0, stale: 0, junk: 0 };
    for (let round = 0; round < 100; round++) {
      const path = join(dir, `source-${round}.lock`);
      const kind = (['free', 'stale', 'junk'] as const)[round % 3]!;
      if (kind === 'stale') writeFileSync(path, JSON.stringify({ pid: dead, host: hostname(), since: '2026-01-01T00:00:00Z' }));
      if (kind === 'junk') {
        writeFileSync(path, '');
        utimesSync(path, new Date(Date.now() - 3_600_000), new Date(Date.now() - 3_600_000));
      }
      const racing = contenders.slice(0, 2 + (round % 2));
      const at = Date.now() + 30;
      const results = await Promise.all(racing.map((c) => ask<{ acquired: boolean; tookOver: boolean }>(c, { round, path, at }, (r) => r['round'] === round)));
      expect(results.filter((r) => r.acquired), `round ${round} (${kind}, ${racing.length} runs)`).toHaveLength(1);
      outcomes[kind]++;
      await Promise.all(racing.map((c) => ask(c, { round, release: true }, (r) => r['round'] === round && r['released'] === true)));
    }
    expect(outcomes).toEqual({ free: 34, stale: 33, junk: 33 });
  });
});
