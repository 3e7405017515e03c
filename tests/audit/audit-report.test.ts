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
    for (const title of ['=HYPERLINK("http://x","y")', '+1', '-cmd', '@SUM(A1)', '\tTab', '\rCR']) {
      const cells = csvRow(audit({ title }));
      expect(cells, title).toContain(title.startsWith('=') ? `"'=HYPERLINK(""http://x"",""y"")"` : `'${title}`.includes('\r') ? `"'${title}"` : `'${title}`);
    }
    expect(csvRow(audit({})).split(',')).toContain('-5');
  });
});
