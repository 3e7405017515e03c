// `oai-harvester audit`: every work's copies judged against a REF deposit rule, written to
// audit/deposit-audit.jsonl and .csv, with a summary per repository, year and division.
import { join } from 'node:path';
import type { CommonRecord } from '../formats/common-record.ts';
import type { Work } from '../dedupe/work.ts';
import type { StateStore } from '../store/state.ts';
import { auditWork, type AuditRule, type DepositAudit } from '../audit/deposit-audit.ts';
import { csvHeader, csvRow, summarise, type AuditSummary } from '../audit/audit-report.ts';
import { writeFileAtomic } from '../sinks/atomic.ts';
import { SnapshotWriter } from '../sinks/snapshot-writer.ts';

export interface AuditOptions {
  rule: AuditRule;
  from?: string | undefined;
  to?: string | undefined;
  sources?: readonly string[] | undefined;
}

export interface AuditFiles {
  jsonl: string;
  csv: string;
  summary: string;
  rows: number;
  totals: AuditSummary['total'];
}

/** The audits of every active work, one copy at a time, filtered by source and period. */
export function* audits(state: StateStore, options: AuditOptions): Generator<DepositAudit> {
  for (const json of state.allWorks()) {
    const work = JSON.parse(json) as Work;
    if (work.status !== 'active') continue;
    if (options.sources && options.sources.length > 0 && !work.sources.some((s) => options.sources!.includes(s.source))) continue;
    const records = state.workRecords(work.id).map((r) => ({ ...(JSON.parse(r.recordJson) as CommonRecord), deleted: r.deleted }));
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
  csv.write([csvHeader()]);
  const all: DepositAudit[] = [];
  for (const a of audits(state, options)) {
    jsonl.write([JSON.stringify(a)]);
    csv.write([csvRow(a)]);
    all.push(a);
  }
  jsonl.finish(true);
  csv.finish(true);
  const summary = summarise(options.rule, all);
  const summaryFile = join(dir, 'summary.json');
  writeFileAtomic(summaryFile, `${JSON.stringify({ ...summary, from: options.from ?? null, to: options.to ?? null }, null, 2)}\n`);
  return { jsonl: jsonl.path, csv: csv.path, summary: summaryFile, rows: all.length, totals: summary.total };
}
