import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sniffToken } from '../../src/oai/token-sniffer.ts';
import { readEnvelope, readToken } from '../../src/oai/response.ts';
import { parseOaiXml } from '../../src/oai/xml.ts';
import { FIXTURES } from '../support/oai-server.ts';

const files = readdirSync(FIXTURES, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.xml')).sort();

describe('sniffToken', () => {
  it.each(files)('agrees with the parsed token, or says nothing, on %s', (file) => {
    const bytes = readFileSync(join(FIXTURES, file));
    const sniffed = sniffToken(bytes);
    let parsed: string | undefined;
    try {
      const { root } = parseOaiXml(bytes);
      const verb = (['ListRecords', 'ListIdentifiers', 'ListSets'] as const).find((v) => Object.keys(root).some((k) => k.endsWith(v)));
      const payload = verb ? readEnvelope(root, verb, {}).payload : undefined;
      parsed = payload ? readToken(payload)?.value || undefined : undefined;
    } catch {
      parsed = undefined;
    }
    if (sniffed !== undefined) expect(sniffed).toBe(parsed);
    if (parsed !== undefined && /^[\x20-\x7E]*$/.test(parsed)) expect(sniffed).toBe(parsed);
  });

  it('reads an EPrints token, decodes entities once, and ignores empty and self-closing tokens', () => {
    const page = (t: string) => Buffer.from(`<OAI-PMH><ListRecords><record/>${t}</ListRecords></OAI-PMH>`);
    expect(sniffToken(page('<resumptionToken expirationDate="x">metadataPrefix%3Doai_dc%26offset%3D101</resumptionToken>'))).toBe('metadataPrefix%3Doai_dc%26offset%3D101');
    expect(sniffToken(page('<oai:resumptionToken>\n  a&amp;b  \n</oai:resumptionToken>'))).toBe('a&b');
    expect(sniffToken(page('<resumptionToken completeListSize="5" cursor="0"/>'))).toBeUndefined();
    expect(sniffToken(page('<resumptionToken cursor="0">  </resumptionToken>'))).toBeUndefined();
    expect(sniffToken(page(''))).toBeUndefined();
  });
});
