// Several repositories' records of one paper → one work, explainably (README "Merge policy").
// Pure: the same records and priorities always give the same work.
import type { CommonRecord, FileRef, UpdateNotice } from '../formats/common-record.ts';
import { bestVersion } from '../formats/vocabulary.ts';
import { CROSSREF_SOURCE } from '../crossref/to-record.ts';
import { WORK_SCHEMA_VERSION, type Chosen, type DateConflict, type TextVersion, type Work, type WorkSource } from './work.ts';

export interface MergePolicy {
  /** Source ids, most trusted first; sources not listed come after, in id order. */
  sourcePriority: readonly string[];
}

const VERSION_RANK: Record<TextVersion, number> = { published: 0, accepted: 1, submitted: 2, other: 3 };

/**
 * The version of the text a copy holds: the version its record states (OpenAIRE dc:type,
 * RIOXX, EP3 document content, a statement in the description), else its files' best.
 * Records stored before the common record had `version` read from their files alone.
 */
export function textVersion(record: CommonRecord): TextVersion {
  return record.version?.value ?? bestVersion(record.files.map((f) => f.version)) ?? 'other';
}

/**
 * A work is keyed by the DOI; a record without one is its own work, unless probable
 * duplicates are merged, when records sharing a match key (title, year, first creator) are one.
 */
export function workId(record: Pick<CommonRecord, 'doi' | 'id'>, matchKey: string | null = null): string {
  if (record.doi) return `doi:${record.doi}`;
  return matchKey ? `title:${matchKey}` : `record:${record.id}`;
}

/**
 * The precedence of the records of a work: the publisher's own (Crossref) first, then version
 * of record over accepted manuscript over others, then the configured source priority, then
 * completeness, then id (for stability).
 */
export function orderRecords(records: readonly CommonRecord[], policy: MergePolicy): CommonRecord[] {
  const priority = (r: CommonRecord) => {
    const i = policy.sourcePriority.indexOf(r.source);
    return i === -1 ? policy.sourcePriority.length : i;
  };
  return [...records].sort(
    (a, b) =>
      Number(!isPublisherRecord(a)) - Number(!isPublisherRecord(b)) ||
      VERSION_RANK[textVersion(a)] - VERSION_RANK[textVersion(b)] ||
      priority(a) - priority(b) ||
      completeness(b) - completeness(a) ||
      (a.source < b.source ? -1 : a.source > b.source ? 1 : 0) ||
      (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
  );
}

/**
 * The publisher's record of a DOI (Crossref): it enriches a work that repositories hold, but
 * is no copy of its own: a work no repository holds any longer is a tombstone.
 */
export function isPublisherRecord(record: Pick<CommonRecord, 'source'>): boolean {
  return record.source === CROSSREF_SOURCE;
}

/** A copy no repository holds: the publisher's record at Crossref, or an entry of a BibTeX file. It is no deposit. */
export function isPublisherCopy(record: Pick<CommonRecord, 'source' | 'formats'>): boolean {
  return isPublisherRecord(record) || record.formats.includes('bibtex');
}

/** A work from its live source records; with none left, a tombstone that still lists them. */
export function mergeWork(id: string, records: readonly CommonRecord[], policy: MergePolicy): Work {
  const held = records.some((r) => !r.deleted && !isPublisherRecord(r));
  const live = held ? orderRecords(records.filter((r) => !r.deleted), policy) : [];
  const updates = updatesOf(live);
  const work: Work = {
    schemaVersion: WORK_SCHEMA_VERSION,
    id,
    doi: id.startsWith('doi:') ? id.slice(4) : null,
    status: held ? 'active' : 'tombstone',
    title: choose(live, 'title'),
    abstract: choose(live, 'abstract'),
    creators: choose(live, 'creators'),
    type: choose(live, 'type'),
    peerReviewed: choose(live, 'peerReviewed'),
    language: choose(live, 'language'),
    publisher: choose(live, 'publisher'),
    container: choose(live, 'container'),
    licence: choose(live, 'licence'),
    variants: { title: variants(live, 'title'), abstract: variants(live, 'abstract') },
    subjects: union(live.flatMap((r) => r.subjects)),
    keywords: union(live.flatMap((r) => r.keywords)),
    identifiers: uniqueBy(live.flatMap((r) => r.identifiers), (i) => `${i.scheme} ${i.value.toLowerCase()}`),
    files: uniqueBy(live.flatMap((r) => r.files.map((f): FileRef & { from: string } => ({ ...f, from: r.id }))), (f) => f.url),
    dates: {
      // Publication and acceptance: the most authoritative record that knows them.
      published: firstDate(live, 'published'),
      accepted: firstDate(live, 'accepted'),
      // Deposits are each repository's own: the work keeps the earliest.
      deposited: earliest(live, 'deposited'),
      firstCompliantDeposit: earliest(live, 'firstCompliantDeposit'),
      available: earliest(live, 'available'),
      modified: latest(live, 'modified'),
      conflicts: [conflict(live, 'published'), conflict(live, 'accepted')].filter((c): c is DateConflict => c !== null),
    },
    updates,
    retracted: updates.some((u) => u.direction === 'updated-by' && RETRACTIONS.has(u.type)),
    corrected: updates.some((u) => u.direction === 'updated-by' && CORRECTIONS.has(u.type)),
    sources: (held ? live : orderRecords(records.filter((r) => !isPublisherRecord(r)), policy)).map(workSource),
    downloads: {},
  };
  return work;
}

function workSource(r: CommonRecord): WorkSource {
  const d = r.dates;
  return {
    id: r.id,
    source: r.source,
    identifier: r.identifier,
    deleted: r.deleted,
    landingPage: r.landingPage,
    version: textVersion(r),
    fileVersions: union(r.files.map((f) => f.version).filter((v): v is NonNullable<typeof v> => v !== null)),
    dates: {
      published: d.published?.value ?? null,
      accepted: d.accepted?.value ?? null,
      deposited: d.deposited?.value ?? null,
      firstCompliantDeposit: d.firstCompliantDeposit?.value ?? null,
      available: d.available?.value ?? null,
      modified: d.modified?.value ?? null,
    },
  };
}

/** Crossref update types (its `update-type` list) that withdraw a work, and those that amend it. */
const RETRACTIONS: ReadonlySet<string> = new Set(['retraction', 'partial_retraction', 'withdrawal', 'removal']);
const CORRECTIONS: ReadonlySet<string> = new Set(['correction', 'erratum', 'corrigendum', 'addendum', 'clarification']);

/** Each notice once, however many copies (or assertions: publisher, Retraction Watch) give it. */
function updatesOf(records: readonly CommonRecord[]): (UpdateNotice & { from: string })[] {
  const all = records.flatMap((r) => (r.updates ?? []).map((u) => ({ ...u, from: r.id })));
  return uniqueBy(all, (u) => `${u.direction} ${u.type} ${u.doi}`);
}

type Choosable = 'title' | 'abstract' | 'creators' | 'type' | 'peerReviewed' | 'language' | 'publisher' | 'container' | 'licence';

function choose<K extends Choosable>(records: readonly CommonRecord[], field: K): Chosen<NonNullable<CommonRecord[K]>> | null {
  for (const r of records) {
    const value = r[field];
    if (!isEmpty(value)) return { value: value as NonNullable<CommonRecord[K]>, from: r.id };
  }
  return null;
}

function variants(records: readonly CommonRecord[], field: 'title' | 'abstract'): Chosen<string>[] {
  // One copy has no variants (most works): no need to compare anything.
  if (records.length < 2) return [];
  const seen = new Set<string>();
  const out: Chosen<string>[] = [];
  for (const r of records) {
    const value = r[field];
    if (!value) continue;
    const key = comparable(value);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ value, from: r.id });
  }
  return out.slice(1);
}

type DateField = keyof CommonRecord['dates'];

function firstDate(records: readonly CommonRecord[], field: DateField): Chosen<string> | null {
  const r = records.find((x) => x.dates[field] !== null);
  return r ? { value: r.dates[field]!.value, from: r.id } : null;
}

/** Partial dates compare by their start, and the more precise wins a tie (2021 vs 2021-07-30). */
function earliest(records: readonly CommonRecord[], field: DateField): Chosen<string> | null {
  let best: Chosen<string> | null = null;
  for (const r of records) {
    const value = r.dates[field]?.value;
    if (value && (!best || value < best.value || (value.startsWith(best.value) && value.length > best.value.length))) {
      best = { value, from: r.id };
    }
  }
  return best;
}

function latest(records: readonly CommonRecord[], field: DateField): Chosen<string> | null {
  let best: Chosen<string> | null = null;
  for (const r of records) {
    const value = r.dates[field]?.value;
    if (value && (!best || value > best.value)) best = { value, from: r.id };
  }
  return best;
}

/** Records that disagree on a date, where one is not just a less precise form of the other. */
function conflict(records: readonly CommonRecord[], field: 'published' | 'accepted'): DateConflict | null {
  const values = records.filter((r) => r.dates[field]).map((r) => ({ value: r.dates[field]!.value, from: r.id }));
  const disagree = values.some((a) => values.some((b) => !a.value.startsWith(b.value) && !b.value.startsWith(a.value)));
  return disagree ? { date: field, values } : null;
}

/** How much a record says: a tie-breaker between records of the same version and priority. */
function completeness(r: CommonRecord): number {
  let n = 0;
  for (const value of [r.title, r.abstract, r.publisher, r.language, r.licence, r.citation, r.landingPage]) if (value) n++;
  n += Math.min(r.creators.length, 1) + Math.min(r.files.length, 1) + Math.min(r.keywords.length, 1) + Math.min(r.subjects.length, 1);
  n += Object.values(r.container).filter((v) => !isEmpty(v)).length;
  n += Object.values(r.dates).filter((v) => v !== null).length;
  return n;
}

function comparable(text: string): string {
  return text.normalize('NFKC').toLowerCase().replace(/[^\p{L}\p{N}]+/gu, ' ').trim();
}

function isEmpty(value: unknown): boolean {
  if (value === null || value === undefined || value === '') return true;
  if (Array.isArray(value)) return value.length === 0;
  if (typeof value === 'object') {
    if ('coar' in value && 'original' in value) return (value as { coar: unknown }).coar === null && (value as { original: unknown[] }).original.length === 0;
    if ('issn' in value) return Object.values(value).every((v) => isEmpty(v));
  }
  return false;
}

function union(values: readonly string[]): string[] {
  return [...new Set(values)];
}

function uniqueBy<T>(values: readonly T[], key: (v: T) => string): T[] {
  const seen = new Set<string>();
  return values.filter((v) => {
    const k = key(v);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
