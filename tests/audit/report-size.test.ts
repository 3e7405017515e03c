import { describe, expect, it } from 'vitest';
import { summarise, WorstCopies, LISTED_AT_MOST } from '../../src/audit/audit-report.ts';
import type { DepositAudit, Verdict } from '../../src/audit/deposit-audit.ts';
import { renderReport } from '../../src/audit/report-html.ts';

/** 50,000 copies over 12 repositories, 8 years and 40 divisions: a tenth late, a fifth unknown. */
function* copies(n: number): Generator<DepositAudit> {
  for (let i = 0; i < n; i++) {
    const verdict: Verdict = i % 10 === 0 ? 'late' : i % 5 === 1 ? 'unknown' : 'on time';
    const month = `${2018 + (i % 8)}-${String(1 + (i % 12)).padStart(2, '0')}`;
    yield {
      rule: 'ref2021', work: `doi:10.5555/work.${i}`, doi: `10.5555/work.${i}`, record: `repo${i % 12}:oai:x:${i}`, source: `repo${i % 12}`,
      landingPage: `https://repo${i % 12}.example/${i}/`, title: `A paper on subject number ${i} with a title of ordinary length`, divisions: [`D${i % 40}`],
      deposit: { value: `${month}-20`, field: 'ep3 datestamp' },
      reference: verdict === 'unknown' ? null : { date: 'accepted', value: `${month}-01`, field: 'ep3 dates (accepted)', counted: `${month}-01` },
      deadline: verdict === 'unknown' ? null : `${month}-01`, lagDays: verdict === 'unknown' ? null : (i % 700),
      verdict, reason: verdict === 'unknown' ? 'no acceptance date' : 'deposited within three months', cause: verdict === 'unknown' ? 'no acceptance date' : null,
      fix: null, inScope: true, retracted: false, corrected: false, notices: [],
    };
  }
}

describe('the report at 50,000 copies', () => {
  it('stays under 2 MB: it lists the worst copies and points to the CSV for the rest', () => {
    const worst = new WorstCopies();
    const summary = summarise('ref2021', (function* () {
      for (const a of copies(50_000)) {
        worst.offer(a);
        yield a;
      }
    })());
    const listed = worst.list();
    const html = renderReport({ generatedAt: '2026-12-01T00:00:00Z', rule: 'ref2021', from: null, to: null, summary, listed, listedTotal: worst.total, flagged: [], downloads: new Map() });
    expect(Buffer.byteLength(html)).toBeLessThan(2 * 1024 * 1024);
    expect(listed).toHaveLength(LISTED_AT_MOST);
    expect(worst.total).toBe(15_000);
    // Late first, the latest first.
    expect(listed.slice(0, 3).map((a) => [a.verdict, a.lagDays])).toEqual([['late', 690], ['late', 690], ['late', 690]]);
    expect(html).toContain(`The 300 worst: late copies, the latest first, then unknown ones. All 15,000 are in <a href="deposit-audit.csv">deposit-audit.csv</a>.`);
    expect(html.match(/<tr data-work=/g)).toHaveLength(LISTED_AT_MOST);
  });
});
