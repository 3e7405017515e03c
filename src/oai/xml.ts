// The one place where response bytes become a tree. Everything that makes real servers'
// XML unparseable is handled here, before fast-xml-parser sees it, and counted.
import { isUtf8 } from 'node:buffer';
import { XMLParser } from 'fast-xml-parser';
import { NotOaiResponseError, XmlError, type ErrorContext } from './errors.ts';

/** An element as fast-xml-parser gives it with our options: children by qualified name,
 *  always in arrays; attributes grouped under "@"; text under "#text" when mixed. */
export type XmlElement = { [name: string]: XmlValue[] | Record<string, string> | string | undefined };
export type XmlValue = XmlElement | string;

export interface ParsedXml {
  root: XmlElement;
  /** Name of the document element as written, e.g. "OAI-PMH" or "oai:OAI-PMH". */
  rootName: string;
  /** Characters illegal in XML 1.0 (or undecodable bytes) that were replaced. */
  repairedChars: number;
  /** Characters cut from text nodes longer than MAX_TEXT_NODE_CHARS. */
  truncatedChars: number;
}

/**
 * A text node (or CDATA section) longer than this is cut to it, ending with a note of how much
 * was cut: parsing a 50 MB title would take memory many times its size, and no title, abstract
 * or identifier needs a mebibyte.
 */
export const MAX_TEXT_NODE_CHARS = 1 << 20;

/**
 * The same cut on the raw bytes of an ASCII-compatible document, before it is decoded: the
 * 50 MB node is never turned into a string. A cut never splits a UTF-8 sequence.
 */
export function capTextBytes(bytes: Uint8Array, cap = MAX_TEXT_NODE_CHARS): { bytes: Uint8Array; truncatedBytes: number } {
  if (bytes.length <= cap || (bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) return { bytes, truncatedBytes: 0 };
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (/encoding\s*=\s*["']utf-?16/i.test(buf.subarray(0, 256).toString('latin1'))) return { bytes, truncatedBytes: 0 };
  const pieces: Buffer[] = [];
  let truncated = 0;
  let kept = 0;
  const cut = (from: number, to: number): void => {
    // Room for the note, so the node stays within the cap.
    let at = from + cap - 64;
    while (at > from && (buf[at]! & 0xc0) === 0x80) at--;
    pieces.push(buf.subarray(kept, at), Buffer.from(` [… ${to - at} bytes cut]`));
    truncated += to - at;
    kept = to;
  };
  for (let i = 0; i < buf.length; ) {
    const lt = buf.indexOf(0x3c, i);
    const end = lt === -1 ? buf.length : lt;
    if (end - i > cap) cut(i, end);
    if (lt === -1) break;
    if (buf[lt + 1] === 0x21 && buf.subarray(lt, lt + 9).toString('latin1') === '<![CDATA[') {
      const close = buf.indexOf(']]>', lt + 9, 'latin1');
      const stop = close === -1 ? buf.length : close;
      if (stop - (lt + 9) > cap) cut(lt + 9, stop);
      i = close === -1 ? buf.length : close + 3;
    } else {
      const gt = buf.indexOf(0x3e, lt);
      i = gt === -1 ? buf.length : gt + 1;
    }
  }
  if (truncated === 0) return { bytes, truncatedBytes: 0 };
  pieces.push(buf.subarray(kept));
  return { bytes: Buffer.concat(pieces), truncatedBytes: truncated };
}

/** Cuts every text run between tags, and every CDATA section, to `cap` characters, in one pass. */
export function capTextNodes(text: string, cap = MAX_TEXT_NODE_CHARS): { text: string; truncatedChars: number } {
  if (text.length <= cap) return { text, truncatedChars: 0 };
  const pieces: string[] = [];
  let truncated = 0;
  let kept = 0;
  const cut = (from: number, to: number): void => {
    pieces.push(text.slice(kept, from + cap), ` [… ${to - from - cap} characters cut]`);
    truncated += to - from - cap;
    kept = to;
  };
  for (let i = 0; i < text.length; ) {
    const lt = text.indexOf('<', i);
    const end = lt === -1 ? text.length : lt;
    if (end - i > cap) cut(i, end);
    if (lt === -1) break;
    if (text.startsWith('<![CDATA[', lt)) {
      const close = text.indexOf(']]>', lt + 9);
      const stop = close === -1 ? text.length : close;
      if (stop - (lt + 9) > cap) cut(lt + 9, stop);
      i = close === -1 ? text.length : close + 3;
    } else {
      const gt = text.indexOf('>', lt);
      i = gt === -1 ? text.length : gt + 1;
    }
  }
  if (truncated === 0) return { text, truncatedChars: 0 };
  pieces.push(text.slice(kept));
  return { text: pieces.join(''), truncatedChars: truncated };
}

// Tab, LF and CR are legal; every other C0 control, U+FFFE and U+FFFF is not.
const ILLEGAL_CHAR = /[\x00-\x08\x0B\x0C\x0E-\x1F\uFFFE\uFFFF]/;
const ILLEGAL_CHARS = /[\x00-\x08\x0B\x0C\x0E-\x1F\uFFFE\uFFFF]/g;
const ENTITY = /&(?:#(\d{1,7})|#x([0-9a-fA-F]{1,6})|(amp|lt|gt|quot|apos));/g;
const NAMED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

// Repairs are counted per parse; parsing is synchronous, so one counter is safe.
let repairs = 0;

/** Vertical tab and form feed read as spaces; other controls carry nothing and go. */
function replacementFor(char: string): string {
  return char === '\x0B' || char === '\x0C' ? ' ' : '';
}

function isLegalCodePoint(cp: number): boolean {
  return (
    cp === 0x9 || cp === 0xa || cp === 0xd ||
    (cp >= 0x20 && cp <= 0xd7ff) || (cp >= 0xe000 && cp <= 0xfffd) || (cp >= 0x10000 && cp <= 0x10ffff)
  );
}

/** Decodes the five predefined entities and character references, exactly once. */
export function decodeEntities(value: string): string {
  if (!value.includes('&')) return value;
  return value.replace(ENTITY, (_whole, dec: string | undefined, hex: string | undefined, name: string | undefined) => {
    if (name) return NAMED[name]!;
    const cp = dec !== undefined ? Number.parseInt(dec, 10) : Number.parseInt(hex!, 16);
    if (!isLegalCodePoint(cp)) {
      repairs++;
      return cp === 0xb || cp === 0xc ? ' ' : '';
    }
    return String.fromCodePoint(cp);
  });
}

// Options chosen for speed and fidelity: no value parsing (identifiers like "0123" stay
// strings), our own entity decoding (fast-xml-parser's is the slower path and would also
// expand DOCTYPE entities), every element an array (a page with one record has the same
// shape as a page with a hundred), prefixes kept so metadata stays faithful.
export const PARSER_OPTIONS = {
  ignoreAttributes: false,
  attributeNamePrefix: '',
  attributesGroupName: '@',
  processEntities: false,
  htmlEntities: false,
  parseTagValue: false,
  parseAttributeValue: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  trimValues: true,
  // Callbacks get the path matcher, not a path string built for every tag (a measured 10%).
  jPath: false,
  isArray: (_name: string, _jpath: unknown, _isLeaf: boolean, isAttribute: boolean) => !isAttribute,
  tagValueProcessor: (_name: string, value: string) => decodeEntities(value),
  attributeValueProcessor: (_name: string, value: string) => decodeEntities(value),
};
const parser = new XMLParser(PARSER_OPTIONS);

/** Turns response bytes into text, honouring a BOM or the XML declaration's encoding. */
export function decodeBytes(bytes: Uint8Array): { text: string; repairedChars: number } {
  let encoding = 'utf-8';
  let start = 0;
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) start = 3;
  else if (bytes[0] === 0xff && bytes[1] === 0xfe) encoding = 'utf-16le';
  else if (bytes[0] === 0xfe && bytes[1] === 0xff) encoding = 'utf-16be';
  else {
    const head = Buffer.from(bytes.subarray(0, 256)).toString('latin1');
    const declared = /^\s*<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9._-]+)["']/.exec(head)?.[1];
    if (declared && !/^utf-?8$/i.test(declared)) encoding = declared.toLowerCase();
  }
  const body = bytes.subarray(start);
  if (encoding === 'utf-8' && isUtf8(body)) {
    // The common case, validated and decoded by Node's SIMD UTF-8 paths.
    return { text: Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'), repairedChars: 0 };
  }
  try {
    return { text: new TextDecoder(encoding, { fatal: true }).decode(body), repairedChars: 0 };
  } catch (error) {
    if (error instanceof RangeError) {
      throw new XmlError(`unsupported character encoding "${encoding}"`, { stage: 'xml' });
    }
    // Invalid byte sequences: keep the page, mark each bad sequence with U+FFFD and count it.
    const text = new TextDecoder(encoding).decode(body);
    let bad = 0;
    for (let i = text.indexOf('\uFFFD'); i !== -1; i = text.indexOf('\uFFFD', i + 1)) bad++;
    return { text, repairedChars: bad };
  }
}

/** The start of a body, on one line, for error messages about what the server sent. */
export function quoteStart(text: string, length = 200): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > length ? `${flat.slice(0, length)}…` : flat;
}

// Prolog: declaration, processing instructions, comments, and a DOCTYPE, whose internal
// subset ([...]) may itself contain '>' in entity declarations.
const ROOT_START = /^(?:\s*(?:<\?[\s\S]*?\?>|<!--[\s\S]*?-->|<!DOCTYPE[^[>]*(?:\[[\s\S]*?\])?\s*>))*\s*<([A-Za-z_][\w.-]*(?::[\w.-]+)?)/;
const OAI_END = /<\/(?:[A-Za-z_][\w.-]*:)?OAI-PMH\s*>\s*$/;

function escapeText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * Parses an OAI-PMH response body. Refuses anything that is not an OAI-PMH document,
 * a DOCTYPE (no entity expansion, so no entity bomb), and truncated documents, which
 * fast-xml-parser would otherwise accept silently.
 */
export function parseOaiXml(bytes: Uint8Array, context: ErrorContext = {}): ParsedXml {
  return parseDocument(bytes, context, 'OAI-PMH');
}

/**
 * Parses any XML document (an EPrints export, say) with the same decoding, repairs and
 * refusals as an OAI-PMH response.
 */
export function parseXmlDocument(bytes: Uint8Array, context: ErrorContext = {}): ParsedXml {
  return parseDocument(bytes, context, undefined);
}

function parseDocument(bytes: Uint8Array, context: ErrorContext, expectedRoot: string | undefined): ParsedXml {
  const ctx: ErrorContext = { ...context, stage: 'xml' };
  const byteCap = capTextBytes(bytes);
  const decoded = decodeBytes(byteCap.bytes);
  let text = decoded.text;
  repairs = decoded.repairedChars;

  // A BOM or blank lines before the XML declaration make strict parsers fail (dLibra).
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  text = text.trimStart();
  const capped = capTextNodes(text);
  text = capped.text;

  const rootName = ROOT_START.exec(text.slice(0, 4096))?.[1];
  if (rootName === undefined || (expectedRoot !== undefined && localName(rootName) !== expectedRoot)) {
    const what = text.length === 0 ? 'an empty body' : `not ${expectedRoot ? `${expectedRoot} XML` : 'XML'}: "${quoteStart(text)}"`;
    throw new NotOaiResponseError(`the server sent ${what}`, ctx);
  }
  const end = new RegExp(`</${rootName.replace(/[.-]/g, '\\$&')}\\s*>\\s*$`);
  if (!(expectedRoot ? OAI_END : end).test(text.slice(-256))) {
    throw new XmlError(`the XML is truncated: it does not end with </${expectedRoot ?? rootName}> (ends "${quoteStart(text.slice(-80))}")`, ctx);
  }
  if (ILLEGAL_CHAR.test(text)) {
    text = text.replace(ILLEGAL_CHARS, (char) => {
      repairs++;
      return replacementFor(char);
    });
  }
  if (text.includes('<![CDATA[')) {
    text = text.replace(/<!\[CDATA\[([\s\S]*?)\]\]>/g, (_whole, content: string) => escapeText(content));
  }
  // Checked once CDATA is text: a web page pasted into an abstract may carry "<!DOCTYPE html>".
  if (text.includes('<!DOCTYPE')) {
    throw new XmlError('the response carries a DOCTYPE; refused, so no entity can be expanded', ctx);
  }

  let tree: XmlElement;
  try {
    tree = parser.parse(text) as XmlElement;
  } catch (error) {
    throw new XmlError(`malformed XML: ${(error as Error).message}`, ctx, { cause: error });
  }
  const rootValues = tree[rootName];
  const root = Array.isArray(rootValues) ? rootValues[0] : undefined;
  if (root === undefined || typeof root === 'string') {
    throw new XmlError(`the ${rootName} element is empty`, ctx);
  }
  return { root, rootName, repairedChars: repairs, truncatedChars: byteCap.truncatedBytes + capped.truncatedChars };
}

// --- access by local name ---------------------------------------------------------------
// Servers misplace or omit namespace prefixes, so the envelope is read by local names.

export function localName(qualified: string): string {
  const colon = qualified.indexOf(':');
  return colon === -1 ? qualified : qualified.slice(colon + 1);
}

/** All child values whose local name is `name`, in document order per name. */
export function childrenOf(element: XmlElement, name: string): XmlValue[] {
  const direct = element[name];
  if (Array.isArray(direct)) return direct;
  for (const key in element) {
    if (key !== '@' && key !== '#text' && localName(key) === name) {
      const values = element[key];
      if (Array.isArray(values)) return values;
    }
  }
  return [];
}

export function childOf(element: XmlElement, name: string): XmlValue | undefined {
  return childrenOf(element, name)[0];
}

export function elementOf(value: XmlValue | undefined): XmlElement | undefined {
  return value === undefined || typeof value === 'string' ? undefined : value;
}

export function textOf(value: XmlValue | undefined): string {
  if (value === undefined) return '';
  if (typeof value === 'string') return value;
  const text = value['#text'];
  return typeof text === 'string' ? text : '';
}

export function attributesOf(value: XmlValue | undefined): Record<string, string> {
  if (value === undefined || typeof value === 'string') return {};
  const attrs = value['@'];
  return attrs !== undefined && !Array.isArray(attrs) && typeof attrs === 'object' ? attrs : {};
}

export function childText(element: XmlElement, name: string): string {
  return textOf(childOf(element, name)).trim();
}
