import { describe, expect, it } from 'vitest';
import { csvRow } from '../../src/audit/audit-report.ts';
import type { DepositAudit } from '../../src/audit/deposit-audit.ts';

const audit = (over: Partial<DepositAudit>): DepositAudit => ({
  rule: 'ref2021', work: 'doi:10.1/x', doi: '10.1/x', record: 'kar:1', source: 'kar', landingPage: null, title: 'A title', divisions: [],
  deposit: { value: '2021-01-01', field: 'ep3 datestamp' }, reference: null, deadline: null, lagDays: -5, verdict: 'on time', reason: 'r',
  cause: null, fix: null, inScope: true, retracted: false, corrected: false, notices: [], ...over,
});

describe('audit CSV rows', () => {
  it('neutralise cells a spreadsheet would run as formulas, and leave numbers as numbers', () => {
    const cells: [string, string][] = [
      ['=HYPERLINK("http://x","y")', `"'=HYPERLINK(""http://x"",""y"")"`],
      ['+1', `'+1`],
      ['-cmd', `'-cmd`],
      ['@SUM(A1)', `'@SUM(A1)`],
      ['\tTab', `'\tTab`],
      // A carriage return makes the cell quoted as well.
      ['\rCR', `"'\rCR"`],
    ];
    // The title is the sixth column, between the record id and the deposit date.
    for (const [title, cell] of cells) expect(csvRow(audit({ title })), JSON.stringify(title)).toContain(`,kar:1,${cell},2021-01-01,`);
    expect(csvRow(audit({})).split(',')).toContain('-5');
  });
});
