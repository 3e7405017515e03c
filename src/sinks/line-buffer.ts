// Lines gathered as UTF-8 bytes in one reused buffer and handed on whenever it fills: one
// write per buffer, not per line, and no string joined from many lines to be encoded again.
// Parts already UTF-8 (JSON as the store or the parser thread holds it) are copied as they are.
import { writeSync } from 'node:fs';

/** Part of a line: text, or bytes already UTF-8, copied as they are. */
export type LinePart = string | Uint8Array;

/** A line: one part, or parts written one after the other. The newline is the buffer's. */
export type Line = LinePart | readonly LinePart[];

const BUFFER_BYTES = 256 * 1024;

/** Writes `bytes` from `start` to `end` to `fd`, in as many calls as the kernel takes. */
export function writeAllSync(fd: number, bytes: Uint8Array, start: number, end: number): void {
  for (let at = start; at < end; ) at += writeSync(fd, bytes, at, end - at);
}

export class LineBuffer {
  private buffer: Buffer | undefined;
  private used = 0;
  private readonly write: (bytes: Uint8Array, start: number, end: number) => void;

  /** `write` takes each full buffer, and any part too large for one, before it is reused. */
  constructor(write: (bytes: Uint8Array, start: number, end: number) => void) {
    this.write = write;
  }

  /** One line, its parts followed by a newline; returns its length in bytes. */
  line(line: Line): number {
    let bytes = 1;
    if (typeof line === 'string' || line instanceof Uint8Array) bytes += this.part(line);
    else for (const part of line) bytes += this.part(part);
    this.part('\n');
    return bytes;
  }

  /** Adds a part; returns its length in bytes. */
  part(part: LinePart): number {
    const buffer = (this.buffer ??= Buffer.allocUnsafe(BUFFER_BYTES));
    // A UTF-16 code unit takes at most 3 bytes in UTF-8.
    const most = typeof part === 'string' ? part.length * 3 : part.byteLength;
    if (this.used + most > buffer.length) this.flush();
    if (most > buffer.length) {
      const bytes = typeof part === 'string' ? Buffer.from(part, 'utf8') : part;
      this.write(bytes, 0, bytes.byteLength);
      return bytes.byteLength;
    }
    if (typeof part === 'string') {
      const written = buffer.write(part, this.used, 'utf8');
      this.used += written;
      return written;
    }
    buffer.set(part, this.used);
    this.used += part.byteLength;
    return part.byteLength;
  }

  /** Hands on what is gathered. */
  flush(): void {
    if (this.used === 0) return;
    const used = this.used;
    this.used = 0;
    this.write(this.buffer!, 0, used);
  }

  /** Forgets what is gathered and not yet handed on. */
  drop(): void {
    this.used = 0;
  }
}
