// One page into the output and the state: lines and rejects written and synced first, then
// records, merged formats and the checkpoint committed in one transaction.
import type { Logger } from 'pino';
import type { HttpClient } from '../oai/http.ts';
import { trustedServerTime } from '../oai/dates.ts';
import { DiskFullError, HarvestError, isDiskFull, TokenLoopError } from '../oai/errors.ts';
import type { ListPage } from '../oai/types.ts';
import type { NormalizedJsonRecord } from './harvest-worker.ts';
import { commonRecord } from '../formats/merge.ts';
import type { FormatFields } from '../formats/registry.ts';
import type { StateStore } from '../store/state.ts';
import type { HarvestKey, HarvestRow } from '../store/harvest-log.ts';
import type { FormatFieldsRow } from '../store/source-records.ts';
import type { JsonlAppender } from '../sinks/jsonl-appender.ts';
import type { LazyJsonlAppender } from '../sinks/lazy-appender.ts';
import { recordLineFromJson, rejectLine } from '../sinks/record-line.ts';
import { EPRINTS_EXPORT, fetchEprintsExport, type ExportOutcome } from '../formats/eprints-export.ts';
import type { ViewExports } from './eprints-views.ts';
import type { ListSummary, SourceSummary } from './summary.ts';
import { workId } from '../dedupe/merge-work.ts';
import { matchKey } from '../dedupe/match-key.ts';
import { resolveDoi } from '../identifiers/record-doi.ts';

export interface PageSink {
  appender: JsonlAppender;
  rejects: LazyJsonlAppender;
  state: StateStore;
  sourceId: string;
  metadataPrefix: string;
  /** Several formats (or an enrichment) make one record: they are merged through the state. */
  mergeFormats: boolean;
  /** Records without a DOI that share title, year and first creator become one work. */
  mergeProbableDuplicates: boolean;
  enrich: { http: HttpClient; template: string; views?: ViewExports | undefined } | undefined;
  /** Which harvest records are noted under (a partitioned harvest's windows share one); default the page's own. */
  recordKey?: HarvestKey | undefined;
  /** Pages in a row holding only records of the pages just before before the list counts as a loop. */
  maxRepeatedPages: number;
  repeatedPages?: number;
  /** The records of the last `maxRepeatedPages` pages of this pass (identifier and datestamp). */
  recentPages?: Set<string>[];
  /** Where a page's problems with the server's data are logged. */
  log?: Logger | undefined;
  /** A distrusted responseDate is logged once per list. */
  distrustNoted?: boolean;
}

/**
 * Writes a page's new and changed records (and rejects), syncs them, then commits the
 * records and the checkpoint (token and output offsets) in one transaction. A crash between
 * the two leaves bytes past the committed offsets, which the next run truncates away.
 */
export async function commitPage(
  page: ListPage<NormalizedJsonRecord>,
  harvest: HarvestRow,
  sink: PageSink,
  result: ListSummary,
  summary: SourceSummary,
): Promise<void> {
  const { state, sourceId, metadataPrefix } = sink;
  let deleted = 0;
  let unchanged = 0;
  let lastDatestamp: string | null = null;
  const lines: string[] = [];
  const rejectLines: string[] = [];
  const written: NormalizedJsonRecord[] = [];
  const records: { identifier: string; deleted: boolean; doi: string | null; recordJson: string | null; matchKey: string | null }[] = [];
  // A page may repeat a record (broken servers); it is written once, and of two versions of
  // it the newest datestamp is the one written and held.
  const onPage = new Set<string>();
  const newest = newestOnPage(page.items);
  const current = (i: number) => newest.get(page.items[i]!.header.identifier) === i;
  try {
    const needed = state.harvests.needsWrite(sink.recordKey ?? harvest, page.items.map((r) => r.header));
    // Enrichment: only new and changed live records; unchanged ones were enriched before.
    const heldFormats = sink.mergeFormats ? state.records.heldFormats(sourceId, page.items.map((item) => item.header.identifier)) : new Map<string, FormatFieldsRow[]>();
    const exports = sink.enrich ? await enrichments(page.items.filter((item, i) => needed[i] && !item.header.deleted && item.fieldsJson), sink.enrich, result) : new Map<string, Enrichment>();
    for (let i = 0; i < page.items.length; i++) {
      const item = page.items[i]!;
      const { header } = item;
      if (lastDatestamp === null || header.datestamp > lastDatestamp) lastDatestamp = header.datestamp;
      const key = `${header.identifier}\u0000${header.datestamp}\u0000${header.deleted}`;
      if (onPage.has(key) || !needed[i] || !current(i)) {
        unchanged++;
        continue;
      }
      onPage.add(key);
      written.push(item);
      if (header.deleted) deleted++;
      const exported = exports.get(header.identifier);
      const merged = sink.mergeFormats && item.format && item.fieldsJson ? mergedRecord(sourceId, item, exported, heldFormats.get(header.identifier) ?? []) : undefined;
      const recordJson = merged?.json ?? item.recordJson ?? null;
      if (item.recordJson !== undefined) {
        records.push({
          identifier: header.identifier, deleted: header.deleted, doi: merged ? merged.doi : (item.doi ?? null), recordJson,
          matchKey: merged ? merged.matchKey : (item.matchKey ?? null),
        });
      }
      const enrichment = exported ? JSON.stringify({ [EPRINTS_EXPORT]: 'fields' in exported ? (exported.fromView ? 'ok (browse view)' : 'ok') : `unavailable: ${exported.unavailable}` }) : undefined;
      lines.push(recordLineFromJson(sourceId, metadataPrefix, header, item.metadataJson, page.responseDate, recordJson, enrichment));
      if (item.reject) {
        rejectLines.push(rejectLine({
          source: sourceId, identifier: header.identifier, datestamp: header.datestamp, metadataPrefix, reason: item.reject,
          responseDate: page.responseDate,
        }));
      }
    }
    const outputOffset = await sink.appender.append(lines);
    const rejectsOffset = await sink.rejects.append(rejectLines);
    const anchor = trustedServerTime(page.responseDate, new Date());
    if (anchor.distrust && !sink.distrustNoted) {
      sink.distrustNoted = true;
      sink.log?.warn({ verb: 'ListRecords', url: page.url }, `${anchor.distrust}; the next incremental run starts from our clock instead`);
    }
    const recordKey = sink.recordKey ?? harvest;
    state.commitPage({
      harvestId: harvest.harvestId,
      recordKey,
      headers: page.items.filter((_, i) => current(i)).map((item) => item.header),
      droppedFormats: sink.mergeFormats ? written.filter((item) => item.header.deleted).map((item) => ({ sourceId, identifier: item.header.identifier })) : [],
      formatFields: sink.mergeFormats ? written.flatMap((item) => formatFieldsOf(sourceId, item, exports.get(item.header.identifier))) : [],
      records: records.map((r) => ({
        sourceId, identifier: r.identifier, deleted: r.deleted, recordJson: r.recordJson, matchKey: r.matchKey,
        workId: workId({ doi: r.doi, id: `${sourceId}:${r.identifier}` }, sink.mergeProbableDuplicates ? r.matchKey : null),
      })),
      checkpoint: {
        token: page.token?.value || null,
        responseDate: anchor.value,
        written: lines.length,
        deleted,
        unchanged,
        lastDatestamp,
        outputOffset,
        rejectsOffset,
        completeListSize: page.token?.completeListSize ?? null,
      },
    });
  } catch (error) {
    const context = { url: page.url, verb: 'ListRecords', stage: 'output' as const, ...pageIds(page) };
    if (isDiskFull(error)) {
      throw new DiskFullError(`the disk is full: ${(error as Error).message}; this page was not committed, and the next run resumes here once there is room`, context, { cause: error });
    }
    throw new HarvestError(`could not commit a page: ${(error as Error).message}`, context, { cause: error });
  }
  // A loop under new tokens: page after page of records the last pages of this pass already held.
  sink.repeatedPages = repeatsRecentPages(sink, page) ? (sink.repeatedPages ?? 0) + 1 : 0;
  if (sink.repeatedPages >= sink.maxRepeatedPages) {
    state.harvests.restartHarvest(harvest.harvestId, 'the server repeated records already harvested in this list, page after page');
    throw new TokenLoopError(
      `${sink.repeatedPages} pages in a row held only records already harvested in this list, under new tokens: the server is looping; ` +
        'the next run starts the list again, skipping the records already written',
      { url: page.url, verb: 'ListRecords', stage: 'list', ...pageIds(page) },
    );
  }
  result.pages++;
  result.records += lines.length;
  result.deleted += deleted;
  result.unchanged += unchanged;
  result.rejects += rejectLines.length;
  summary.pages++;
  summary.records += lines.length;
  summary.deleted += deleted;
  summary.unchanged += unchanged;
  summary.rejects += rejectLines.length;
  summary.bytes += page.bytes;
  summary.repairedChars += page.repairedChars;
  summary.truncatedChars += page.truncatedChars;
  if (page.truncatedChars > 0) {
    sink.log?.warn({ verb: 'ListRecords', url: page.url, truncatedChars: page.truncatedChars, ...pageIds(page) }, 'text over a mebibyte cut from a record on this page');
  }
}

type Enrichment = ExportOutcome & { fromView?: boolean };

/** The format fields a written record leaves for merging: its own format's, and a fresh EPrints export's. */
function formatFieldsOf(sourceId: string, item: NormalizedJsonRecord, exported: Enrichment | undefined): FormatFieldsRow[] {
  const { identifier, datestamp, deleted } = item.header;
  if (deleted) return [];
  const rows: FormatFieldsRow[] = [];
  if (item.format && item.fieldsJson) rows.push({ sourceId, identifier, format: item.format, datestamp, fieldsJson: item.fieldsJson });
  if (exported && 'fields' in exported) rows.push({ sourceId, identifier, format: 'ep3', datestamp, fieldsJson: JSON.stringify(exported.fields.fields) });
  return rows;
}

function pageIds(page: ListPage<NormalizedJsonRecord>): { firstId?: string; lastId?: string } {
  const first = page.items[0]?.header.identifier;
  const last = page.items.at(-1)?.header.identifier;
  return { ...(first ? { firstId: first } : {}), ...(last ? { lastId: last } : {}) };
}

/**
 * Whether every record of the page was on one of the last pages of this pass: memory stays at
 * a few pages whatever the list's size, and a restarted list (which repeats what it wrote
 * before) is not taken for a loop, as its pass starts afresh.
 */
function repeatsRecentPages(sink: PageSink, page: ListPage<NormalizedJsonRecord>): boolean {
  const keys = page.items.map((item) => `${item.header.identifier}\u0000${item.header.datestamp}`);
  const recent = (sink.recentPages ??= []);
  const repeated = keys.length > 0 && keys.every((k) => recent.some((p) => p.has(k)));
  recent.push(new Set(keys));
  if (recent.length > sink.maxRepeatedPages) recent.shift();
  return repeated;
}

/** Per identifier, the index of its newest version on the page (the first of equal datestamps). */
function newestOnPage(items: readonly NormalizedJsonRecord[]): Map<string, number> {
  const newest = new Map<string, number>();
  items.forEach((item, i) => {
    const held = newest.get(item.header.identifier);
    if (held === undefined || item.header.datestamp > items[held]!.header.datestamp) newest.set(item.header.identifier, i);
  });
  return newest;
}

/**
 * The EP3 fields of the page's new and changed records: from a browse view of their year
 * where the repository offers one (one request for a year's items), else one export each.
 */
async function enrichments(
  wanted: readonly NormalizedJsonRecord[],
  enrich: NonNullable<PageSink['enrich']>,
  result: ListSummary,
): Promise<Map<string, Enrichment>> {
  const exports = new Map<string, Enrichment>();
  if (enrich.views) {
    const { fields, requests } = await enrich.views.fieldsFor(wanted.map((item) => ({ header: item.header, year: viewYear(item.fieldsJson!) })));
    result.exportViewRequests += requests;
    result.exportsFromViews += fields.size;
    for (const [identifier, f] of fields) exports.set(identifier, { fields: f, fromView: true });
  }
  const rest = wanted.filter((item) => !exports.has(item.header.identifier));
  const outcomes = await Promise.all(rest.map((item) => fetchEprintsExport(enrich.http, enrich.template, item.header)));
  rest.forEach((item, i) => {
    const outcome = outcomes[i]!;
    exports.set(item.header.identifier, outcome);
    if ('fields' in outcome) result.exportsFetched++;
    else result.exportsUnavailable++;
  });
  return exports;
}

/** The year EPrints' year view lists a record under: its `date`, which oai_dc writes as dc:date. */
function viewYear(fieldsJson: string): string | null {
  const published = (JSON.parse(fieldsJson) as FormatFields['fields']).dates.published;
  return published?.field === 'dc:date' ? published.value.slice(0, 4) : null;
}

/** This format's fields merged with a fresh export and the record's other formats held in the state. */
function mergedRecord(
  sourceId: string,
  item: NormalizedJsonRecord,
  exported: Enrichment | undefined,
  heldFormats: readonly FormatFieldsRow[],
): { json: string; doi: string | null; matchKey: string | null } {
  const formats: FormatFields[] = [{ format: item.format as FormatFields['format'], fields: JSON.parse(item.fieldsJson!) as FormatFields['fields'] }];
  if (exported && 'fields' in exported) formats.push(exported.fields);
  for (const held of heldFormats) {
    if (!formats.some((f) => f.format === held.format)) {
      formats.push({ format: held.format as FormatFields['format'], fields: JSON.parse(held.fieldsJson) as FormatFields['fields'] });
    }
  }
  if (formats.length === 1) return { json: item.recordJson!, doi: item.doi ?? null, matchKey: item.matchKey ?? null };
  const record = resolveDoi(commonRecord(sourceId, item.header, formats));
  return { json: JSON.stringify(record), doi: record.doi, matchKey: record.doi ? null : matchKey(record) };
}

