import { decodeEntities } from './xml.ts';

const TAIL = 4096;
const TOKEN = /<(?:[A-Za-z_][\w.-]*:)?resumptionToken\b[^>]*?(?:\/>|>([^<]*)<\/(?:[A-Za-z_][\w.-]*:)?resumptionToken\s*>)/g;

/**
 * The resumptionToken of a raw page, read from its tail before the page is parsed, so the
 * next request can leave at once. Only a hint: the parsed token is the truth and a
 * mismatch discards whatever was fetched with the hint. Undefined when there is none.
 */
export function sniffToken(body: Uint8Array): string | undefined {
  const start = Math.max(0, body.length - TAIL);
  // The token closes the list element, near the end; latin1 keeps byte offsets and ASCII.
  const tail = Buffer.from(body.buffer, body.byteOffset + start, body.length - start).toString('latin1');
  let last: RegExpExecArray | null = null;
  for (let m = TOKEN.exec(tail); m !== null; m = TOKEN.exec(tail)) last = m;
  TOKEN.lastIndex = 0;
  const raw = last?.[1];
  if (raw === undefined || /[^\x20-\x7E\s]/.test(raw)) return undefined;
  const token = decodeEntities(raw).trim();
  return token === '' ? undefined : token;
}
