// The audit's outputs as text: CSV rows and the summary per repository, year and division.
import type { DepositAudit, UnknownCause, Verdict } from './deposit-audit.ts';

const COLUMNS = [
  'rule', 'work', 'doi', 'source', 'record', 'title', 'deposit', 'deposit_field', 'reference', 'reference_date', 'reference_counted',
  'reference_field', 'deadline', 'lag_days', 'verdict', 'reason', 'in_scope', 'divisions', 'landing_page', 'fix', 'retracted', 'corrected', 'notices',
] as const;

export function csvHeader(): string {
  return COLUMNS.join(',');
}

export function csvRow(a: DepositAudit): string {
  const values = [
    a.rule, a.work, a.doi, a.source, a.record, a.title, a.deposit?.value, a.deposit?.field, a.reference?.date, a.reference?.value,
    a.reference?.counted, a.reference?.field, a.deadline, a.lagDays, a.verdict, a.reason, a.inScope, a.divisions.join('; '), a.landingPage, a.fix,
    a.retracted, a.corrected, a.notices.map((n) => `${n.type} ${n.doi}${n.date ? ` ${n.date}` : ''}`).join('; '),
  ];
  return values.map(csvField).join(',');
}

/** The CSV starts with a byte-order mark, so spreadsheets read it as UTF-8. */
export const CSV_BOM = '\uFEFF';

/**
 * A text cell a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, CR first) gets a
 * leading apostrophe (OWASP's CSV injection advice); numbers stay numbers.
 */
function csvField(value: unknown): string {
  if (value === null || value === undefined) return '';
  const raw = String(value);
  const text = typeof value === 'string' && /^[=+\-@\t\r]/.test(raw) ? `'${raw}` : raw;
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
  /** Per repository, by the month of the reference date (or of the deposit when unknown). */
  byRepositoryMonth: Record<string, Record<string, Tally>>;
  /** Copies with a lag, counted per bin of LAG_BINS, in order. */
  lagHistogram: { bin: string; count: number }[];
  /** Unknown copies by what is missing and repository, most first, with the setting that fixes it. */
  unknown: UnknownGroup[];
}

export interface UnknownGroup {
  cause: UnknownCause;
  source: string;
  count: number;
  fix: string | null;
}

/** Deposit lag bins, in days after the reference date (counted at the end of its period). */
export const LAG_BINS: readonly { bin: string; upTo: number }[] = [
  { bin: 'before', upTo: -1 },
  { bin: '0–30', upTo: 30 },
  { bin: '31–61', upTo: 61 },
  { bin: '62–92', upTo: 92 },
  { bin: '93–182', upTo: 182 },
  { bin: '183–365', upTo: 365 },
  { bin: 'over 365', upTo: Infinity },
];

export function summarise(rule: string, audits: Iterable<DepositAudit>): AuditSummary {
  const summary: AuditSummary = {
    rule, total: tally(), byRepository: {}, byYear: {}, byDivision: {}, byRepositoryMonth: {}, lagHistogram: LAG_BINS.map(({ bin }) => ({ bin, count: 0 })),
    unknown: [],
  };
  const unknown = new Map<string, UnknownGroup>();
  for (const a of audits) {
    const when = a.reference?.counted ?? a.deposit?.value ?? 'unknown';
    const year = when === 'unknown' ? when : when.slice(0, 4);
    const month = when === 'unknown' ? when : when.slice(0, 7);
    const byMonth = (summary.byRepositoryMonth[a.source] ??= {});
    for (const t of [summary.total, (summary.byRepository[a.source] ??= tally()), (summary.byYear[year] ??= tally()), (byMonth[month] ??= tally())]) {
      t[a.verdict]++;
    }
    for (const division of a.divisions.length > 0 ? a.divisions : ['(none)']) (summary.byDivision[division] ??= tally())[a.verdict]++;
    if (a.lagDays !== null) summary.lagHistogram[LAG_BINS.findIndex((b) => a.lagDays! <= b.upTo)]!.count++;
    if (a.cause) {
      const key = `${a.cause}\u0000${a.source}\u0000${a.fix ?? ''}`;
      const group = unknown.get(key) ?? unknown.set(key, { cause: a.cause, source: a.source, count: 0, fix: a.fix }).get(key)!;
      group.count++;
    }
  }
  summary.unknown = [...unknown.values()].sort((x, y) => y.count - x.count || x.source.localeCompare(y.source) || x.cause.localeCompare(y.cause));
  return summary;
}

/** A tally as columns: `on_time`, `late`, `unknown`. */
export interface TallyRow {
  on_time: number;
  late: number;
  unknown: number;
}

/**
 * audit/summary.json: every breakdown an array of rows with fixed keys (src/audit/audit-summary.schema.json),
 * so DuckDB and pandas read it as tables, not as structs with a field per year or division.
 */
export function summaryDocument(summary: AuditSummary, extra: { from: string | null; to: string | null; flaggedWorks: { retracted: number; corrected: number } }) {
  const row = (t: Tally): TallyRow => ({ on_time: t['on time'], late: t.late, unknown: t.unknown });
  const rows = <K extends string>(key: K, tallies: Record<string, Tally>) =>
    Object.entries(tallies).sort(([a], [b]) => a.localeCompare(b)).map(([value, t]) => ({ [key]: value, ...row(t) }) as Record<K, string> & TallyRow);
  return {
    rule: summary.rule, from: extra.from, to: extra.to, total: row(summary.total),
    byRepository: rows('repository', summary.byRepository),
    byYear: rows('year', summary.byYear),
    byDivision: rows('division', summary.byDivision),
    byRepositoryMonth: Object.entries(summary.byRepositoryMonth).sort(([a], [b]) => a.localeCompare(b))
      .flatMap(([repository, months]) => rows('month', months).map((r) => ({ repository, ...r }))),
    lagHistogram: summary.lagHistogram,
    unknown: summary.unknown,
    flaggedWorks: extra.flaggedWorks,
  };
}

/** The late and unknown copies the report lists one by one; the rest are in the CSV. */
export const LISTED_AT_MOST = 300;

/** Late copies first, the latest first; then unknown ones, by repository and work. */
function worse(a: DepositAudit, b: DepositAudit): number {
  const rank = (x: DepositAudit) => (x.verdict === 'late' ? 0 : 1);
  return rank(a) - rank(b) || (b.lagDays ?? 0) - (a.lagDays ?? 0) || a.source.localeCompare(b.source) || a.work.localeCompare(b.work);
}

/** The worst late and unknown copies, at most `limit`, kept as they come: memory stays bounded however many there are. */
export class WorstCopies {
  /** Late and unknown copies seen. */
  total = 0;
  private kept: DepositAudit[] = [];
  private readonly limit: number;

  constructor(limit = LISTED_AT_MOST) {
    this.limit = limit;
  }

  offer(a: DepositAudit): void {
    if (a.verdict === 'on time') return;
    this.total++;
    this.kept.push(a);
    if (this.kept.length >= 2 * this.limit) this.trim();
  }

  list(): DepositAudit[] {
    this.trim();
    return this.kept;
  }

  private trim(): void {
    this.kept.sort(worse);
    if (this.kept.length > this.limit) this.kept.length = this.limit;
  }
}

function tally(): Tally {
  return { 'on time': 0, late: 0, unknown: 0 };
}

/** One line per group of unknown copies: what is missing, where, and what fixes it. */
export function unknownLines(groups: readonly UnknownGroup[]): string[] {
  return groups.map((g) => `unknown: ${g.count} ${g.count === 1 ? 'copy' : 'copies'} of ${g.source}: ${g.cause}; ${g.fix ? `to fix it, ${g.fix}` : 'the repository does not record it in the formats harvested'}`);
}
