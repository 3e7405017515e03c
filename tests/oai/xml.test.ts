import { describe, expect, it } from 'vitest';
import { NotOaiResponseError, XmlError } from '../../src/oai/errors.ts';
import { decodeEntities, parseOaiXml, childText, elementOf, childOf } from '../../src/oai/xml.ts';

const bytes = (text: string, encoding: BufferEncoding = 'utf8') => Buffer.from(text, encoding);
const doc = (inner: string) => `<?xml version="1.0" encoding="UTF-8"?><OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><responseDate>2021-01-01T00:00:00Z</responseDate>${inner}</OAI-PMH>`;

describe('parseOaiXml', () => {
  it('refuses a DOCTYPE, so an entity bomb is never expanded', () => {
    const bomb = `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]><OAI-PMH><x>&lol2;</x></OAI-PMH>`;
    expect(() => parseOaiXml(bytes(bomb))).toThrow(XmlError);
    expect(() => parseOaiXml(bytes(bomb))).toThrow(/DOCTYPE/);
  });

  it('accepts a BOM and whitespace before the declaration', () => {
    const parsed = parseOaiXml(bytes(`\uFEFF\n\n  ${doc('<Identify/>')}`));
    expect(childText(parsed.root, 'responseDate')).toBe('2021-01-01T00:00:00Z');
  });

  it('reports truncated XML instead of parsing what is there', () => {
    const full = doc('<ListRecords><record><header><identifier>a</identifier></header></record></ListRecords>');
    expect(() => parseOaiXml(bytes(full.slice(0, -30)))).toThrow(/truncated/);
  });

  it('says what a non-OAI body was', () => {
    expect(() => parseOaiXml(bytes(''))).toThrow(NotOaiResponseError);
    expect(() => parseOaiXml(bytes('Internal error'))).toThrow(/not OAI-PMH XML: "Internal error"/);
    expect(() => parseOaiXml(bytes('<rss><channel/></rss>'))).toThrow(NotOaiResponseError);
  });

  it('reads the envelope whatever prefix the server chose', () => {
    const prefixed = `<oai:OAI-PMH xmlns:oai="http://www.openarchives.org/OAI/2.0/"><oai:responseDate>2021</oai:responseDate><oai:Identify/></oai:OAI-PMH>`;
    const parsed = parseOaiXml(bytes(prefixed));
    expect(parsed.rootName).toBe('oai:OAI-PMH');
    expect(childText(parsed.root, 'responseDate')).toBe('2021');
  });

  it('decodes entities exactly once and keeps CDATA literal', () => {
    const parsed = parseOaiXml(bytes(doc('<a>x &amp;lt; y &#x263A; &#233;</a><b><![CDATA[1 < 2 &amp; raw]]></b>')));
    expect(childText(parsed.root, 'a')).toBe('x &lt; y ☺ é');
    expect(childText(parsed.root, 'b')).toBe('1 < 2 &amp; raw');
  });

  it('honours a declared ISO-8859-1 encoding', () => {
    const latin = `<?xml version="1.0" encoding="ISO-8859-1"?><OAI-PMH><a>caf\u00e9 M\u00fcller</a></OAI-PMH>`;
    expect(childText(parseOaiXml(bytes(latin, 'latin1')).root, 'a')).toBe('café Müller');
  });

  it('repairs and counts illegal characters, raw and referenced, but keeps tab, CR and LF', () => {
    // Vertical tab reads as a space; NUL and U+0001 carry nothing. A literal CRLF is a line
    // end (XML normalises it to LF); a CR written as &#13; is kept.
    const parsed = parseOaiXml(bytes(doc('<a>one\x0Btwo\x00three&#1;\tfour\r\nfive&#13;six</a>')));
    expect(childText(parsed.root, 'a')).toBe('one twothree\tfour\nfive\rsix');
    expect(parsed.repairedChars).toBe(3);
  });

  it('counts invalid UTF-8 bytes as repaired', () => {
    const raw = Buffer.concat([bytes(doc('<a>ok ').slice(0, -'</OAI-PMH>'.length)), Buffer.from([0xc2, 0x20]), bytes('</a></OAI-PMH>')]);
    const parsed = parseOaiXml(raw);
    expect(parsed.repairedChars).toBe(1);
    expect(elementOf(childOf(parsed.root, 'a')) ?? childText(parsed.root, 'a')).toContain('ok');
  });

  it('ignores an XML declaration inside the document (dataverse, ingestion3#626)', () => {
    const parsed = parseOaiXml(bytes(doc('<metadata><?xml version="1.0"?><a>x</a></metadata>')));
    expect(childText(elementOf(childOf(parsed.root, 'metadata'))!, 'a')).toBe('x');
  });
});

describe('decodeEntities', () => {
  it('leaves unknown entities and plain text alone', () => {
    expect(decodeEntities('a &nbsp; b')).toBe('a &nbsp; b');
    expect(decodeEntities('plain')).toBe('plain');
    expect(decodeEntities('&#128512;')).toBe('😀');
  });
});

describe('text nodes over the cap', () => {
  it('are cut to it with a note, as bytes before decoding and as characters after, never splitting a character', async () => {
    const { capTextBytes, capTextNodes } = await import('../../src/oai/xml.ts');
    const doc = Buffer.from(`<a><b>${'é'.repeat(60)}</b><![CDATA[${'x'.repeat(120)}]]><c>short</c></a>`);
    const cut = capTextBytes(doc, 64 + 20);
    const text = Buffer.from(cut.bytes).toString('utf8');
    expect(text).not.toContain('\uFFFD');
    expect(text).toMatch(/^<a><b>(é)+ \[… \d+ bytes cut\]<\/b><!\[CDATA\[x{20} \[… 100 bytes cut\]\]\]><c>short<\/c><\/a>$/);
    expect(cut.truncatedBytes).toBeGreaterThan(30);
    expect(capTextNodes('<a>' + 'y'.repeat(30) + '</a>', 10)).toEqual({ text: `<a>${'y'.repeat(10)} [… 20 characters cut]</a>`, truncatedChars: 20 });
    expect(capTextNodes('<a>short</a>', 10).truncatedChars).toBe(0);
  });
});
