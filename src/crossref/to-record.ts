// A Crossref work → the common record of the version of record: the publisher's copy of a work,
// listed among its sources as `crossref`. Pure.
import {
  COMMON_RECORD_SCHEMA_VERSION, emptyFields, type CommonRecord, type Funding, type Person, type RecordFields, type ResourceType, type Sourced, type UpdateNotice,
} from '../formats/common-record.ts';
import { resourceType } from '../formats/resource-types.ts';
import { clean, languageCode, licenceUrl, partialDate } from '../formats/vocabulary.ts';
import { decodeEntities } from '../oai/xml.ts';
import { normalizeDoi } from '../identifiers/doi.ts';
import type { CrossrefPerson, CrossrefWork } from './work.ts';

/** The source id of every Crossref copy; no configured source may take it. */
export const CROSSREF_SOURCE = 'crossref';

const COAR = 'http://purl.org/coar/resource_type/';
/** Crossref types the shared vocabulary reads otherwise, or not at all. */
const CROSSREF_TYPES: Record<string, { coar: string; label: string }> = {
  'proceedings-article': { coar: `${COAR}c_5794`, label: 'conference paper' },
  'posted-content': { coar: `${COAR}c_816b`, label: 'preprint' },
  monograph: { coar: `${COAR}c_2f33`, label: 'book' },
  dissertation: { coar: `${COAR}c_46ec`, label: 'thesis' },
  'journal-issue': { coar: `${COAR}c_0640`, label: 'journal' },
};

export function crossrefRecord(work: CrossrefWork): CommonRecord {
  const doi = normalizeDoi(work.doi) ?? work.doi;
  const fields = crossrefFields(work);
  const fieldSources: CommonRecord['fieldSources'] = {};
  for (const [key, value] of Object.entries(fields)) if (!isEmpty(value)) fieldSources[key as keyof RecordFields] = CROSSREF_SOURCE;
  const { doiCandidates: _candidates, ...rest } = fields;
  void _candidates;
  return {
    schemaVersion: COMMON_RECORD_SCHEMA_VERSION,
    id: `${CROSSREF_SOURCE}:${doi}`,
    source: CROSSREF_SOURCE,
    identifier: doi,
    deleted: false,
    datestamp: work.deposited ?? '1970-01-01T00:00:00Z',
    sets: [],
    formats: [CROSSREF_SOURCE],
    ...rest,
    doi,
    doiInfo: { original: work.doi, field: 'crossref DOI', reason: 'the Crossref record of this DOI', others: [] },
    fieldSources: { ...fieldSources, doi: CROSSREF_SOURCE, doiInfo: CROSSREF_SOURCE },
  };
}

function crossrefFields(work: CrossrefWork): RecordFields {
  const f = emptyFields();
  const title = plain(work.title);
  const subtitle = plain(work.subtitle);
  f.title = title && subtitle && !title.includes(subtitle) ? `${title}: ${subtitle}` : title;
  f.abstract = work.abstract ? jatsText(work.abstract) : null;
  f.creators = work.authors.map(crossrefPerson).filter((p) => p.name !== '');
  f.contributors = work.editors.map(crossrefPerson).filter((p) => p.name !== '');
  f.type = crossrefType(work);
  f.language = languageCode(work.language ?? undefined);
  f.publisher = work.publisher;
  f.container = {
    title: plain(work.containerTitle), volume: work.volume, issue: work.issue,
    pages: work.page ? work.page.replace(/\s*[-–—]+\s*/, '-') : work.articleNumber,
    // Print first, then electronic, as most catalogues list them.
    issn: [...work.issn].sort((a, b) => issnOrder(a.type) - issnOrder(b.type)).map((i) => i.value.toUpperCase()),
    isbn: work.isbn.map((i) => i.replace(/-/g, '')),
  };
  f.version = { value: 'published', field: 'crossref (the version of record)' };
  f.landingPage = work.landingPage;
  f.funding = work.funders.flatMap((funder): Funding[] => {
    const funderId = funder.doi ? `https://doi.org/${funder.doi}` : null;
    return funder.awards.length > 0 ? funder.awards.map((award) => ({ funder: funder.name, funderId, award })) : [{ funder: funder.name, funderId, award: null }];
  });
  f.licences = uniqueLicences(work);
  f.licence = f.licences.find((l) => l.contentVersion === 'vor')?.url ?? f.licences[0]?.url ?? null;
  f.dates.published = publicationDate(work);
  f.dates.accepted = acceptanceDate(work);
  f.updates = updatesOf(work);
  f.doiCandidates = [{ value: work.doi, field: 'crossref DOI', rank: 1 }];
  return f;
}

function issnOrder(type: string | null): number {
  return type === 'print' ? 0 : type === 'electronic' ? 1 : 2;
}

function crossrefPerson(p: CrossrefPerson): Person {
  if (!p.family && !p.given) return { name: p.name ?? '', family: null, given: null, orcid: p.orcid };
  return { name: [p.family, p.given].filter(Boolean).join(', '), family: p.family, given: p.given, orcid: p.orcid };
}

function crossrefType(work: CrossrefWork): ResourceType {
  const original = [work.type, work.subtype].filter((t): t is string => t !== null);
  const own = work.type ? CROSSREF_TYPES[work.type] : undefined;
  return own ? { ...own, original } : { ...resourceType(original), original };
}

/** First publication: online, else the earlier of print and online (`issued`), else print; a preprint's posting. */
function publicationDate(work: CrossrefWork): Sourced | null {
  const { dates } = work;
  const candidates: [string | null, string][] = work.type === 'posted-content'
    ? [[dates.posted, 'posted'], [dates.issued, 'issued']]
    : [[dates.publishedOnline, 'published-online'], [dates.issued, 'issued'], [dates.publishedPrint, 'published-print']];
  const found = candidates.find(([value]) => value !== null);
  return found ? { value: found[0]!, field: `crossref ${found[1]}` } : null;
}

/**
 * The journal's acceptance: the `accepted` field, else a publication-history assertion (ISO
 * or "15 May 2024"). A preprint's `accepted` is not a journal's acceptance and is not read.
 */
function acceptanceDate(work: CrossrefWork): Sourced | null {
  if (work.type === 'posted-content') return null;
  if (work.dates.accepted) return { value: work.dates.accepted, field: 'crossref accepted' };
  for (const a of work.assertions) {
    if (a.name !== 'accepted' || !a.value) continue;
    const value = partialDate(a.value);
    if (value) return { value, field: `crossref assertion accepted (${a.group ?? 'no group'})` };
  }
  return null;
}

function uniqueLicences(work: CrossrefWork): NonNullable<RecordFields['licences']> {
  const seen = new Set<string>();
  return work.licences.flatMap((l) => {
    const url = licenceUrl(l.url) ?? l.url;
    const key = `${url} ${l.contentVersion} ${l.start}`;
    if (seen.has(key)) return [];
    seen.add(key);
    return [{ url, contentVersion: l.contentVersion, start: l.start, delayDays: l.delayDays }];
  });
}

/** Updates to and from other DOIs; one pointing at the record itself (APS, PLOS do this) is no notice. */
function updatesOf(work: CrossrefWork): UpdateNotice[] {
  const own = work.doi.toLowerCase();
  const notice = (direction: UpdateNotice['direction']) => (u: CrossrefWork['updateTo'][number]): UpdateNotice[] =>
    u.doi === own ? [] : [{ direction, type: u.type, doi: u.doi, date: u.date, source: u.source }];
  return [...work.updatedBy.flatMap(notice('updated-by')), ...work.updateTo.flatMap(notice('updates'))];
}

/** A title with inline markup (`<i>`, `<sub>`) and line breaks → plain text. */
function plain(value: string | null): string | null {
  return value ? clean(entities(value.replace(/<[^>]+>/g, ''))) : null;
}

/** XML's entities and character references, and the `&nbsp;` publishers write though XML has none. */
function entities(text: string): string {
  return decodeEntities(text.replace(/&nbsp;/g, ' '));
}

/** JATS XML (`<jats:p>…`) → plain text: paragraphs kept apart, an "Abstract" heading dropped, entities decoded. */
export function jatsText(jats: string): string | null {
  const text = jats
    .replace(/<(?:jats:)?title>\s*abstract\s*<\/(?:jats:)?title>/gi, '')
    .replace(/<(?:jats:)?title>([\s\S]*?)<\/(?:jats:)?title>/gi, '$1: ')
    .replace(/<\/(?:jats:)?(?:p|sec)>/gi, '\n\n')
    .replace(/<[^>]+>/g, '');
  const paragraphs = entities(text).split(/\n{2,}/).map((p) => clean(p)).filter((p): p is string => p !== null);
  return paragraphs.length > 0 ? paragraphs.join('\n\n') : null;
}

function isEmpty(value: unknown): boolean {
  if (value === null || value === undefined || value === '') return true;
  if (Array.isArray(value)) return value.length === 0;
  if (typeof value === 'object') return Object.values(value).every(isEmpty);
  return false;
}
