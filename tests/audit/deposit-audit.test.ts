import { describe, expect, it } from 'vitest';
import { auditWork } from '../../src/audit/deposit-audit.ts';
import { addMonths, endOfPeriod } from '../../src/audit/ref-dates.ts';
import { mergeWork, workId } from '../../src/dedupe/merge-work.ts';
import type { CommonRecord } from '../../src/formats/common-record.ts';
import { kentRecord, manchesterRecord } from '../formats/support.ts';


const kent = kentRecord;
const manchester = manchesterRecord;

/** A copy with just the dates under test. */
function dated(dates: Partial<Record<keyof CommonRecord['dates'], string>>, field = 'ep3 dates'): CommonRecord {
  const base = kent();
  const d = { ...base.dates };
  for (const key of Object.keys(d) as (keyof CommonRecord['dates'])[]) {
    const value = dates[key];
    d[key] = value ? { value, field: key === 'published' && field === 'dc:date' ? 'dc:date' : `${field} (${key})` } : null;
  }
  return { ...base, dates: d };
}
const audit = (records: CommonRecord[], rule: 'ref2021' | 'ref2029') => auditWork(mergeWork(workId(records[0]!), records, { sourcePriority: [] }), records, rule);

describe('REF date arithmetic', () => {
  it('counts a partial date as the end of its period', () => {
    expect(endOfPeriod('2021')).toBe('2021-12-31');
    expect(endOfPeriod('2021-09')).toBe('2021-09-30');
    expect(endOfPeriod('2024-02')).toBe('2024-02-29');
    expect(endOfPeriod('2021-07-30T08:45:18Z')).toBe('2021-07-30');
  });

  it('adds months as Perl Time::Piece does, rolling a missing day over', () => {
    expect(addMonths('2021-07-06', 3)).toBe('2021-10-06');
    expect(addMonths('2021-11-30', 3)).toBe('2022-03-02');
    expect(addMonths('2023-11-30', 3)).toBe('2024-03-01');
    expect(addMonths('2021-10-31', 3)).toBe('2022-01-31');
  });
});

describe('deposit audit', () => {
  it('judges the example paper under both rules, per repository', () => {
    const ref2021 = audit([kent(), manchester()], 'ref2021');
    const kar = ref2021.find((a) => a.source === 'kar')!;
    expect(kar).toMatchObject({
      deposit: { value: '2021-07-30T08:45:18Z', field: 'ep3 datestamp' },
      reference: { date: 'accepted', value: '2021-07-06', counted: '2021-07-06' },
      deadline: '2021-10-06', lagDays: 24, verdict: 'on time',
    });
    // Manchester's Pure record exposes no deposit date: not guessed from the OAI datestamp.
    expect(ref2021.find((a) => a.source === 'manchester')).toMatchObject({ verdict: 'unknown', reason: expect.stringContaining('no deposit date') });

    const ref2029 = audit([kent(), manchester()], 'ref2029').find((a) => a.source === 'kar')!;
    expect(ref2029).toMatchObject({
      reference: { date: 'published', value: '2021-10-01' }, deadline: '2022-01-01', lagDays: -63, verdict: 'on time', inScope: false,
    });
  });

  it('says a copy with only dc:date = 2021 is unknown, and why', () => {
    for (const rule of ['ref2021', 'ref2029'] as const) {
      const [a] = audit([dated({ published: '2021', deposited: '2021-03-01' }, 'dc:date')], rule);
      expect(a).toMatchObject({ verdict: 'unknown', reason: 'no acceptance date; the only date is dc:date 2021, which does not say what kind of date it is' });
    }
  });

  it('counts a partial acceptance date as the end of its month', () => {
    const [a] = audit([dated({ accepted: '2021-07', deposited: '2021-10-31' })], 'ref2021');
    expect(a).toMatchObject({ reference: { counted: '2021-07-31' }, deadline: '2021-10-31', verdict: 'on time', reason: expect.stringContaining('2021-07 counted as 2021-07-31') });
  });

  it('uses the rolled-over deadline: 30 November + 3 months is 2 March', () => {
    expect(audit([dated({ accepted: '2021-11-30', deposited: '2022-03-02' })], 'ref2021')[0]!.verdict).toBe('on time');
    expect(audit([dated({ accepted: '2021-11-30', deposited: '2022-03-03' })], 'ref2021')[0]!.verdict).toBe('late');
  });

  it('passes REF2021 by publication for outputs accepted before April 2018', () => {
    const [a] = audit([dated({ accepted: '2017-12-01', published: '2018-06-01', deposited: '2018-08-15' })], 'ref2021');
    expect(a).toMatchObject({ reference: { date: 'published' }, deadline: '2018-09-01', verdict: 'on time' });
    const [b] = audit([dated({ accepted: '2018-05-01', published: '2018-06-01', deposited: '2018-08-15' })], 'ref2021');
    expect(b).toMatchObject({ reference: { date: 'accepted' }, deadline: '2018-08-01', verdict: 'late' });
  });

  it('prefers the first compliant deposit to the deposit date', () => {
    const [a] = audit([dated({ accepted: '2021-01-10', deposited: '2021-06-01', firstCompliantDeposit: '2021-02-01' })], 'ref2021');
    expect(a).toMatchObject({ deposit: { value: '2021-02-01' }, verdict: 'on time' });
  });

  it('accepts acceptance + 3 months as REF2029\'s proxy when late by publication', () => {
    const [a] = audit([dated({ accepted: '2026-05-01', published: '2026-03-10', deposited: '2026-07-15' })], 'ref2029');
    expect(a).toMatchObject({ reference: { date: 'accepted' }, deadline: '2026-08-01', verdict: 'on time' });
  });

  it('judges REF2029 by publication, in scope from 2026', () => {
    const [a] = audit([dated({ accepted: '2026-01-15', published: '2026-03-10', deposited: '2026-07-01' })], 'ref2029');
    expect(a).toMatchObject({ reference: { date: 'published' }, deadline: '2026-06-10', verdict: 'late', inScope: true });
  });
});
