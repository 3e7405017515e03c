import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { letOthersRun } from './event-loop.ts';
import { dirname } from 'node:path';

/**
 * Lines written to `<path>.<pid>.tmp` as they come, then synced and renamed over `path`, so
 * a reader sees the old file or the new one, never half. Nothing is created until a line is.
 */
export class SnapshotWriter {
  readonly path: string;
  count = 0;
  private fd: number | undefined;
  private readonly temp: string;

  constructor(path: string) {
    this.path = path;
    this.temp = `${path}.${process.pid}.tmp`;
  }

  write(lines: readonly string[]): void {
    if (lines.length === 0) return;
    writeSync(this.open(), `${lines.join('\n')}\n`);
    this.count += lines.length;
  }

  /** Text as it is (a document that is not one line per item). */
  writeText(text: string): void {
    if (text.length > 0) writeSync(this.open(), text);
  }

  /** Bytes holding `lines` whole lines (each ending in a newline), as they are. */
  copy(bytes: Uint8Array, start: number, end: number, lines: number): void {
    if (end <= start) return;
    const fd = this.open();
    for (let at = start; at < end; ) at += writeSync(fd, bytes, at, end - at);
    this.count += lines;
  }

  /** Drops what was written; the file at `path` stays as it was. */
  abandon(): void {
    if (this.fd === undefined) return;
    closeSync(this.fd);
    this.fd = undefined;
    rmSync(this.temp, { force: true });
  }

  private open(): number {
    if (this.fd === undefined) {
      mkdirSync(dirname(this.path), { recursive: true });
      this.fd = openSync(this.temp, 'w');
    }
    return this.fd;
  }

  /** Renames the file into place; with `always`, an empty one replaces an old one too. */
  finish(always = false): number {
    if (this.fd === undefined && !always) return 0;
    const fd = this.open();
    fsyncSync(fd);
    closeSync(fd);
    this.fd = undefined;
    renameSync(this.temp, this.path);
    return this.count;
  }
}

/** Streams every line of `lines` into a new snapshot at `path`, in batches; returns the count. */
export async function writeSnapshotFile(path: string, lines: Iterable<string>): Promise<number> {
  const writer = new SnapshotWriter(path);
  let batch: string[] = [];
  for (const line of lines) {
    batch.push(line);
    if (batch.length >= 200) {
      writer.write(batch);
      batch = [];
      await letOthersRun();
    }
  }
  writer.write(batch);
  writer.finish(true);
  return writer.count;
}
