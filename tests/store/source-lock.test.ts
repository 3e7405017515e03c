import { readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { acquireLock } from '../../src/store/source-lock.ts';
import { tempDir } from '../support/run.ts';

describe('source lock', () => {
  it('is held until released, and says by whom', () => {
    const path = join(tempDir(), 'locks', 'kar.lock');
    const first = acquireLock(path);
    expect(first.acquired).toBe(true);
    const second = acquireLock(path);
    expect(second).toMatchObject({ acquired: false, holder: { pid: process.pid, host: hostname() } });
    if (first.acquired) first.release();
    expect(acquireLock(path).acquired).toBe(true);
  });

  it('takes over a lock whose process is gone, or that is unreadable', () => {
    const path = join(tempDir(), 'kar.lock');
    writeFileSync(path, JSON.stringify({ pid: 2 ** 22 + 12345, host: hostname(), since: '2026-01-01T00:00:00Z' }));
    expect(acquireLock(path)).toMatchObject({ acquired: true, tookOverFrom: { pid: 2 ** 22 + 12345 } });
    // Junk left by an old version is taken once it is old; a young one may be a lock being written.
    const junk = join(tempDir(), 'junk.lock');
    writeFileSync(junk, 'not json');
    expect(acquireLock(junk).acquired).toBe(false);
    utimesSync(junk, new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));
    expect(acquireLock(junk).acquired).toBe(true);
  });

  it('leaves no file of its own behind but the lock (and the folder\'s mutex), and none after release', () => {
    const dir = tempDir();
    const lock = acquireLock(join(dir, 'kar.lock'));
    expect(readdirSync(dir).sort()).toEqual(['.mutex.sqlite', 'kar.lock']);
    if (lock.acquired) lock.release();
    expect(readdirSync(dir)).toEqual(['.mutex.sqlite']);
  });

  it('respects a lock held on another host, where liveness cannot be checked', () => {
    const path = join(tempDir(), 'kar.lock');
    writeFileSync(path, JSON.stringify({ pid: 1, host: 'elsewhere.example', since: '2026-01-01T00:00:00Z' }));
    expect(acquireLock(path)).toMatchObject({ acquired: false, holder: { host: 'elsewhere.example' } });
  });
});
