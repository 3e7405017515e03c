import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SourceRecordRow } from '../../../src/store/source-records.ts';
import { startPostgres, type PostgresCluster } from '../../support/postgres.ts';
import { worksDatabase, type WorksFixture } from './fixture.ts';
import { heldText } from '../../support/json-bytes.ts';

let cluster: PostgresCluster;
beforeAll(async () => {
  cluster = await startPostgres();
});
afterAll(() => cluster?.stop());

const live = (sourceId: string, identifier: string, workId: string, recordJson = '{}', matchKey: string | null = null): SourceRecordRow =>
  ({ sourceId, identifier, deleted: false, workId, recordJson, matchKey });
const gone = (sourceId: string, identifier: string): SourceRecordRow => ({ sourceId, identifier, deleted: true, workId: null, recordJson: null });

function dirtyIds(f: WorksFixture): string[] {
  return f.works.dirtyBatch(100).map((w) => w.workId);
}

function clearDirty(f: WorksFixture): void {
  f.db.run('DELETE FROM dirty_works');
}

describe('PgSourceRecords', () => {
  it('keeps records and marks their works, and both works when a record moves to another DOI', () => {
    const f = worksDatabase(cluster);
    f.db.transaction(() => f.records.save([live('s', 'a', 'doi:10.1/x', '{"v":1}'), live('s', 'b', 'doi:10.1/x', '{"v":2}')]));
    expect(dirtyIds(f)).toEqual(['doi:10.1/x']);
    clearDirty(f);
    f.db.transaction(() => f.records.save([live('s', 'a', 'doi:10.1/y', '{"v":3}')]));
    expect(dirtyIds(f)).toEqual(['doi:10.1/x', 'doi:10.1/y']);
    expect(f.records.ofWork('doi:10.1/x')).toEqual([{ recordJson: '{"v":2}', deleted: false }]);
    expect(f.records.ofWork('doi:10.1/y')).toEqual([{ recordJson: '{"v":3}', deleted: false }]);
    f.db.close();
  });

  it('marks a deleted record deleted in the work it keeps, and ignores the deletion of a record never held', () => {
    const f = worksDatabase(cluster);
    f.db.transaction(() => f.records.save([live('s', 'a', 'doi:10.1/x', '{"v":1}')]));
    clearDirty(f);
    f.db.transaction(() => f.records.save([gone('s', 'a'), gone('s', 'never')]));
    expect(dirtyIds(f)).toEqual(['doi:10.1/x']);
    expect(f.records.ofWork('doi:10.1/x')).toEqual([{ recordJson: '{"v":1}', deleted: true }]);
    expect(f.records.recordCounts('s')).toEqual({ live: 0, deleted: 1 });
    expect(f.records.workCount('s')).toBe(0);
    // Seen again: live once more.
    f.db.transaction(() => f.records.save([live('s', 'a', 'doi:10.1/x', '{"v":2}')]));
    expect(f.records.recordCounts('s')).toEqual({ live: 1, deleted: 0 });
    f.db.close();
  });

  it('leaves a record given twice in one batch as its last row says, marking every work it passed through', () => {
    const f = worksDatabase(cluster);
    f.db.transaction(() => f.records.save([live('s', 'a', 'doi:10.1/x')]));
    clearDirty(f);
    f.db.transaction(() => f.records.save([live('s', 'a', 'doi:10.1/y', '{"v":1}'), live('s', 'a', 'doi:10.1/z', '{"v":2}', 'k'), gone('s', 'a')]));
    expect(dirtyIds(f)).toEqual(['doi:10.1/x', 'doi:10.1/y', 'doi:10.1/z']);
    expect([...f.records.all()].map(heldText)).toEqual([{ sourceId: 's', identifier: 'a', deleted: true, workId: 'doi:10.1/z', recordJson: '{"v":2}' }]);
    // A new record given twice, the second time deleted: kept, deleted, with its last live version.
    f.db.transaction(() => f.records.save([live('s', 'n', 'doi:10.1/n', '{"v":1}'), gone('s', 'n')]));
    expect(f.records.ofWork('doi:10.1/n')).toEqual([{ recordJson: '{"v":1}', deleted: true }]);
    f.db.close();
  });

  it('reads every record a page at a time, in key order, for all sources or one', () => {
    const f = worksDatabase(cluster);
    const rows = Array.from({ length: 2500 }, (_, i) => live(i % 2 === 0 ? 's' : 't', `id${String(i).padStart(5, '0')}`, `record:${i}`, `{"i":${i}}`));
    f.db.transaction(() => f.records.save(rows.slice().reverse()));
    const all = [...f.records.all()];
    expect(all).toHaveLength(2500);
    expect(all.map((r) => `${r.sourceId}/${r.identifier}`)).toEqual(rows.map((r) => `${r.sourceId}/${r.identifier}`).sort());
    const ofT = [...f.records.all('t')];
    expect(ofT).toHaveLength(1250);
    expect(ofT.every((r) => r.sourceId === 't')).toBe(true);
    expect(heldText(ofT[0]!)).toEqual({ sourceId: 't', identifier: 'id00001', deleted: false, workId: 'record:1', recordJson: '{"i":1}' });
    expect(f.records.identifiers('t')).toHaveLength(1250);
    expect(f.records.workCount('t')).toBe(1250);
    f.db.close();
  });

  it('groups live records sharing a probable-duplicate key, a page of keys at a time', () => {
    const f = worksDatabase(cluster);
    // 1200 keys of two records each, a key of one, and a key whose second record is deleted.
    const rows = Array.from({ length: 1200 }, (_, i) => [live('s', `a${i}`, `record:s:a${i}`, `{"a":${i}}`, `k${String(i).padStart(4, '0')}`),
      live('t', `b${i}`, `record:t:b${i}`, `{"b":${i}}`, `k${String(i).padStart(4, '0')}`)]).flat();
    f.db.transaction(() => f.records.save([...rows, live('s', 'single', 'record:s:single', '{}', 'lonely'), live('s', 'c', 'record:s:c', '{}', 'half'), live('t', 'c', 'record:t:c', '{}', 'half')]));
    f.db.transaction(() => f.records.save([gone('t', 'c')]));
    const groups = [...f.records.probableDuplicates()];
    expect(groups).toHaveLength(1200);
    expect(groups[0]).toEqual({ key: 'k0000', records: [{ recordJson: '{"a":0}', workId: 'record:s:a0' }, { recordJson: '{"b":0}', workId: 'record:t:b0' }] });
    expect(groups.map((g) => g.key)).toEqual(groups.map((g) => g.key).sort());
    f.db.close();
  });

  it("keeps, replaces and drops a record's format fields, read for a page of identifiers at once", () => {
    const f = worksDatabase(cluster);
    const fields = (identifier: string, format: string, datestamp: string) => ({ sourceId: 's', identifier, format, datestamp, fieldsJson: `{"${format}":"${datestamp}"}` });
    f.records.saveFormatFields(fields('a', 'oai_dc', '2021'));
    f.records.saveFormatFields(fields('a', 'rioxx', '2021'));
    f.records.saveFormatFields(fields('a', 'oai_dc', '2022'));
    f.records.saveFormatFields(fields('b', 'oai_dc', '2021'));
    f.records.saveFormatFields({ ...fields('a', 'oai_dc', '2021'), sourceId: 'other' });
    expect(f.records.heldFormats('s', ['a', 'b', 'c'])).toEqual(new Map([['a', [fields('a', 'oai_dc', '2022'), fields('a', 'rioxx', '2021')]], ['b', [fields('b', 'oai_dc', '2021')]]]));
    f.records.dropFormatFields('s', 'a');
    expect([...f.records.heldFormats('s', ['a', 'b']).keys()]).toEqual(['b']);
    expect(f.records.heldFormats('s', []).size).toBe(0);
    f.db.close();
  });
});
