// An output folder after a harvest of two fixture repositories (the example paper in Kent's
// EPrints with its EP3 export and IRStats2 statistics, and in Manchester's Pure; a late
// deposit; a record dated only by dc:date) and a REF2021 audit.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { harvest } from '../../src/pipeline/harvest.ts';
import { writeAudit } from '../../src/audit/write-audit.ts';
import { StateStore } from '../../src/store/state.ts';
import { FixtureRepository } from './fixture-repository.ts';
import { captureLogger, tempDir, testConfig } from './run.ts';

const FIXTURES = join(import.meta.dirname, '../formats/fixtures');
export const KAR_ID = 'oai:kar.kent.ac.uk:89524';
export const LATE_ID = 'oai:kar.kent.ac.uk:89600';

export async function auditedOutput(): Promise<{ out: string; stop: () => Promise<void> }> {
  const kent = new FixtureRepository();
  const dc = FixtureRepository.metadataOf(join(FIXTURES, 'kar-89524-oai_dc.xml'));
  const ep3 = readFileSync(join(FIXTURES, 'kar-89524-ep3.xml'), 'utf8');
  kent.set(KAR_ID, '2023-02-10T14:05:11Z', { metadata: dc });
  kent.exports.set('/cgi/export/eprint/89524/XML/eprint-89524.xml', Buffer.from(ep3));
  // The same paper deposited eight months after acceptance: late.
  const late = (text: string) => text.replaceAll('89524', '89600').replaceAll(/BJGP\.2020\.0917/gi, 'late.2021.1').replace('uneven advantages', 'late deposits');
  kent.set(LATE_ID, '2023-02-11T10:00:00Z', { metadata: late(dc) });
  kent.exports.set('/cgi/export/eprint/89600/XML/eprint-89600.xml', Buffer.from(late(ep3).replace('2021-07-30 08:45:18', '2022-03-15 09:00:00')));
  kent.set('oai:kar.kent.ac.uk:300', '2023-01-01T00:00:00Z', {
    metadata: '<oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>A paper dated only by dc:date &amp; nothing else</dc:title><dc:date>2021</dc:date><dc:relation>10.1000/dated-2021</dc:relation><dc:relation>https://kar.kent.ac.uk/300/</dc:relation></oai_dc:dc>',
  });
  const monthly: Record<string, Record<string, number>> = { '202401': { '89524': 7, '89600': 3 }, '202402': { '89524': 12 }, '202403': { '89524': 5, '89600': 9 } };
  kent.routes.set('/cgi/stats/get', (url) => {
    const counts = monthly[url.searchParams.get('from')!.slice(0, 6)] ?? {};
    const records = Object.entries(counts).map(([id, n]) => `{"eprintid":"${id}","count":"${n}"}`);
    return { status: 200, body: `{"timescale":{"format":"YYYYMMDD"},"records":[${records.join(',')}]}` };
  });
  const pure = new FixtureRepository();
  pure.set('oai:pure.atira.dk:publications/5f0b7c1e-3a52-4d2b-9d61-0c6f2a1e7b44', '2022-01-14T09:12:40Z', {
    metadata: FixtureRepository.metadataOf(join(FIXTURES, 'pure-manchester-oai_dc.xml')),
  });
  const stop = () => Promise.all([kent.stop(), pure.stop()]).then(() => undefined);
  try {
    const config = testConfig([
      { id: 'kar', baseUrl: await kent.start(), enrich: ['eprints-export'], stats: { type: 'irstats2', months: 3 } },
      { id: 'manchester', baseUrl: await pure.start('/ws/oai') },
    ]);
    const out = tempDir();
    const run = await harvest({ config, outDir: out, logger: captureLogger().logger, now: new Date('2024-03-15T10:00:00Z') });
    if (!run.ok) throw new Error(`the fixture harvest failed: ${JSON.stringify(run.sources.map((s) => s.error))}`);
    const state = StateStore.open(join(out, 'state.sqlite'));
    try {
      writeAudit(state, out, { rule: 'ref2021', now: new Date('2024-03-16T08:00:00Z') });
    } finally {
      state.close();
    }
    return { out, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
