import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync } from 'node:fs';
import { letOthersRun } from './event-loop.ts';
import { dirname } from 'node:path';
import { LineBuffer, writeAllSync, type Line } from './line-buffer.ts';

/**
 * Lines written to `<path>.<pid>.tmp` as they come, then synced and renamed over `path`, so
 * a reader sees the old file or the new one, never half. Nothing is created until a line is.
 */
export class SnapshotWriter {
  readonly path: string;
  count = 0;
  private fd: number | undefined;
  private readonly temp: string;
  private readonly lines = new LineBuffer((bytes, start, end) => writeAllSync(this.open(), bytes, start, end));

  constructor(path: string) {
    this.path = path;
    this.temp = `${path}.${process.pid}.tmp`;
  }

  /** One line, its parts followed by a newline. */
  line(line: Line): void {
    this.lines.line(line);
    this.count++;
  }

  /** Text as it is (a document that is not one line per item). */
  writeText(text: string): void {
    this.lines.part(text);
  }

  /** Bytes holding `lines` whole lines (each ending in a newline), as they are. */
  copy(bytes: Uint8Array, start: number, end: number, lines: number): void {
    if (end <= start) return;
    this.lines.flush();
    writeAllSync(this.open(), bytes, start, end);
    this.count += lines;
  }

  /** Drops what was written; the file at `path` stays as it was. */
  abandon(): void {
    this.lines.drop();
    if (this.fd === undefined) return;
    closeSync(this.fd);
    this.fd = undefined;
    rmSync(this.temp, { force: true });
  }

  /** Renames the file into place; with `always`, an empty one replaces an old one too. */
  finish(always = false): number {
    this.lines.flush();
    if (this.fd === undefined && !always) return 0;
    const fd = this.open();
    fsyncSync(fd);
    closeSync(fd);
    this.fd = undefined;
    renameSync(this.temp, this.path);
    return this.count;
  }

  private open(): number {
    if (this.fd === undefined) {
      mkdirSync(dirname(this.path), { recursive: true });
      this.fd = openSync(this.temp, 'w');
    }
    return this.fd;
  }
}

/** Streams every line of `lines` into a new snapshot at `path`; returns the count. */
export async function writeSnapshotFile(path: string, lines: Iterable<Line>): Promise<number> {
  const writer = new SnapshotWriter(path);
  try {
    let since = 0;
    for (const line of lines) {
      writer.line(line);
      if (++since >= 200) {
        since = 0;
        await letOthersRun();
      }
    }
    writer.finish(true);
  } catch (error) {
    writer.abandon();
    throw error;
  }
  return writer.count;
}
