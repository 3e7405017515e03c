// A snapshot rewritten from the one before: its lines are copied as bytes, and only the lines
// changed since are replaced, added or dropped. Both are in id order (as SQLite sorts text:
// by UTF-8 bytes), so one pass merges them; copying costs about what `cp` of the file costs,
// where writing every line anew from the database costs several times that.
import { HarvestError, type ErrorCode } from '../oai/errors.ts';
import { close, closeSync, openSync, readSync } from 'node:fs';
import { SnapshotWriter } from './snapshot-writer.ts';

/** A line's new text under its id; null drops it. */
export interface SnapshotChange {
  id: string;
  line: string | null;
}

/** The previous snapshot is not what it should be (edited, truncated, out of order): write it whole instead. */
export class SnapshotPatchError extends HarvestError {
  override readonly code: ErrorCode = 'OAIH_SNAPSHOT_PATCH';
}

const CHUNK = 4 << 20;
const NEWLINE = 10;
const QUOTE = 34;
const BACKSLASH = 92;
const ID_FIELD = Buffer.from('"id":"');
/** Where a line's id may start at the latest: works begin `{"schemaVersion":1,"id":`. */
const ID_WITHIN = 64;

/**
 * Writes `path` (atomically, as SnapshotWriter does) from `previous` with `changes` applied;
 * `changes` must be in id order. Returns the number of lines written.
 */
export function patchSnapshotFile(previous: string, path: string, changes: Iterable<SnapshotChange>): number {
  const writer = new SnapshotWriter(path);
  const fd = openSync(previous, 'r');
  try {
    mergeLines(fd, previous, writer, changes);
    const count = writer.finish(true);
    // Closed after the rename, off this thread: the previous file's blocks are freed when its
    // last descriptor closes, which for a file of gigabytes takes a noticeable while.
    close(fd, () => {});
    return count;
  } catch (error) {
    closeSync(fd);
    writer.abandon();
    throw error;
  }
}

interface PendingChange { key: Buffer; line: string | null }

function mergeLines(fd: number, previous: string, writer: SnapshotWriter, changes: Iterable<SnapshotChange>): void {
  const source = changes[Symbol.iterator]();
  let lastChangeKey: Buffer | undefined;
  const advance = (): PendingChange | undefined => {
    const next = source.next();
    if (next.done) return undefined;
    const key = Buffer.from(next.value.id, 'utf8');
    if (lastChangeKey && lastChangeKey.compare(key) >= 0) throw new Error(`snapshot changes out of id order at ${next.value.id}`);
    lastChangeKey = key;
    return { key, line: next.value.line };
  };
  const put = (change: PendingChange) => {
    if (change.line !== null) writer.line(change.line);
  };
  let change = advance();
  let buffer = Buffer.allocUnsafe(CHUNK);
  let filled = 0;
  let lineNumber = 0;
  let lastKey: Buffer | undefined;
  for (;;) {
    const read = readSync(fd, buffer, filled, buffer.length - filled, null);
    filled += read;
    if (read === 0 && filled > 0) throw new SnapshotPatchError(`${previous} does not end with a newline`);
    if (read === 0) break;
    // Whole lines in [0, end); the rest is carried to the next read.
    let pos = 0;
    let copyFrom = 0;
    let copyLines = 0;
    for (let nl = buffer.indexOf(NEWLINE, 0); nl !== -1 && nl < filled; nl = buffer.indexOf(NEWLINE, pos)) {
      lineNumber++;
      if (change) {
        const { bytes, start, end } = lineId(buffer, pos, nl, previous, lineNumber);
        if (lastKey && lastKey.compare(bytes, start, end) >= 0) throw new SnapshotPatchError(`${previous} line ${lineNumber} is out of id order`);
        lastKey = Buffer.from(bytes.subarray(start, end));
        let order = change.key.compare(bytes, start, end);
        while (change && order < 0) {
          writer.copy(buffer, copyFrom, pos, copyLines);
          copyFrom = pos;
          copyLines = 0;
          put(change);
          change = advance();
          order = change ? change.key.compare(bytes, start, end) : 1;
        }
        if (change && order === 0) {
          writer.copy(buffer, copyFrom, pos, copyLines);
          copyFrom = nl + 1;
          copyLines = 0;
          put(change);
          change = advance();
          pos = nl + 1;
          continue;
        }
      }
      copyLines++;
      pos = nl + 1;
    }
    writer.copy(buffer, copyFrom, pos, copyLines);
    // A line longer than the buffer: a larger one.
    if (pos === 0 && filled === buffer.length) {
      const larger = Buffer.allocUnsafe(buffer.length * 2);
      buffer.copy(larger, 0, 0, filled);
      buffer = larger;
      continue;
    }
    buffer.copy(buffer, 0, pos, filled);
    filled -= pos;
  }
  // Works after the last line of the previous snapshot.
  for (; change; change = advance()) put(change);
}

/**
 * The id of a line, as UTF-8 bytes: where they are in the line, or the id decoded when it is
 * written with escapes (its bytes in the line are then not its UTF-8 bytes).
 */
function lineId(buffer: Buffer, from: number, to: number, previous: string, lineNumber: number): { bytes: Buffer; start: number; end: number } {
  const notAWork = () => new SnapshotPatchError(`${previous} line ${lineNumber} is not a work`);
  const field = buffer.indexOf(ID_FIELD, from);
  if (field === -1 || field > from + ID_WITHIN || field >= to) throw notAWork();
  const start = field + ID_FIELD.length;
  const end = buffer.indexOf(QUOTE, start);
  if (end === -1 || end >= to) throw notAWork();
  let escaped = false;
  for (let i = start; i < end && !escaped; i++) escaped = buffer[i] === BACKSLASH;
  if (!escaped) return { bytes: buffer, start, end };
  // Rare: an id with a quote, a backslash or a control character in it.
  let close = start;
  while (close < to && buffer[close] !== QUOTE) close += buffer[close] === BACKSLASH ? 2 : 1;
  if (close >= to) throw notAWork();
  const id = Buffer.from(JSON.parse(buffer.toString('utf8', start - 1, close + 1)) as string, 'utf8');
  return { bytes: id, start: 0, end: id.length };
}
