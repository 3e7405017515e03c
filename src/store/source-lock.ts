// One run at a time per source and output folder. A lock file appears whole or not at all:
// its content is written to a file of its own first and linked into place, which fails if a
// lock is there. Taking a lock, a stale one included (its holder killed), happens inside a
// write transaction on a small SQLite file in the locks folder: the kernel serialises those
// between processes and releases one whose process dies, so no two runs can both see a lock
// stale and both replace it.
import { linkSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';

export interface LockHolder {
  pid: number;
  host: string;
  since: string;
  /** Tells this holder's lock from another taken by the same process later. */
  token?: string;
}

export type LockResult = { acquired: true; release: () => void; tookOverFrom?: LockHolder } | { acquired: false; holder: LockHolder };

/** A lock file without a readable holder, older than this, is junk left by an older version. */
const JUNK_AFTER_MS = 30_000;
const UNKNOWN: LockHolder = { pid: 0, host: 'unknown', since: 'unknown' };

export function acquireLock(path: string): LockResult {
  mkdirSync(dirname(path), { recursive: true });
  const me: LockHolder = { pid: process.pid, host: hostname(), since: new Date().toISOString(), token: randomBytes(8).toString('hex') };
  const mine = `${path}.${process.pid}.${me.token}.new`;
  writeFileSync(mine, JSON.stringify(me));
  try {
    return serialised(dirname(path), () => {
      let tookOverFrom: LockHolder | undefined;
      if (!tryLink(mine, path)) {
        const holder = readHolder(path);
        if (!isStale(path, holder)) return { acquired: false, holder: holder ?? UNKNOWN } as const;
        tookOverFrom = holder ?? UNKNOWN;
        rmSync(path, { force: true });
        if (!tryLink(mine, path)) return { acquired: false, holder: readHolder(path) ?? UNKNOWN } as const;
      }
      // Checked again after taking: the file at the path is this lock.
      if (readHolder(path)?.token !== me.token) return { acquired: false, holder: readHolder(path) ?? UNKNOWN } as const;
      return { acquired: true, release: releaser(path, me), ...(tookOverFrom ? { tookOverFrom } : {}) } as const;
    });
  } finally {
    rmSync(mine, { force: true });
  }
}

/** Runs `take` while holding the locks folder's mutex (a SQLite write transaction). */
function serialised<T>(dir: string, take: () => T): T {
  const db = new DatabaseSync(join(dir, '.mutex.sqlite'), { timeout: 30_000 });
  try {
    db.exec('BEGIN IMMEDIATE');
    try {
      return take();
    } finally {
      db.exec('COMMIT');
    }
  } finally {
    db.close();
  }
}

function tryLink(from: string, to: string): boolean {
  try {
    linkSync(from, to);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

function releaser(path: string, me: LockHolder): () => void {
  let released = false;
  return () => {
    if (released) return;
    released = true;
    // Only our own lock is removed, never one a later run took over.
    if (readHolder(path)?.token === me.token) rmSync(path, { force: true });
  };
}

/** A lock whose holder on this host is gone, or an unreadable one old enough to be junk. */
function isStale(path: string, holder: LockHolder | undefined): boolean {
  if (holder) return holder.host === hostname() && !isAlive(holder.pid);
  try {
    return Date.now() - statSync(path).mtimeMs > JUNK_AFTER_MS;
  } catch {
    return true;
  }
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
