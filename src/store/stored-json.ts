// JSON as the store holds it, read for writing out whole: its UTF-8 bytes (SQLite hands them
// over with `CAST(… AS BLOB)`), which the snapshot files take as they are. Read as a string,
// each work and record was decoded from UTF-8 only to be encoded back into it when written.

/** A stored JSON document, as UTF-8 bytes. */
export type StoredJson = Uint8Array;

const decoder = new TextDecoder();

/** The document as text. */
export function storedJsonText(json: StoredJson): string {
  return decoder.decode(json);
}

/** The document parsed; the caller names what it holds. */
export function parseStoredJson<T>(json: StoredJson): T {
  return JSON.parse(decoder.decode(json)) as T;
}

/** Text as a stored document's bytes: for stores whose driver returns text. */
export function storedJsonOf(text: string): StoredJson {
  return Buffer.from(text, 'utf8');
}
