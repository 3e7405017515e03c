// A small real filesystem (tmpfs) for tests of a full disk; mounting needs root (CI runs as root).
import { execFileSync } from 'node:child_process';
import { tempDir } from './run.ts';

export interface SmallDisk {
  dir: string;
  /** Gives the filesystem more room, keeping what is on it. */
  grow(sizeKb: number): void;
  unmount(): void;
}

/** A tmpfs of `sizeKb` mounted on a fresh directory, or the reason none can be mounted here. */
export function smallDisk(sizeKb: number): SmallDisk | string {
  const dir = tempDir();
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeKb}k`, 'tmpfs', dir], { stdio: 'pipe' });
  } catch (error) {
    return `cannot mount a tmpfs (${String((error as { stderr?: Buffer }).stderr ?? (error as Error).message).trim()}); a full disk needs root`;
  }
  return {
    dir,
    grow: (size) => void execFileSync('mount', ['-o', `remount,size=${size}k`, dir], { stdio: 'pipe' }),
    unmount: () => void execFileSync('umount', ['-l', dir], { stdio: 'pipe' }),
  };
}
