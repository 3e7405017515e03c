// JSON documents as UTF-8 bytes, for those written out whole: a record's JSON from the
// parser thread to the record log and the state, a work's or record's from the state to the
// snapshot files. Handed over as text, each was decoded or encoded once more than it was
// read, and copied across the thread boundary as a string.

/** A JSON document, as UTF-8 bytes. */
export type JsonBytes = Uint8Array;

const decoder = new TextDecoder();

/** The document as text. */
export function jsonBytesText(json: JsonBytes): string {
  return decoder.decode(json);
}

/** The document parsed; the caller names what it holds. */
export function parseJsonBytes<T>(json: JsonBytes): T {
  return JSON.parse(decoder.decode(json)) as T;
}

/** Text as a document's bytes: for stores whose driver returns text. */
export function jsonBytesOf(text: string): JsonBytes {
  return Buffer.from(text, 'utf8');
}

/**
 * Many documents' text encoded into one buffer, each returned as a view of it, so that one
 * transfer moves them all to another thread.
 */
export function packJsonTexts(texts: readonly string[]): JsonBytes[] {
  let total = 0;
  for (const text of texts) total += Buffer.byteLength(text, 'utf8');
  // Not from Node's shared pool: the buffer is the views' own, to be transferred.
  const buffer = Buffer.allocUnsafeSlow(total);
  const views: JsonBytes[] = [];
  let at = 0;
  for (const text of texts) {
    const written = buffer.write(text, at, 'utf8');
    views.push(buffer.subarray(at, at + written));
    at += written;
  }
  return views;
}
