import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { letOthersRun } from './event-loop.ts';
import { dirname } from 'node:path';

/** Part of a line: text, or bytes already UTF-8 (JSON as the store holds it), copied as they are. */
export type LinePart = string | Uint8Array;

/** A line: one part, or parts written one after the other. The newline is the writer's. */
export type Line = LinePart | readonly LinePart[];

/**
 * Lines are gathered in a buffer of this size and written when it fills: one write per 256 KiB,
 * not one per line, and no string joined from a batch's lines to be encoded again.
 */
const BUFFER_BYTES = 256 * 1024;

/**
 * Lines written to `<path>.<pid>.tmp` as they come, then synced and renamed over `path`, so
 * a reader sees the old file or the new one, never half. Nothing is created until a line is.
 */
export class SnapshotWriter {
  readonly path: string;
  count = 0;
  private fd: number | undefined;
  private readonly temp: string;
  private buffer: Buffer | undefined;
  private used = 0;

  constructor(path: string) {
    this.path = path;
    this.temp = `${path}.${process.pid}.tmp`;
  }

  write(lines: readonly Line[]): void {
    for (const line of lines) this.line(line);
  }

  /** One line, its parts followed by a newline. */
  line(line: Line): void {
    if (typeof line === 'string' || line instanceof Uint8Array) this.part(line);
    else for (const part of line) this.part(part);
    this.part('\n');
    this.count++;
  }

  /** Text as it is (a document that is not one line per item). */
  writeText(text: string): void {
    this.part(text);
  }

  /** Bytes holding `lines` whole lines (each ending in a newline), as they are. */
  copy(bytes: Uint8Array, start: number, end: number, lines: number): void {
    if (end <= start) return;
    this.flush();
    this.writeAll(bytes, start, end);
    this.count += lines;
  }

  /** Drops what was written; the file at `path` stays as it was. */
  abandon(): void {
    this.used = 0;
    if (this.fd === undefined) return;
    closeSync(this.fd);
    this.fd = undefined;
    rmSync(this.temp, { force: true });
  }

  /** Renames the file into place; with `always`, an empty one replaces an old one too. */
  finish(always = false): number {
    this.flush();
    if (this.fd === undefined && !always) return 0;
    const fd = this.open();
    fsyncSync(fd);
    closeSync(fd);
    this.fd = undefined;
    renameSync(this.temp, this.path);
    return this.count;
  }

  private part(part: LinePart): void {
    const buffer = (this.buffer ??= Buffer.allocUnsafe(BUFFER_BYTES));
    // A UTF-16 code unit takes at most 3 bytes in UTF-8.
    const most = typeof part === 'string' ? part.length * 3 : part.byteLength;
    if (this.used + most > buffer.length) this.flush();
    if (most > buffer.length) {
      const bytes = typeof part === 'string' ? Buffer.from(part, 'utf8') : part;
      this.writeAll(bytes, 0, bytes.byteLength);
    } else if (typeof part === 'string') {
      this.used += buffer.write(part, this.used, 'utf8');
    } else {
      buffer.set(part, this.used);
      this.used += part.byteLength;
    }
  }

  private flush(): void {
    if (this.used === 0) return;
    this.writeAll(this.buffer!, 0, this.used);
    this.used = 0;
  }

  private writeAll(bytes: Uint8Array, start: number, end: number): void {
    const fd = this.open();
    for (let at = start; at < end; ) at += writeSync(fd, bytes, at, end - at);
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
