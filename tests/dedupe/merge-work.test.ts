import { describe, expect, it } from 'vitest';
import { mergeWork, orderRecords, workId } from '../../src/dedupe/merge-work.ts';
import { kentRecord, manchesterRecord } from '../formats/support.ts';


// Kent's accepted manuscript (oai_dc + its EP3 export) and Manchester's version of record.
const kent = kentRecord;
const manchester = manchesterRecord;

describe('mergeWork', () => {
  it('makes one work of the two repositories\' copies of the example paper, explaining every value', () => {
    const a = kent();
    const b = manchester();
    expect(workId(a)).toBe('doi:10.3399/bjgp.2020.0917');
    expect(workId(b)).toBe(workId(a));
    const work = mergeWork(workId(a), [a, b], { sourcePriority: [] });
    expect(work.status).toBe('active');
    expect(work.sources.map((s) => [s.id, s.version])).toEqual([
      ['manchester:oai:pure.atira.dk:publications/5f0b7c1e-3a52-4d2b-9d61-0c6f2a1e7b44', 'published'],
      ['kar:oai:kar.kent.ac.uk:89524', 'accepted'],
    ]);
    // The version of record's abstract wins; Kent's is kept as a variant.
    expect(work.abstract).toEqual({ value: 'This study highlights tensions between PCN policy and locally commissioned services.', from: b.id });
    expect(work.variants.abstract).toEqual([{ value: expect.stringContaining('uneven advantages'), from: a.id }]);
    expect(work.variants.title).toEqual([]);
    // Kent's deposit date is kept, per source and as the earliest.
    expect(work.dates.deposited).toEqual({ value: '2021-07-30T08:45:18Z', from: a.id });
    expect(work.sources[1]!.dates.deposited).toBe('2021-07-30T08:45:18Z');
    expect(work.dates.accepted).toEqual({ value: '2021-07-06', from: a.id });
    expect(work.dates.published).toEqual({ value: '2021-10-01', from: b.id });
    expect(work.dates.conflicts).toEqual([]);
    expect(work.container).toEqual({ value: expect.objectContaining({ volume: '71', issue: '710', pages: 'e711-e718' }), from: b.id });
    expect(work.keywords).toHaveLength(5);
    expect(work.files.map((f) => [f.version, f.from])).toEqual([['published', b.id], ['accepted', a.id]]);
  });

  it('ranks a Pure copy with no files by the publishedVersion its dc:type states: title, abstract and container from it', () => {
    const kar = kent();
    const pure = manchester({ withoutFiles: true });
    expect(pure.files).toEqual([]);
    expect(pure.version).toEqual({ value: 'published', field: 'dc:type' });
    expect(kar.version).toEqual({ value: 'accepted', field: 'ep3 document content' });
    const work = mergeWork(workId(kar), [kar, pure], { sourcePriority: ['kar'] });
    expect(work.sources.map((s) => [s.id, s.version])).toEqual([[pure.id, 'published'], [kar.id, 'accepted']]);
    expect(work.title?.from).toBe(pure.id);
    expect(work.abstract).toEqual({ value: 'This study highlights tensions between PCN policy and locally commissioned services.', from: pure.id });
    expect(work.variants.abstract).toEqual([{ value: expect.stringContaining('uneven advantages'), from: kar.id }]);
    // Parsed from Pure's Harvard citation in dc:source.
    expect(work.container).toEqual({
      value: { title: 'British Journal of General Practice', volume: '71', issue: '710', pages: 'e711-e718', issn: ['1478-5242'], isbn: [] },
      from: pure.id,
    });
  });

  it('lets a configured source priority decide between copies of the same version', () => {
    const a = kent();
    const b = { ...kent(), id: 'other:oai:x:1', source: 'other', abstract: 'Another abstract' };
    expect(orderRecords([a, b], { sourcePriority: ['other'] })[0]!.id).toBe('other:oai:x:1');
    expect(orderRecords([a, b], { sourcePriority: ['kar'] })[0]!.id).toBe(a.id);
  });

  it('records conflicting dates, but not a date that is only less precise', () => {
    const a = kent();
    const b = manchester();
    const disagreeing = { ...b, dates: { ...b.dates, accepted: { value: '2021-06-01', field: 'x' } } };
    expect(mergeWork(workId(a), [a, disagreeing], { sourcePriority: [] }).dates.conflicts).toEqual([
      { date: 'accepted', values: [{ value: '2021-06-01', from: b.id }, { value: '2021-07-06', from: a.id }] },
    ]);
    const coarser = { ...b, dates: { ...b.dates, published: { value: '2021', field: 'x' } } };
    expect(mergeWork(workId(a), [a, coarser], { sourcePriority: [] }).dates.conflicts).toEqual([]);
  });

  it('keeps a work whose every copy was deleted as a tombstone listing them', () => {
    const a = { ...kent(), deleted: true };
    const work = mergeWork(workId(a), [a], { sourcePriority: [] });
    expect(work).toMatchObject({ status: 'tombstone', title: null, files: [], sources: [{ id: a.id }] });
  });
});
