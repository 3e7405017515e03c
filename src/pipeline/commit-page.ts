// One page into the output and the state: lines and rejects written and synced first, then
// records, merged formats and the checkpoint committed in one transaction.
import type { Logger } from 'pino';
import { trustedServerTime } from '../oai/dates.ts';
import { DiskFullError, HarvestError, isDiskFull, TokenLoopError } from '../oai/errors.ts';
import type { ListPage } from '../oai/types.ts';
import { EPRINTS_EXPORT } from '../formats/eprints-export.ts';
import type { StateStore } from '../store/state.ts';
import type { HarvestKey, HarvestRow } from '../store/harvest-log.ts';
import type { FormatFieldsRow, SourceRecordRow } from '../store/source-records.ts';
import { workId } from '../dedupe/merge-work.ts';
import type { JsonlAppender } from '../sinks/jsonl-appender.ts';
import type { Line } from '../sinks/line-buffer.ts';
import type { LazyJsonlAppender } from '../sinks/lazy-appender.ts';
import { recordLineFromJson, rejectLine } from '../sinks/record-line.ts';
import type { NormalizedJsonRecord } from './normalizing-reader.ts';
import { enrichmentNote, enrichments, formatFieldsOf, mergedRecord, type Enrichment, type ExportSource } from './page-formats.ts';
import type { ListSummary, PageCounts, SourceSummary } from './summary.ts';

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
  enrich: ExportSource | undefined;
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

/** Where a page goes: its harvest, its sink, and the summaries it counts in. */
export interface PageTarget {
  harvest: HarvestRow;
  sink: PageSink;
  result: ListSummary;
  summary: SourceSummary;
}

type Page = ListPage<NormalizedJsonRecord>;

/** What a page leaves: its lines, and what the state takes from it. */
interface PagePlan {
  lines: Line[];
  rejectLines: string[];
  /** The records written: new or changed, each once. */
  written: NormalizedJsonRecord[];
  records: SourceRecordRow[];
  exports: Map<string, Enrichment>;
  /** Whether an item is its record's newest version on the page. */
  current: (i: number) => boolean;
  deleted: number;
  unchanged: number;
  bugs: number;
  lastDatestamp: string | null;
}

/**
 * Writes a page's new and changed records (and rejects), syncs them, then commits the
 * records and the checkpoint (token and output offsets) in one transaction. A crash between
 * the two leaves bytes past the committed offsets, which the next run truncates away.
 */
export async function commitPage(page: Page, target: PageTarget): Promise<void> {
  const { sink, harvest } = target;
  let plan: PagePlan;
  try {
    plan = await planPage(page, target);
    const outputOffset = await sink.appender.append(plan.lines);
    const rejectsOffset = await sink.rejects.append(plan.rejectLines);
    const anchor = trustedServerTime(page.responseDate, new Date());
    if (anchor.distrust && !sink.distrustNoted) {
      sink.distrustNoted = true;
      sink.log?.warn({ verb: 'ListRecords', url: page.url }, `${anchor.distrust}; the next incremental run starts from our clock instead`);
    }
    sink.state.commitPage({
      harvestId: harvest.harvestId,
      recordKey: sink.recordKey ?? harvest,
      headers: page.items.filter((_, i) => plan.current(i)).map((item) => item.header),
      droppedFormats: sink.mergeFormats ? plan.written.filter((item) => item.header.deleted).map((item) => ({ sourceId: sink.sourceId, identifier: item.header.identifier })) : [],
      formatFields: sink.mergeFormats ? plan.written.flatMap((item) => formatFieldsOf(sink.sourceId, item, plan.exports.get(item.header.identifier))) : [],
      records: plan.records,
      checkpoint: {
        token: page.token?.value || null, responseDate: anchor.value, written: plan.lines.length, deleted: plan.deleted, unchanged: plan.unchanged,
        lastDatestamp: plan.lastDatestamp, outputOffset, rejectsOffset, completeListSize: page.token?.completeListSize ?? null,
      },
    });
  } catch (error) {
    const context = { url: page.url, verb: 'ListRecords', stage: 'output' as const, ...pageIds(page) };
    if (isDiskFull(error)) {
      throw new DiskFullError(`the disk is full: ${(error as Error).message}; this page was not committed, and the next run resumes here once there is room`, context, { cause: error });
    }
    throw new HarvestError(`could not commit a page: ${(error as Error).message}`, context, { cause: error });
  }
  stopOnRepeatedPages(page, target);
  count(page, target, plan);
}

/** Which records the page writes and how, reading what the state holds of them in one query each. */
async function planPage(page: Page, { harvest, sink, result }: PageTarget): Promise<PagePlan> {
  const { state, sourceId } = sink;
  const needed = state.harvests.needsWrite(sink.recordKey ?? harvest, page.items.map((r) => r.header));
  const heldFormats = sink.mergeFormats ? state.records.heldFormats(sourceId, page.items.map((item) => item.header.identifier)) : new Map<string, FormatFieldsRow[]>();
  // Enrichment: only new and changed live records; unchanged ones were enriched before.
  const exports = sink.enrich ? await enrichments(page.items.filter((item, i) => needed[i] && !item.header.deleted && item.fieldsJson), sink.enrich, result) : new Map<string, Enrichment>();
  const newest = newestOnPage(page.items);
  const plan: PagePlan = {
    lines: [], rejectLines: [], written: [], records: [], exports, current: (i) => newest.get(page.items[i]!.header.identifier) === i,
    deleted: 0, unchanged: 0, bugs: 0, lastDatestamp: null,
  };
  // A page may repeat a record (broken servers); it is written once, and of two versions of
  // it the newest datestamp is the one written and held.
  const onPage = new Set<string>();
  page.items.forEach((item, i) => {
    const { header } = item;
    if (plan.lastDatestamp === null || header.datestamp > plan.lastDatestamp) plan.lastDatestamp = header.datestamp;
    const key = `${header.identifier}\u0000${header.datestamp}\u0000${header.deleted}`;
    if (onPage.has(key) || !needed[i] || !plan.current(i)) {
      plan.unchanged++;
      return;
    }
    onPage.add(key);
    planRecord(plan, item, { page, sink, heldFormats: heldFormats.get(header.identifier) ?? [] });
  });
  return plan;
}

/** One new or changed record: its output line, its reject line if it has one, and its source record. */
function planRecord(plan: PagePlan, item: NormalizedJsonRecord, on: { page: Page; sink: PageSink; heldFormats: readonly FormatFieldsRow[] }): void {
  const { sink, page } = on;
  const { sourceId, metadataPrefix } = sink;
  const { header } = item;
  plan.written.push(item);
  if (header.deleted) plan.deleted++;
  const exported = plan.exports.get(header.identifier);
  const merged = sink.mergeFormats && item.format && item.fieldsJson ? mergedRecord(sourceId, item, exported, on.heldFormats) : undefined;
  const recordJson = merged?.json ?? item.recordJson ?? null;
  if (item.recordJson !== undefined) {
    const doi = merged ? merged.doi : (item.doi ?? null);
    const key = merged ? merged.matchKey : (item.matchKey ?? null);
    plan.records.push({
      sourceId, identifier: header.identifier, deleted: header.deleted, recordJson, matchKey: key,
      workId: workId({ doi, id: `${sourceId}:${header.identifier}` }, sink.mergeProbableDuplicates ? key : null),
    });
  }
  plan.lines.push(recordLineFromJson({
    source: sourceId, metadataPrefix, header, metadataJson: item.metadataJson, responseDate: page.responseDate, recordJson,
    enrichmentJson: exported ? enrichmentNote(exported, EPRINTS_EXPORT) : undefined,
  }));
  if (item.bug) {
    plan.bugs++;
    sink.log?.error({ identifier: header.identifier, verb: 'ListRecords', url: page.url, code: 'OAIH_NORMALIZER_BUG', stack: item.bug.stack },
      `a bug in the normaliser on record ${header.identifier}: ${item.bug.message}; its raw metadata is kept`);
  }
  if (item.reject) {
    plan.rejectLines.push(rejectLine({
      source: sourceId, identifier: header.identifier, datestamp: header.datestamp, metadataPrefix, reason: item.reject, responseDate: page.responseDate,
    }));
  }
}

/** A loop under new tokens: page after page of records the last pages of this pass already held. */
function stopOnRepeatedPages(page: Page, { sink, harvest }: PageTarget): void {
  sink.repeatedPages = repeatsRecentPages(sink, page) ? (sink.repeatedPages ?? 0) + 1 : 0;
  if (sink.repeatedPages < sink.maxRepeatedPages) return;
  sink.state.harvests.restartHarvest(harvest.harvestId, 'the server repeated records already harvested in this list, page after page');
  throw new TokenLoopError(
    `${sink.repeatedPages} pages in a row held only records already harvested in this list, under new tokens: the server is looping; ` +
      'the next run starts the list again, skipping the records already written',
    { url: page.url, verb: 'ListRecords', stage: 'list', ...pageIds(page) },
  );
}

function count(page: Page, { result, summary, sink }: PageTarget, plan: PagePlan): void {
  for (const tally of [result, summary] satisfies PageCounts[]) {
    tally.pages++;
    tally.records += plan.lines.length;
    tally.deleted += plan.deleted;
    tally.unchanged += plan.unchanged;
    tally.rejects += plan.rejectLines.length;
    tally.normalizerBugs += plan.bugs;
  }
  summary.bytes += page.bytes;
  summary.repairedChars += page.repairedChars;
  summary.truncatedChars += page.truncatedChars;
  if (page.truncatedChars > 0) {
    sink.log?.warn({ verb: 'ListRecords', url: page.url, truncatedChars: page.truncatedChars, ...pageIds(page) }, 'text over a mebibyte cut from a record on this page');
  }
}

function pageIds(page: Page): { firstId?: string; lastId?: string } {
  const first = page.items[0]?.header.identifier;
  const last = page.items.at(-1)?.header.identifier;
  return { ...(first ? { firstId: first } : {}), ...(last ? { lastId: last } : {}) };
}

/**
 * Whether every record of the page was on one of the last pages of this pass: memory stays at
 * a few pages whatever the list's size, and a restarted list (which repeats what it wrote
 * before) is not taken for a loop, as its pass starts afresh.
 */
function repeatsRecentPages(sink: PageSink, page: Page): boolean {
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
