// A source of "type": "bibtex": its file read into copies of works when its content changed
// since the last read; entries gone from it are deleted copies. Each read's records are
// written to records/<source>/ like a harvest's.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Logger } from 'pino';
import { HarvestError, type ErrorCode } from '../oai/errors.ts';
import type { BibtexEntry } from '../formats/bibtex.ts';
import type { CommonRecord } from '../formats/common-record.ts';
import { commonRecord } from '../formats/merge.ts';
import { resolveDoi } from '../identifiers/record-doi.ts';
import type { BibtexSourceConfig } from '../config/config.ts';
import { workId } from '../dedupe/merge-work.ts';
import type { SourceRecordRow } from '../store/source-records.ts';
import { writeFileAtomic } from '../sinks/atomic.ts';
import type { RecordLine } from '../sinks/record-line.ts';
import type { RunContext } from './context.ts';
import { noteSourceRun } from './source.ts';
import { describeError, emptySourceSummary, type SourceSummary } from './summary.ts';

/** A BibTeX source's file could not be read. */
export class BibtexError extends HarvestError {
  override readonly code: ErrorCode = 'OAIH_BIBTEX';
}

export async function harvestBibtexSource(run: RunContext, source: BibtexSourceConfig): Promise<SourceSummary> {
  const started = Date.now();
  const log = run.options.logger.child({ source: source.id });
  const summary = emptySourceSummary(source.id, pathToFileURL(source.path).href, 'ok');
  try {
    await readSource(run, source, summary, log);
  } catch (error) {
    summary.status = 'failed';
    summary.error = describeError(error);
    log.error({ err: error, code: summary.error.code, file: source.path }, summary.error.message);
  }
  summary.durationMs = Date.now() - started;
  noteSourceRun(run, log, { startedAt: new Date(started).toISOString(), summary });
  return summary;
}

async function readSource(run: RunContext, source: BibtexSourceConfig, summary: SourceSummary, log: Logger): Promise<void> {
  const { state } = run.resources;
  let bytes: Buffer;
  try {
    bytes = readFileSync(source.path);
  } catch (error) {
    throw new BibtexError(`cannot read the BibTeX file ${source.path}: ${(error as Error).message}`, { stage: 'file', url: pathToFileURL(source.path).href }, { cause: error });
  }
  summary.bytes = bytes.length;
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const last = state.files.get(source.id);
  if (last?.sha256 === sha256 && last.path === source.path) {
    summary.unchanged = last.entries;
    summary.held = state.records.recordCounts(source.id);
    log.info({ file: source.path }, 'the BibTeX file has not changed since it was read');
    return;
  }
  const readAt = new Date().toISOString();
  // Loaded when a BibTeX file is read, not by every run: the parser costs 150 ms and 25 MB to load.
  const { readBibtex } = await import('../formats/bibtex.ts');
  const file = readBibtex(bytes.toString('utf8'), source.version);
  for (const p of file.problems) log.warn({ file: source.path, line: p.line }, `BibTeX: ${p.message}`);
  const records = uniqueRecords(source, file.entries, readAt, log);
  const rows: SourceRecordRow[] = records.map(({ record }) => ({
    sourceId: source.id, identifier: record.identifier, deleted: false, workId: workId(record), recordJson: JSON.stringify(record),
  }));
  const present = new Set(rows.map((r) => r.identifier));
  for (const h of state.records.identifiers(source.id)) if (!present.has(h.identifier)) rows.push({ sourceId: source.id, identifier: h.identifier, deleted: true, workId: null, recordJson: null });
  const output = join('records', source.id, `${run.runId}.jsonl`);
  writeFileAtomic(join(run.outDir, output), records.map(({ record, entry }) => recordLine(source, record, entry, readAt)).join(''));
  state.transaction(() => {
    state.records.save(rows);
    state.files.save({ sourceId: source.id, path: source.path, sha256, entries: records.length, readAt });
  });
  summary.pages = 1;
  summary.records = records.length;
  summary.deleted = rows.length - records.length;
  summary.rejects = file.problems.length;
  summary.held = state.records.recordCounts(source.id);
  log.info({ file: source.path, entries: records.length, deleted: summary.deleted, problems: file.problems.length, output }, 'BibTeX file read');
}

/**
 * Each entry as a copy, identified by its DOI (stable across exports whose keys change), else
 * its citation key. A DOI or key given twice keeps the first entry; the others are logged.
 */
function uniqueRecords(source: BibtexSourceConfig, entries: readonly BibtexEntry[], readAt: string, log: Logger): { record: CommonRecord; entry: BibtexEntry }[] {
  const seen = new Set<string>();
  const out: { record: CommonRecord; entry: BibtexEntry }[] = [];
  for (const entry of entries) {
    const header = { identifier: entry.key, datestamp: readAt, deleted: false, setSpecs: [] };
    const keyed = resolveDoi(commonRecord(source.id, header, [{ format: 'bibtex', fields: entry.fields }]));
    const identifier = keyed.doi ?? `key:${entry.key}`;
    if (seen.has(identifier)) {
      log.warn({ file: source.path, line: entry.line, key: entry.key, identifier }, 'a BibTeX entry repeats an earlier one; the first is kept');
      continue;
    }
    seen.add(identifier);
    out.push({ record: { ...keyed, id: `${source.id}:${identifier}`, identifier }, entry });
  }
  return out;
}

function recordLine(source: BibtexSourceConfig, record: CommonRecord, entry: BibtexEntry, readAt: string): string {
  const line: RecordLine = {
    source: source.id, identifier: record.identifier, datestamp: readAt, deleted: false, setSpecs: [], metadataPrefix: 'bibtex',
    metadata: { bibtex: { key: entry.key, line: entry.line, entry: entry.source } } as unknown as RecordLine['metadata'], responseDate: readAt, record,
  };
  return `${JSON.stringify(line)}\n`;
}
