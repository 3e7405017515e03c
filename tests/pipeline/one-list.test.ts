// A run limited to one list of its source (a fleet's job): only that list is asked for, and the
// source's statistics only by the job that carries them.
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { harvest } from '../../src/pipeline/harvest.ts';
import { FixtureRepository } from '../support/fixture-repository.ts';
import { captureLogger, tempDir, testConfig } from '../support/run.ts';

const FIXTURES = join(import.meta.dirname, '../formats/fixtures');
const KAR_ID = 'oai:kar.kent.ac.uk:89524';

let kent: FixtureRepository | undefined;
afterEach(async () => {
  await kent?.stop();
  kent = undefined;
});

async function kentWithStats(): Promise<string> {
  kent = new FixtureRepository();
  kent.set(KAR_ID, '2023-02-10T14:05:11Z', { metadata: FixtureRepository.metadataOf(join(FIXTURES, 'kar-89524-oai_dc.xml')) });
  kent.routes.set('/cgi/stats/get', (url) => ({
    status: 200, body: `{"timescale":{"from":"${url.searchParams.get('from')!.slice(0, 6)}01","format":"YYYYMMDD"},"records":[{"count":"3","eprintid":"89524"}]}`,
  }));
  return kent.start();
}

const listRequests = (repository: FixtureRepository) =>
  repository.requests.filter((u) => u.searchParams.get('verb') === 'ListRecords').map((u) => u.searchParams.get('set'));

describe('a run of one list', () => {
  it('asks for that list only, and fetches the statistics only when the job carries them', async () => {
    const baseUrl = await kentWithStats();
    const config = testConfig([{ id: 'kar', baseUrl, sets: ['74797065733D61727469636C65', '74797065733D626F6F6B'], stats: { type: 'irstats2', months: 1 } }]);
    const out = tempDir();
    const { logger } = captureLogger();
    const now = new Date('2024-03-15T10:00:00Z');
    const second = await harvest({ config, outDir: out, logger, now, onlyList: { metadataPrefix: 'oai_dc', set: '74797065733D626F6F6B', stats: false } });
    expect(second.ok).toBe(true);
    expect(second.sources[0]!.lists.map((l) => l.list)).toEqual(['oai_dc|74797065733D626F6F6B']);
    expect(second.sources[0]!.stats).toBeUndefined();
    expect(listRequests(kent!)).toEqual(['74797065733D626F6F6B']);
    expect(kent!.requests.some((u) => u.pathname === '/cgi/stats/get')).toBe(false);

    const first = await harvest({ config, outDir: out, logger, now, onlyList: { metadataPrefix: 'oai_dc', set: '74797065733D61727469636C65', stats: true } });
    expect(first.ok).toBe(true);
    expect(first.sources[0]!.lists.map((l) => l.list)).toEqual(['oai_dc|74797065733D61727469636C65']);
    expect(first.sources[0]!.stats).toMatchObject({ requests: 1, matched: 1 });
    expect(listRequests(kent!)).toEqual(['74797065733D626F6F6B', '74797065733D61727469636C65']);
  });
});
