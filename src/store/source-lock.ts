// One run at a time per source and output folder. The lock is a file created exclusively,
// holding who took it; one left by a process that is gone (kill -9) is taken over.
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';

export interface LockHolder {
  pid: number;
  host: string;
  since: string;
}

export type LockResult = { acquired: true; release: () => void; tookOverFrom?: LockHolder } | { acquired: false; holder: LockHolder };

export function acquireLock(path: string): LockResult {
  mkdirSync(dirname(path), { recursive: true });
  let tookOverFrom: LockHolder | undefined;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      const me: LockHolder = { pid: process.pid, host: hostname(), since: new Date().toISOString() };
      writeSync(fd, JSON.stringify(me));
      closeSync(fd);
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        // Only our own lock is removed, never one a later run took over.
        if (readHolder(path)?.pid === me.pid) rmSync(path, { force: true });
      };
      return tookOverFrom ? { acquired: true, release, tookOverFrom } : { acquired: true, release };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = readHolder(path);
      if (holder && (holder.host !== hostname() || isAlive(holder.pid))) return { acquired: false, holder };
      // The holder is gone (or the file is unreadable junk): the lock is stale.
      tookOverFrom = holder ?? { pid: 0, host: 'unknown', since: 'unknown' };
      rmSync(path, { force: true });
    }
  }
  const holder = readHolder(path);
  return { acquired: false, holder: holder ?? { pid: 0, host: 'unknown', since: 'unknown' } };
}

/** Where a source's lock lives in an output folder: runs and `status` look in the same place. */
export function sourceLockFile(outDir: string, sourceId: string): string {
  return join(outDir, 'locks', `${sourceId}.lock`);
}

/** Who holds the lock now, if anyone alive does (a stale lock reads as free). */
export function currentHolder(path: string): LockHolder | undefined {
  const holder = readHolder(path);
  return holder && (holder.host !== hostname() || isAlive(holder.pid)) ? holder : undefined;
}

function readHolder(path: string): LockHolder | undefined {
  try {
    const holder = JSON.parse(readFileSync(path, 'utf8')) as LockHolder;
    return typeof holder.pid === 'number' ? holder : undefined;
  } catch {
    return undefined;
  }
}

/** A process on this host that has ended; one on another host cannot be checked, so it is never gone. */
export function processIsGone(pid: number, host: string): boolean {
  return host === hostname() && !isAlive(pid);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
