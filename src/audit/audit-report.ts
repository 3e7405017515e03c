// The audit's outputs as text: CSV rows and the summary per repository, year and division.
import type { DepositAudit, Verdict } from './deposit-audit.ts';

const COLUMNS = [
  'rule', 'work', 'doi', 'source', 'record', 'title', 'deposit', 'deposit_field', 'reference', 'reference_date', 'reference_counted',
  'reference_field', 'deadline', 'lag_days', 'verdict', 'reason', 'in_scope', 'divisions', 'landing_page',
] as const;

export function csvHeader(): string {
  return COLUMNS.join(',');
}

export function csvRow(a: DepositAudit): string {
  const values = [
    a.rule, a.work, a.doi, a.source, a.record, a.title, a.deposit?.value, a.deposit?.field, a.reference?.date, a.reference?.value,
    a.reference?.counted, a.reference?.field, a.deadline, a.lagDays, a.verdict, a.reason, a.inScope, a.divisions.join('; '), a.landingPage,
  ];
  return values.map(csvField).join(',');
}

function csvField(value: unknown): string {
  if (value === null || value === undefined) return '';
  const text = String(value);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export type Tally = Record<Verdict, number>;

export interface AuditSummary {
  rule: string;
  total: Tally;
  byRepository: Record<string, Tally>;
  /** By the year of the reference date (acceptance or publication), or of the deposit when unknown. */
  byYear: Record<string, Tally>;
  byDivision: Record<string, Tally>;
}

export function summarise(rule: string, audits: Iterable<DepositAudit>): AuditSummary {
  const summary: AuditSummary = { rule, total: tally(), byRepository: {}, byYear: {}, byDivision: {} };
  for (const a of audits) {
    const year = (a.reference?.counted ?? a.deposit?.value ?? 'unknown').slice(0, 4);
    for (const t of [summary.total, (summary.byRepository[a.source] ??= tally()), (summary.byYear[year] ??= tally())]) t[a.verdict]++;
    for (const division of a.divisions.length > 0 ? a.divisions : ['(none)']) (summary.byDivision[division] ??= tally())[a.verdict]++;
  }
  return summary;
}

function tally(): Tally {
  return { 'on time': 0, late: 0, unknown: 0 };
}
