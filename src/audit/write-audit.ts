// `oai-harvester audit`: every work's copies judged against a REF deposit rule, written to
// audit/deposit-audit.jsonl and .csv, with a summary per repository, year and division.
import { join } from 'node:path';
import type { Work } from '../dedupe/work.ts';
import type { StateStore } from '../store/state.ts';
import { storedRecord } from '../store/source-records.ts';
import { parseJsonDocument } from '../store/json-bytes.ts';
import { auditWork, daysBeyondDeadline, type AuditRule, type DepositAudit } from './deposit-audit.ts';
import { CSV_BOM, csvHeader, csvRow, summarise, summaryDocument, WorstCopies, type AuditSummary } from './audit-report.ts';
import { renderReport, type WorkDownloads } from './report-html.ts';
import { writeFileAtomic } from '../sinks/atomic.ts';
import { SnapshotWriter } from '../sinks/snapshot-writer.ts';
import { dateCells, ParquetTable, type Cell, type ColumnSpec } from '../sinks/parquet-table.ts';
import { TABLES_VERSION } from '../sinks/tables.ts';
import { monthOf } from '../oai/dates.ts';
import { headlineMetric } from '../stats/headline-metric.ts';

export interface AuditOptions {
  rule: AuditRule;
  from?: string | undefined;
  to?: string | undefined;
  sources?: readonly string[] | undefined;
  /** The report's generation time (tests); defaults to now. */
  now?: Date | undefined;
}

export interface AuditFiles {
  jsonl: string;
  csv: string;
  /** tables/audit.parquet: the rows with typed columns. */
  parquet: string;
  summary: string;
  report: string;
  rows: number;
  totals: AuditSummary['total'];
  unknown: AuditSummary['unknown'];
}

/** The audits of every active work, one copy at a time, filtered by source and period. */
export function* audits(state: StateStore, options: AuditOptions): Generator<DepositAudit> {
  for (const json of state.works.all()) {
    const work = parseJsonDocument<Work>(json);
    if (work.status !== 'active') continue;
    if (options.sources && options.sources.length > 0 && !work.sources.some((s) => options.sources!.includes(s.source))) continue;
    const records = state.records.ofWork(work.id).map(storedRecord);
    for (const a of auditWork(work, records, options.rule)) {
      if (options.sources && options.sources.length > 0 && !options.sources.includes(a.source)) continue;
      // The period applies to the reference date, or to the deposit when there is none; a copy
      // with neither cannot be placed in a period and is left out of one.
      const when = (a.reference?.counted ?? a.deposit?.value ?? '').slice(0, 10);
      if (options.from && (!when || when < options.from)) continue;
      if (options.to && (!when || when > options.to)) continue;
      yield a;
    }
  }
}

export function writeAudit(state: StateStore, outDir: string, options: AuditOptions): AuditFiles {
  const dir = join(outDir, 'audit');
  const jsonl = new SnapshotWriter(join(dir, 'deposit-audit.jsonl'));
  const csv = new SnapshotWriter(join(dir, 'deposit-audit.csv'));
  csv.line(`${CSV_BOM}${csvHeader()}`);
  const parquet = new ParquetTable(join(outDir, 'tables', 'audit.parquet'), AUDIT_COLUMNS, { 'oai-harvester.tables': TABLES_VERSION });
  // One pass, streamed: every row written as it is judged, the summary tallied, and only the
  // worst copies and the flagged works kept for the report.
  const worst = new WorstCopies();
  const flagged = new Map<string, DepositAudit>();
  const judged = function* (): Generator<DepositAudit> {
    for (const a of audits(state, options)) {
      jsonl.line(JSON.stringify(a));
      csv.line(csvRow(a));
      parquet.add(auditRow(a));
      worst.offer(a);
      if ((a.retracted || a.corrected) && !flagged.has(a.work)) flagged.set(a.work, a);
      yield a;
    }
  };
  const summary = summarise(options.rule, judged());
  jsonl.finish(true);
  csv.finish(true);
  parquet.finish();
  const flaggedList = [...flagged.values()];
  const works = { retracted: flaggedList.filter((a) => a.retracted).length, corrected: flaggedList.filter((a) => !a.retracted && a.corrected).length };
  const summaryFile = join(dir, 'summary.json');
  const document = summaryDocument(summary, { from: options.from ?? null, to: options.to ?? null, flaggedWorks: works });
  writeFileAtomic(summaryFile, `${JSON.stringify(document, null, 2)}\n`);
  const listed = worst.list();
  const downloads = new Map<string, WorkDownloads>();
  for (const a of listed) {
    if (downloads.has(a.work)) continue;
    const d = chartedDownloads(state, a.work);
    if (d) downloads.set(a.work, d);
  }
  const reportFile = join(dir, 'report.html');
  const html = renderReport({
    generatedAt: (options.now ?? new Date()).toISOString(), rule: options.rule, from: options.from ?? null, to: options.to ?? null, summary, listed, listedTotal: worst.total, flagged: flaggedList, downloads,
  });
  writeFileAtomic(reportFile, html);
  return { jsonl: jsonl.path, csv: csv.path, parquet: parquet.path, summary: summaryFile, report: reportFile, rows: parquet.rows, totals: summary.total, unknown: summary.unknown };
}

const dated = (name: string): ColumnSpec[] => [{ name, kind: 'date' }, { name: `${name}_precision`, kind: 'string' }];

export const AUDIT_COLUMNS: readonly ColumnSpec[] = [
  ...['rule', 'work', 'doi', 'source', 'record', 'title'].map((name): ColumnSpec => ({ name, kind: 'string' })),
  ...dated('deposit'), { name: 'deposit_field', kind: 'string' },
  { name: 'reference_kind', kind: 'string' }, ...dated('reference'), { name: 'reference_field', kind: 'string' }, { name: 'reference_counted', kind: 'date' },
  { name: 'deadline', kind: 'date' }, { name: 'lag_days', kind: 'int32' }, { name: 'days_beyond_deadline', kind: 'int32' },
  ...['verdict', 'cause', 'reason'].map((name): ColumnSpec => ({ name, kind: 'string' })), { name: 'in_scope', kind: 'boolean' },
  { name: 'divisions', kind: 'string' }, { name: 'retracted', kind: 'boolean' }, { name: 'corrected', kind: 'boolean' }, { name: 'landing_page', kind: 'string' },
];

function auditRow(a: DepositAudit): Cell[] {
  return [
    a.rule, a.work, a.doi, a.source, a.record, a.title, ...dateCells(a.deposit?.value), a.deposit?.field ?? null,
    a.reference?.date ?? null, ...dateCells(a.reference?.value), a.reference?.field ?? null, dateCells(a.reference?.counted)[0],
    dateCells(a.deadline)[0], a.lagDays, daysBeyondDeadline(a), a.verdict, a.cause, a.reason, a.inScope, a.divisions.join('; ') || null, a.retracted, a.corrected, a.landingPage,
  ];
}

/** A work's downloads in the metric a person means by downloads, every month from the first to the last. */
function chartedDownloads(state: StateStore, workId: string): WorkDownloads | undefined {
  const rows = state.downloads.ofWork(workId);
  const metric = headlineMetric(rows.map((r) => r.metric));
  if (!metric) return undefined;
  const counts = new Map(rows.filter((r) => r.metric === metric).map((r) => [r.month, r.count]));
  const months = [...counts.keys()].sort();
  const series: { month: string; count: number }[] = [];
  // monthOf counts back; -1 is the month after.
  for (let month = months[0]!; month <= months.at(-1)!; month = monthOf(new Date(`${month}-01T00:00:00Z`), -1)) {
    series.push({ month, count: counts.get(month) ?? 0 });
  }
  return { metric, months: series };
}
