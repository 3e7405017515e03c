import { closeSync, fdatasync, fstatSync, ftruncateSync, mkdirSync, openSync } from 'node:fs';
import { promisify } from 'node:util';

const fdatasyncAsync = promisify(fdatasync);
import { dirname } from 'node:path';
import { LineBuffer, writeAllSync, type Line } from './line-buffer.ts';

/**
 * Appends pages of JSON lines to one file. Opening truncates the file back to the offset
 * the state database committed, which drops a page written just before a crash.
 */
export class JsonlAppender {
  readonly path: string;
  private fd: number;
  private offset: number;
  private readonly lines = new LineBuffer((bytes, start, end) => writeAllSync(this.fd, bytes, start, end));

  constructor(path: string, committedOffset: number) {
    this.path = path;
    mkdirSync(dirname(path), { recursive: true });
    this.fd = openSync(path, 'a+');
    const size = fstatSync(this.fd).size;
    if (size < committedOffset) {
      closeSync(this.fd);
      throw new Error(`output ${path} holds ${size} bytes but the state says ${committedOffset} were committed; the file was changed outside the harvester`);
    }
    if (size > committedOffset) ftruncateSync(this.fd, committedOffset);
    this.offset = committedOffset;
  }

  /**
   * Appends lines and syncs them to disk; resolves to the new end offset to commit. The
   * sync runs off the main thread, so the next page can be parsed meanwhile.
   */
  async append(lines: readonly Line[]): Promise<number> {
    if (lines.length === 0) return this.offset;
    let bytes = 0;
    try {
      for (const line of lines) bytes += this.lines.line(line);
      this.lines.flush();
    } finally {
      // A failed write leaves nothing gathered for the next page: the next run truncates what got out.
      this.lines.drop();
    }
    this.offset += bytes;
    await fdatasyncAsync(this.fd);
    return this.offset;
  }

  get size(): number {
    return this.offset;
  }

  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }
}
