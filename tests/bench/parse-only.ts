// Walks a list once in a fresh process, like a harvest, and times fast-xml-parser alone on
// each page as it arrives: the ceiling of the chosen parser on exactly the same pages.
//   node tests/bench/parse-only.ts URL
import { XMLParser } from 'fast-xml-parser';
import { request } from 'undici';
import { PARSER_OPTIONS } from '../../src/oai/xml.ts';

const url = process.argv[2]!;
const chosen = new XMLParser(PARSER_OPTIONS);
const defaults = new XMLParser({ ignoreAttributes: false });
const mode = process.argv[3] ?? 'chosen';
const parser = mode === 'defaults' ? defaults : chosen;

let next: string | undefined = `${url}?verb=ListRecords&metadataPrefix=oai_dc`;
let records = 0;
let parseMs = 0;
let bytes = 0;
const started = performance.now();
while (next) {
  const { body } = await request(next as string);
  const page: Buffer = Buffer.from(await body.arrayBuffer());
  bytes += page.length;
  const t0 = performance.now();
  if (mode !== 'walk') parser.parse(page.toString('utf8'));
  parseMs += performance.now() - t0;
  const text: string = page.toString('latin1');
  for (let i = text.indexOf('<record>'); i !== -1; i = text.indexOf('<record>', i + 8)) records++;
  const token: string | undefined = /<resumptionToken[^>]*>([^<]+)</.exec(text)?.[1];
  next = token ? `${url}?verb=ListRecords&resumptionToken=${encodeURIComponent(token)}` : undefined;
}
const wallS = (performance.now() - started) / 1000;
process.stdout.write(`${JSON.stringify({ mode, records, bytes, wallS, parseRecPerS: records / (parseMs / 1000) })}\n`);
