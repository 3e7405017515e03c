import { describe, expect, it } from 'vitest';
import {
  bulkMonthCounts, bulkMonthUrl, count, irstats2Endpoint, itemMonthlyCounts, itemMonthlyUrl, parseIrstats2,
} from '../../src/stats/irstats2.ts';

describe('IRStats2', () => {
  it('derives its endpoint from an EPrints OAI base URL', () => {
    expect(irstats2Endpoint('https://kar.kent.ac.uk/cgi/oai2')).toBe('https://kar.kent.ac.uk/cgi/stats/get');
    expect(irstats2Endpoint('https://dspace.example/oai/request')).toBeUndefined();
  });

  it('asks for one whole month of every item, and for one item month by month', () => {
    const bulk = new URL(bulkMonthUrl('https://kar.kent.ac.uk/cgi/stats/get', '2024-02'));
    expect(Object.fromEntries(bulk.searchParams)).toEqual({
      from: '20240201', to: '20240229', datatype: 'downloads', view: 'Table', top: 'eprint', limit: 'all', export: 'JSON',
    });
    const item = new URL(itemMonthlyUrl('https://kar.kent.ac.uk/cgi/stats/get', '89524', '2023-12', '2024-11'));
    expect(Object.fromEntries(item.searchParams)).toMatchObject({
      set_name: 'eprint', set_value: '89524', view: 'Google::Graph', date_resolution: 'month', from: '20231201', to: '20241130',
    });
  });

  it('reads what the server really sends: strings, random key order, \\\' escapes, no records, "null" counts', () => {
    const bulk = parseIrstats2(`{"records":[{"count":"12","eprintid":"89524"},{"eprintid":"100","count":"3"}],
      "timescale":{"to":"20240229","format":"YYYYMMDD","from":"20240201"},"origin":{"name":"Kent\\'s repository"}}`);
    expect(bulkMonthCounts(bulk)).toEqual([{ eprintId: '89524', count: 12 }, { eprintId: '100', count: 3 }]);
    const empty = parseIrstats2('{"timescale":{"from":"20240201","to":"20240229"},"set":{"name":"eprint","value":"1"}}');
    expect(bulkMonthCounts(empty)).toEqual([]);
    const zeros = parseIrstats2('{"records":[{"datestamp":"202401","count":"null","description":"Jan 2024"},{"count":"null","datestamp":"202402","description":"Feb 2024"}]}');
    expect(itemMonthlyCounts(zeros)).toEqual([{ month: '2024-01', count: 0 }, { month: '2024-02', count: 0 }]);
    const series = parseIrstats2(`{"records":[{"count":"5","datestamp":"202311","description":"Nov 2023"},{"datestamp":"202312","count":"0","description":"O\\'Brien"}]}`);
    expect(itemMonthlyCounts(series)).toEqual([{ month: '2023-11', count: 5 }, { month: '2023-12', count: 0 }]);
  });

  it('says what is wrong rather than counting junk as zero', () => {
    expect(() => parseIrstats2('<html>Login required</html>')).toThrow(/not IRStats2 JSON.*Login required/);
    expect(() => count('twelve')).toThrow('not a count: "twelve"');
    expect(() => count('-3')).toThrow('not a count');
    expect(count(7)).toBe(7);
  });
});
