// JSON documents as UTF-8 bytes, for those written out whole: a record's JSON from the
// parser thread to the record log and the state, a work's or record's from SQLite to the
// snapshot files. Handed over as text, each was decoded or encoded once more than it was
// read, and copied across the thread boundary as a string.

/** A JSON document, as UTF-8 bytes. */
export type JsonBytes = Uint8Array;

/**
 * A JSON document as a store hands it over: SQLite's bytes (`CAST(… AS BLOB)`), or the text
 * PostgreSQL's driver returns, which is not encoded only to be decoded again.
 */
export type JsonDocument = string | JsonBytes;

const decoder = new TextDecoder();

/** The document as text. */
export function jsonDocumentText(json: JsonDocument): string {
  return typeof json === 'string' ? json : decoder.decode(json);
}

/** The document parsed; the caller names what it holds. */
export function parseJsonDocument<T>(json: JsonDocument): T {
  return JSON.parse(jsonDocumentText(json)) as T;
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
