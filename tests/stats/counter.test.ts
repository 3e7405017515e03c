import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { counterOutcome, parseCounterReport, reportUrl } from '../../src/stats/counter.ts';
import { SAMPLES } from '../support/oai-server.ts';

const sample = (name: string) => JSON.parse(readFileSync(join(SAMPLES, name), 'utf8')) as unknown;

/** The total of one metric, summed by walking the raw JSON: independent of the parser. */
function rawTotal(json: unknown, metric: string): number {
  let total = 0;
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) return v.forEach(walk);
    if (typeof v !== 'object' || v === null) return;
    const o = v as Record<string, unknown>;
    if (o['Metric_Type'] === metric) total += Number(o['Count']);
    if (o[metric] && typeof o[metric] === 'object' && !Array.isArray(o[metric])) {
      for (const n of Object.values(o[metric] as Record<string, number>)) total += n;
    }
    Object.values(o).forEach(walk);
  };
  walk(json);
  return total;
}

describe('COUNTER item reports', () => {
  it.each(['counter-r5-Sample-IR.json', 'counter-r5-Sample-IR_A1.json', 'counter-r51-IR_sample_r51.json', 'counter-r51-IRA1_sample_r51.json'])(
    'reads %s: every Total_Item_Requests and Unique_Item_Requests count, per item and month',
    (file) => {
      const json = sample(file);
      const report = parseCounterReport(json);
      expect(report.release).toBe(file.includes('r51') ? '5.1' : '5');
      for (const metric of ['Total_Item_Requests', 'Unique_Item_Requests']) {
        const parsed = report.rows.filter((r) => r.metric === metric).reduce((n, r) => n + r.count, 0);
        expect(parsed).toBe(rawTotal(json, metric));
        expect(parsed).toBeGreaterThan(0);
      }
      expect(report.rows.every((r) => /^\d{4}-\d{2}$/.test(r.month))).toBe(true);
      expect(report.rows.some((r) => r.metric === 'Total_Item_Investigations')).toBe(false);
    },
  );

  it('gives each row its item identifiers, the DOI normalised', () => {
    const r5 = parseCounterReport(sample('counter-r5-Sample-IR.json'));
    expect(r5.rows[0]).toMatchObject({ item: 'Item 100026', doi: '10.1729/jhik.345', proprietary: 'SampleIR:100026', month: '2016-02' });
    const r51 = parseCounterReport(sample('counter-r51-IR_sample_r51.json'));
    expect(r51.rows[0]).toMatchObject({ item: 'Item 3', doi: '10.9999/xxxxi03', proprietary: 'P1:I03', uri: 'https://doi.org/10.9999/xxxxi03' });
  });

  it('turns exceptions into outcomes: empty month, try later, or a configuration error', () => {
    expect(counterOutcome([{ code: 3030, message: 'No Usage Available for Requested Dates' }])).toBe('empty');
    expect(counterOutcome([{ code: 3031, message: 'Usage Not Ready for Requested Dates' }])).toBe('later');
    expect(counterOutcome([{ code: 1011, message: 'Report Queued for Processing' }])).toBe('later');
    expect(counterOutcome([{ code: 1020, message: 'Client has made too many requests' }])).toBe('later');
    expect(counterOutcome([{ code: 2000, message: 'Requestor Not Authorized to Access Service' }])).toBe('config');
    expect(counterOutcome([{ code: 2020, message: 'APIKey Invalid' }, { code: 3030, message: 'x' }])).toBe('config');
    expect(counterOutcome([{ code: 3040, message: 'Partial Data Returned' }])).toBe('partial');
    expect(counterOutcome([])).toBe('ok');
    const lone = parseCounterReport({ Code: 3030, Severity: 'Error', Message: 'No Usage Available for Requested Dates' });
    expect(lone.exceptions).toEqual([{ code: 3030, message: 'No Usage Available for Requested Dates' }]);
    const withWarning = parseCounterReport({ Report_Header: { Release: '5.1', Report_ID: 'IR', Exceptions: [{ Code: 3040, Message: 'Partial' }] }, Report_Items: [] });
    expect(counterOutcome(withWarning.exceptions)).toBe('partial');
  });

  it('builds report URLs for both releases', () => {
    expect(reportUrl('https://irus.example/r5/', '5', 'IR_A1', { customer_id: 'c', begin_date: '2024-01', end_date: '2024-01' }))
      .toBe('https://irus.example/r5/reports/ir_a1?customer_id=c&begin_date=2024-01&end_date=2024-01');
    expect(reportUrl('https://stats.example', '5.1', 'IR', { begin_date: '2024-01' })).toBe('https://stats.example/r51/reports/ir?begin_date=2024-01');
    expect(reportUrl('https://stats.example/r51', '5.1', 'IR', {})).toBe('https://stats.example/r51/reports/ir?');
  });

  it('refuses what is not a COUNTER report', () => {
    expect(() => parseCounterReport({ Report_Header: { Release: '4' } })).toThrow('unsupported COUNTER release "4"');
    expect(() => parseCounterReport('x')).toThrow('must be a JSON object');
  });
});
