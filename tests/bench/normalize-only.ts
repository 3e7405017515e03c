// The format step alone, on one core: oai_dc records → common records, timed in a loop
// over records parsed from the same generated pages the harvest benchmark uses.
//   node tests/bench/normalize-only.ts URL
import { request } from 'undici';
import { parseListPage } from '../../src/oai/list-page.ts';
import { normalizeRecord } from '../../src/formats/normalize.ts';
import { resolveDoi } from '../../src/identifiers/record-doi.ts';
import type { OaiRecord } from '../../src/oai/types.ts';

const url = process.argv[2]!;
const records: OaiRecord[] = [];
let next: string | undefined = `${url}?verb=ListRecords&metadataPrefix=oai_dc`;
while (next && records.length < 5000) {
  const { body } = await request(next as string);
  const page: ReturnType<typeof parseListPage<'records'>> = parseListPage(new Uint8Array(await body.arrayBuffer()), 'ListRecords', 'records', {});
  records.push(...page.items);
  next = page.token?.value ? `${url}?verb=ListRecords&resumptionToken=${encodeURIComponent(page.token.value)}` : undefined;
}
let done = 0;
const started = process.cpuUsage();
const until = performance.now() + 3000;
while (performance.now() < until) {
  for (const record of records) {
    const result = normalizeRecord('bench', 'oai_dc', record);
    if ('reject' in result) throw new Error(result.reject);
    if ('bug' in result) throw new Error(result.bug.stack);
    JSON.stringify(resolveDoi(result.record));
  }
  done += records.length;
}
const cpu = process.cpuUsage(started);
process.stdout.write(`${JSON.stringify({ records: done, recPerS: done / ((cpu.user + cpu.system) / 1e6) })}\n`);
