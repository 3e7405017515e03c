// Works as citations: a BibTeX entry and a CSL-JSON item per work, each under a key made from
// the work alone (first author, year, first title word, and a short hash of the work id), so
// a key never changes while the work's author, year and title stay, whatever else is added.
// Pure.
import { createHash } from 'node:crypto';
import { Transform } from 'unicode2latex';
import type { Person } from '../formats/common-record.ts';
import type { Work } from '../dedupe/work.ts';

export type CitationFormat = 'bibtex' | 'csl-json';

/** Only LaTeX's special characters are escaped; text stays UTF-8, as biber and bibtex8 read it. */
const latex = new Transform('minimal');

export function citationKey(work: Work, hashLength = 4): string {
  const author = work.creators?.value[0];
  const family = author ? (author.family ?? author.name.split(',')[0] ?? '') : '';
  const year = /^\d{4}/.exec(work.dates.published?.value ?? '')?.[0] ?? 'nd';
  const word = (work.title?.value ?? '').split(/\s+/).map(ascii).find((w) => w.length > 3 && !STOP_WORDS.has(w)) ?? '';
  const hash = createHash('sha256').update(work.id).digest('hex').slice(0, hashLength);
  return `${ascii(family) || 'anon'}${year}${word}-${hash}`;
}

const STOP_WORDS = new Set(['about', 'from', 'into', 'over', 'than', 'that', 'their', 'there', 'these', 'this', 'what', 'when', 'where', 'which', 'with']);

function ascii(text: string): string {
  return text.normalize('NFKD').replace(/[^A-Za-z0-9]/g, '').toLowerCase();
}

/** BibTeX entry types by COAR concept; anything else is @misc. */
const BIBTEX_TYPES: Record<string, string> = {
  c_6501: 'article', c_2df8fbb1: 'article', c_dcae04bc: 'article', c_beb9: 'article', c_3e5a: 'article', c_efa0: 'article',
  c_5794: 'inproceedings', c_c94f: 'inproceedings', c_f744: 'proceedings', c_2f33: 'book', c_3248: 'incollection',
  c_db06: 'phdthesis', c_bdcc: 'mastersthesis', c_46ec: 'phdthesis', c_93fc: 'techreport', c_18gh: 'techreport', c_18ws: 'techreport', c_8042: 'techreport',
};

const concept = (work: Work) => work.type?.value.coar?.split('/').pop() ?? '';

export function bibtexEntry(work: Work, key: string): string {
  const type = BIBTEX_TYPES[concept(work)] ?? 'misc';
  const container = work.container?.value;
  const date = work.dates.published?.value;
  const fields: [string, string | null | undefined][] = [
    ['title', work.title ? protectCase(latex.tolatex(work.title.value)) : null],
    ['author', names(work.creators?.value)],
    [type === 'article' ? 'journal' : type === 'incollection' || type === 'inproceedings' ? 'booktitle' : 'howpublished', container?.title ? latex.tolatex(container.title) : null],
    ['volume', container?.volume], ['number', container?.issue], ['pages', container?.pages?.replace(/-/, '--')],
    ['year', date?.slice(0, 4)], ['month', date && date.length >= 7 ? MONTHS[Number(date.slice(5, 7)) - 1] : null],
    [type.endsWith('thesis') ? 'school' : type === 'techreport' ? 'institution' : 'publisher', work.publisher ? latex.tolatex(work.publisher.value) : null],
    ['issn', container?.issn.join(', ')], ['isbn', container?.isbn.join(', ')],
    ['doi', work.doi], ['url', urlOf(work)],
    ['abstract', work.abstract ? latex.tolatex(work.abstract.value) : null],
  ];
  const body = fields.filter(([, v]) => v).map(([name, value]) => `  ${name} = ${name === 'month' ? value : `{${value}}`}`);
  return `@${type}{${key},\n${body.join(',\n')}\n}\n`;
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

/**
 * Words with a capital after their first letter (GP, NHS, iPhone, McDonald) keep their casing
 * in any style: braced, as Zotero and Better BibTeX do. Escaped words (`\\&`) are left alone.
 */
function protectCase(title: string): string {
  return title.split(' ').map((word) => (/^.+[A-Z]/u.test(word) && !/[{}\\]/.test(word) ? `{${word}}` : word)).join(' ');
}

function names(people: readonly Person[] | undefined): string | null {
  if (!people || people.length === 0) return null;
  return people.map((p) => (p.family ? [p.family, p.given].filter(Boolean).map((n) => latex.tolatex(n!)).join(', ') : `{${latex.tolatex(p.name)}}`)).join(' and ');
}

function urlOf(work: Work): string | null {
  return work.doi ? `https://doi.org/${work.doi}` : (work.sources.find((s) => s.landingPage)?.landingPage ?? null);
}

/** CSL item types by COAR concept; anything else is `article` (a generic text). */
const CSL_TYPES: Record<string, string> = {
  c_6501: 'article-journal', c_2df8fbb1: 'article-journal', c_dcae04bc: 'article-journal', c_beb9: 'article-journal', c_3e5a: 'article-journal',
  c_efa0: 'review', c_5794: 'paper-conference', c_c94f: 'paper-conference', c_f744: 'book', c_2f33: 'book', c_3248: 'chapter',
  c_46ec: 'thesis', c_db06: 'thesis', c_bdcc: 'thesis', c_7a1f: 'thesis', c_93fc: 'report', c_18gh: 'report', c_18ws: 'report', c_8042: 'report',
  c_816b: 'article', c_ddb1: 'dataset', c_5ce6: 'software', c_2fe3: 'article-newspaper', c_2659: 'article-magazine', c_0640: 'periodical',
};

export interface CslName {
  family?: string;
  given?: string;
  literal?: string;
}

export interface CslItem {
  id: string;
  type: string;
  title?: string;
  author?: CslName[];
  'container-title'?: string;
  volume?: string;
  issue?: string;
  page?: string;
  ISSN?: string;
  ISBN?: string;
  publisher?: string;
  DOI?: string;
  URL?: string;
  issued?: { 'date-parts': [number, number?, number?][] };
  abstract?: string;
  language?: string;
  license?: string;
  status?: string;
}

export function cslItem(work: Work, key: string): CslItem {
  const container = work.container?.value;
  const item: CslItem = { id: key, type: CSL_TYPES[concept(work)] ?? 'article' };
  const set = <K extends keyof CslItem>(name: K, value: CslItem[K] | null | undefined) => {
    if (value !== null && value !== undefined && value !== '') item[name] = value;
  };
  set('title', work.title?.value);
  if (work.creators && work.creators.value.length > 0) item.author = work.creators.value.map(cslName);
  set('container-title', container?.title);
  set('volume', container?.volume);
  set('issue', container?.issue);
  set('page', container?.pages);
  set('ISSN', container?.issn[0]);
  set('ISBN', container?.isbn[0]);
  set('publisher', work.publisher?.value);
  set('DOI', work.doi);
  set('URL', urlOf(work));
  set('issued', dateParts(work.dates.published?.value));
  set('abstract', work.abstract?.value);
  set('language', work.language?.value);
  set('license', work.licence?.value);
  // CSL's `status` is the variable for a work's publication status.
  if (work.retracted) item.status = 'retracted';
  else if (work.corrected) item.status = 'corrected';
  return item;
}

function cslName(p: Person): CslName {
  if (!p.family) return { literal: p.name };
  return p.given ? { family: p.family, given: p.given } : { family: p.family };
}

function dateParts(date: string | undefined): CslItem['issued'] | undefined {
  const parts = /^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?/.exec(date ?? '');
  if (!parts) return undefined;
  return { 'date-parts': [[Number(parts[1]), ...(parts[2] ? [Number(parts[2])] : []), ...(parts[3] ? [Number(parts[3])] : [])] as [number, number?, number?]] };
}
