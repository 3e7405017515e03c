// The harvest log and page commits, alike on both backends; on PostgreSQL, a page caught in a deadlock.
import { describe, expect, it } from 'vitest';
import type { Identify } from '../../../src/oai/types.ts';
import type { PageCheckpoint } from '../../../src/store/harvest-log.ts';
import { PgConnection } from '../../../src/store/postgres/connection.ts';
import { contender, stateBackends, waitForLockWaiters } from '../../support/state-backends.ts';

const { backends, cluster } = stateBackends();

const header = (identifier: string, datestamp: string, deleted = false) => ({ identifier, datestamp, setSpecs: [], deleted });
const key = (harvestId: string, full: boolean, sourceId = 's') => ({ sourceId, metadataPrefix: 'oai_dc', harvestId, full });
const newHarvest = (harvestId: string, listKey = 'oai_dc', more: { setSpec?: string; fromArg?: string; metadataPrefix?: string } = {}) => ({
  harvestId, sourceId: 's', listKey, metadataPrefix: more.metadataPrefix ?? 'oai_dc', setSpec: more.setSpec ?? null, fromArg: more.fromArg ?? null, untilArg: null, full: false, outputFile: 'x.jsonl',
});
const checkpoint = (page: Partial<PageCheckpoint> = {}): PageCheckpoint => ({
  token: null, responseDate: '2030-01-01T00:00:00Z', written: 0, deleted: 0, unchanged: 0, lastDatestamp: null, outputOffset: 0, rejectsOffset: 0, completeListSize: null, ...page,
});
const identify: Identify = {
  repositoryName: 'R', baseURL: 'https://repo.example/oai', protocolVersion: '2.0', earliestDatestamp: '2000-01-01', deletedRecord: 'persistent',
  granularity: 'YYYY-MM-DDThh:mm:ssZ', adminEmails: [], compression: [], descriptions: [],
};

describe.each(backends)('harvest log ($name)', (backend) => {
  it('marks a record for writing when new or changed, and once per harvest when full', () => {
    const state = backend.open();
    const h1 = key('h1', false);
    const h2 = key('h2', true);
    expect(state.harvests.noteRecord(h1, header('a', '2021-01-01'))).toBe(true);
    expect(state.harvests.noteRecord(h1, header('a', '2021-01-01'))).toBe(false);
    expect(state.harvests.noteRecord(h1, header('a', '2021-01-02'))).toBe(true);
    expect(state.harvests.noteRecord(h1, header('a', '2021-01-02', true))).toBe(true);
    expect(state.harvests.noteRecord(h2, header('a', '2021-01-02', true))).toBe(true);
    expect(state.harvests.noteRecord(h2, header('a', '2021-01-02', true))).toBe(false);
    // The same record in another format is another thing to write.
    expect(state.harvests.noteRecord({ ...h1, metadataPrefix: 'rioxx' }, header('a', '2021-01-02', true))).toBe(true);
    expect(state.harvests.recordCounts('s')).toEqual({ live: 0, deleted: 1 });
  });

  it('tells, for a whole page at once, which headers must be written', () => {
    const state = backend.open();
    state.harvests.noteRecord(key('h1', false), header('a', '2021-01-01'));
    state.harvests.noteRecord(key('h1', false), header('b', '2021-01-01'));
    const page = [header('a', '2021-01-01'), header('b', '2021-02-01'), header('c', '2021-01-01'), header('a', '2021-01-01', true)];
    expect(state.harvests.needsWrite(key('h1', false), page)).toEqual([false, true, true, true]);
    expect(state.harvests.needsWrite(key('h1', false, 'other'), page)).toEqual([true, true, true, true]);
    expect(state.harvests.needsWrite(key('h2', true), page.slice(0, 1))).toEqual([true]);
    expect(state.harvests.needsWrite(key('h1', false), [])).toEqual([]);
  });

  it('counts a record as deleted only when it is deleted in every format held', () => {
    const state = backend.open();
    state.harvests.noteRecord(key('h', false), header('a', '2021', true));
    state.harvests.noteRecord({ ...key('h', false), metadataPrefix: 'rioxx' }, header('a', '2021'));
    state.harvests.noteRecord(key('h', false), header('b', '2021', true));
    state.harvests.noteRecord(key('h', false), header('c', '2021'));
    expect(state.harvests.recordCounts('s')).toEqual({ live: 2, deleted: 1 });
    expect(state.harvests.recordCounts('nothing')).toEqual({ live: 0, deleted: 0 });
  });

  it('rolls a page back whole when the work inside the transaction throws', () => {
    const location = backend.newLocation();
    const state = backend.open(location);
    state.harvests.startHarvest(newHarvest('h'));
    expect(() =>
      state.transaction(() => {
        state.harvests.noteRecord(key('h', false), header('a', '2021'));
        state.harvests.checkpoint('h', checkpoint({ token: 't', responseDate: 'r', written: 1, lastDatestamp: '2021', outputOffset: 10 }));
        throw new Error('disk full');
      }),
    ).toThrow('disk full');
    expect(state.harvests.runningHarvest('s', 'oai_dc')).toMatchObject({ token: null, pages: 0, outputOffset: 0 });
    expect(state.harvests.recordCounts('s')).toEqual({ live: 0, deleted: 0 });
    state.close();
    // Survives reopening, and completion records the first responseDate for the next run.
    const again = backend.open(location);
    again.harvests.checkpoint('h', checkpoint({ completeListSize: 0 }));
    again.harvests.completeHarvest('h');
    expect(again.harvests.lastCompleteResponseDate('s', 'oai_dc')).toBe('2030-01-01T00:00:00Z');
    expect(again.harvests.runningHarvest('s', 'oai_dc')).toBeUndefined();
    expect(again.harvests.harvest('h')).toMatchObject({ status: 'complete', token: null, finishedAt: expect.any(String) });
  });

  it('adds up checkpoints page by page, keeping the first responseDate and offsets past 4 GiB', () => {
    const state = backend.open();
    const started = state.harvests.startHarvest({ ...newHarvest('h', 'oai_dc', { setSpec: 'x' }), full: true });
    expect(started).toMatchObject({ harvestId: 'h', status: 'running', full: true, setSpec: 'x', fromArg: null, pages: 0, records: 0, completeListSize: null, outputFile: 'x.jsonl' });
    state.harvests.checkpoint('h', checkpoint({ token: 't1', responseDate: 'first', written: 3, deleted: 1, unchanged: 2, lastDatestamp: '2021', outputOffset: 5_000_000_000, rejectsOffset: 7, completeListSize: 10 }));
    state.harvests.checkpoint('h', checkpoint({ token: 't2', responseDate: 'second', written: 4, lastDatestamp: null, outputOffset: 6_000_000_000 }));
    expect(state.harvests.harvest('h')).toMatchObject({
      token: 't2', firstResponseDate: 'first', pages: 2, records: 7, deleted: 1, unchanged: 2, lastDatestamp: '2021',
      outputOffset: 6_000_000_000, rejectsOffset: 0, completeListSize: 10,
    });
  });

  it('drops the token of a restarted harvest, notes errors, and forgets an abandoned one as running', () => {
    const state = backend.open();
    state.harvests.startHarvest(newHarvest('h'));
    state.harvests.checkpoint('h', checkpoint({ token: 't' }));
    state.harvests.restartHarvest('h', 'badResumptionToken');
    expect(state.harvests.runningHarvest('s', 'oai_dc')).toMatchObject({ harvestId: 'h', token: null, restarts: 1, lastError: 'badResumptionToken' });
    state.harvests.noteError('h', 'timeout');
    expect(state.harvests.harvest('h')?.lastError).toBe('timeout');
    state.harvests.abandonHarvest('h', 'replaced');
    expect(state.harvests.runningHarvest('s', 'oai_dc')).toBeUndefined();
    expect(state.harvests.harvest('h')).toMatchObject({ status: 'abandoned', lastError: 'replaced', finishedAt: expect.any(String) });
    expect(state.harvests.harvest('nothing')).toBeUndefined();
  });

  it('keeps the Identify response under its base URL with the key in its query taken out', () => {
    const state = backend.open();
    state.harvests.saveIdentify('s', 'https://repo.example/oai?api_key=sekrit', identify);
    expect(state.harvests.savedIdentify('s', 'https://repo.example/oai?api_key=sekrit')).toEqual(identify);
    expect(state.harvests.savedIdentify('s', 'https://other.example/oai')).toBeUndefined();
    // Saved again from another base URL, the source's response is replaced.
    state.harvests.saveIdentify('s', 'https://other.example/oai', { ...identify, repositoryName: 'R2' });
    expect(state.harvests.savedIdentify('s', 'https://other.example/oai')?.repositoryName).toBe('R2');
    expect(state.harvests.savedIdentify('s', 'https://repo.example/oai?api_key=sekrit')).toBeUndefined();
  });

  it('tells when each list was last complete, and the earliest server time of several', () => {
    const state = backend.open();
    expect(state.harvests.lastComplete('s', 'a')).toBeUndefined();
    state.harvests.markListComplete('s', 'a', '2030-01-02T00:00:00Z', 'h1');
    state.harvests.markListComplete('s', 'b', '2030-01-01T00:00:00Z', 'h2');
    state.harvests.markListComplete('s', 'c', null, 'h3');
    expect(state.harvests.lastComplete('s', 'a')).toEqual({ responseDate: '2030-01-02T00:00:00Z', at: expect.any(String) });
    expect(state.harvests.lastComplete('s', 'c')).toEqual({ responseDate: null, at: expect.any(String) });
    expect(state.harvests.lastCompleteResponseDate('s', 'c')).toBeUndefined();
    expect(state.harvests.earliestComplete('s', ['a', 'b', 'c'])).toBe('2030-01-01T00:00:00Z');
    expect(state.harvests.earliestComplete('s', ['a'])).toBe('2030-01-02T00:00:00Z');
    expect(state.harvests.earliestComplete('s', ['z'])).toBeNull();
    state.harvests.markListComplete('s', 'a', '2030-02-01T00:00:00Z', 'h4');
    expect(state.harvests.lastCompleteResponseDate('s', 'a')).toBe('2030-02-01T00:00:00Z');
  });

  it("sets each whole list's latest server count against the records held, windows and incremental harvests left out", () => {
    const state = backend.open();
    state.harvests.startHarvest(newHarvest('h1'));
    state.harvests.checkpoint('h1', checkpoint({ completeListSize: 5 }));
    // An incremental harvest's count is of its window only.
    state.harvests.startHarvest(newHarvest('h2', 'oai_dc', { fromArg: '2030-01-01' }));
    state.harvests.checkpoint('h2', checkpoint({ completeListSize: 1 }));
    state.harvests.startHarvest(newHarvest('h3', 'oai_dc@p#1/2'));
    state.harvests.checkpoint('h3', checkpoint({ completeListSize: 2 }));
    state.harvests.startHarvest(newHarvest('h4', 'oai_dc:set', { setSpec: 'set' }));
    state.harvests.startHarvest(newHarvest('h5', 'rioxx', { metadataPrefix: 'rioxx' }));
    state.harvests.noteRecord(key('h1', false), header('a', '2021'));
    state.harvests.noteRecord(key('h1', false), header('b', '2021', true));
    expect(state.harvests.listSizes('s')).toEqual([
      { list: 'oai_dc', metadataPrefix: 'oai_dc', set: null, server: 5, serverAsOf: expect.any(String), held: 2 },
      { list: 'oai_dc:set', metadataPrefix: 'oai_dc', set: 'set', server: null, serverAsOf: null, held: null },
      { list: 'rioxx', metadataPrefix: 'rioxx', set: null, server: null, serverAsOf: null, held: 0 },
    ]);
  });

  it("commits a page's headers, formats, records and checkpoint together, a record twice on the page as its last header says", () => {
    const state = backend.open();
    state.harvests.startHarvest(newHarvest('h'));
    state.records.saveFormatFields({ sourceId: 's', identifier: 'gone', format: 'oai_dc', datestamp: '2020', fieldsJson: '{}' });
    state.commitPage({
      harvestId: 'h', recordKey: key('h', false),
      headers: [header('a', '2021-01-01'), header('b', '2021-01-01'), header('a', '2021-01-02')],
      formatFields: [{ sourceId: 's', identifier: 'a', format: 'oai_dc', datestamp: '2021-01-02', fieldsJson: '{"t":1}' }],
      droppedFormats: [{ sourceId: 's', identifier: 'gone' }],
      records: [{ sourceId: 's', identifier: 'a', deleted: false, workId: 'doi:10.1/a', recordJson: '{"id":"s:a"}' }],
      checkpoint: checkpoint({ token: 't', written: 2, outputOffset: 99 }),
    });
    expect(state.harvests.needsWrite(key('h', false), [header('a', '2021-01-02'), header('b', '2021-01-01'), header('a', '2021-01-01')])).toEqual([false, false, true]);
    expect([...state.records.heldFormats('s', ['a', 'gone']).keys()]).toEqual(['a']);
    expect(state.records.identifiers('s')).toEqual([{ identifier: 'a', workId: 'doi:10.1/a' }]);
    expect(state.harvests.harvest('h')).toMatchObject({ token: 't', pages: 1, records: 2, outputOffset: 99 });
  });
});

describe('page commits (postgres, several workers)', () => {
  const postgres = backends.find((b) => b.name === 'postgres')!;

  it('commits a page again when PostgreSQL ends a deadlock by aborting it', async () => {
    const location = postgres.newLocation();
    const state = postgres.open(location);
    state.harvests.startHarvest(newHarvest('h'));
    state.harvests.noteRecord(key('h', false), header('a', '2021'));
    state.harvests.noteRecord(key('h', false), header('b', '2021'));
    const worker = await contender();
    const holder = new PgConnection(location);
    try {
      // The holder outwaits the page's deadlock check: the page is the transaction aborted.
      holder.query(`SET deadlock_timeout = '20s'`);
      holder.query('BEGIN');
      holder.run(`UPDATE record_versions SET datestamp = datestamp WHERE identifier = 'b'`);
      const page = { harvestId: 'h', recordKey: key('h', false), headers: [header('a', '2022'), header('b', '2022')], formatFields: [], droppedFormats: [], records: [], checkpoint: checkpoint({ token: 't' }) };
      const committed = worker.go({ location, call: 'commitPage', args: [page] });
      await waitForLockWaiters(cluster(), new URL(location).pathname.slice(1), 1);
      // The page holds a and waits for b; taking a closes the cycle.
      holder.run(`UPDATE record_versions SET datestamp = datestamp WHERE identifier = 'a'`);
      holder.query('COMMIT');
      expect(await committed).toEqual({ ok: true, result: null });
    } finally {
      holder.close();
    }
    expect(state.harvests.harvest('h')).toMatchObject({ token: 't', pages: 1 });
    expect(state.harvests.needsWrite(key('h', false), [header('a', '2022'), header('b', '2022')])).toEqual([false, false]);
  });
});
