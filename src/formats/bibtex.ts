// A BibTeX file (a publisher's export, a Pure or EPrints export) → one set of record fields
// per entry. Parsed with @retorquere/bibtex-parser, the parser behind Better BibTeX: @string,
// `#`, braces, accents and text commands, month macros in any case. Titles keep the casing
// they were written in (the parser would sentence-case English ones). Pure.
import { parse, type Creator, type Entry } from '@retorquere/bibtex-parser';
import { emptyFields, type FileVersion, type Person, type RecordFields } from './common-record.ts';
import { resourceType } from './resource-types.ts';
import { clean as cleanText, languageCode, partialDate } from './vocabulary.ts';

/** The parser writes accents as combining marks (`{\'e}` → e + U+0301): composed here, as everywhere else. */
const clean = (value: string | undefined | null): string | null => cleanText(value)?.normalize('NFC') ?? null;

export interface BibtexEntry {
  /** The entry's citation key. */
  key: string;
  /** 1-based line of the file the entry starts on. */
  line: number;
  /** The entry as written. */
  source: string;
  fields: RecordFields;
}

export interface BibtexProblem {
  line: number | null;
  message: string;
}

export interface BibtexFile {
  entries: BibtexEntry[];
  /** What the parser could not read; the entries it could are kept. */
  problems: BibtexProblem[];
}

/** Entry types that are no work (`@comment`, `@preamble` and `@string` never reach here). */
const SKIPPED = new Set(['set', 'xdata']);

export function readBibtex(text: string, version: FileVersion): BibtexFile {
  const library = parse(text, { sentenceCase: false, caseProtection: false, unsupported: 'ignore' });
  const lines = lineStarts(text);
  const entries = library.entries.filter((e) => !SKIPPED.has(e.type.toLowerCase())).map((entry): BibtexEntry => {
    const at = text.indexOf(entry.input);
    return { key: entry.key, line: at === -1 ? 0 : lineOf(lines, at), source: entry.input, fields: entryFields(entry, version) };
  });
  const problems = library.errors.map((e) => {
    const at = e.input ? text.indexOf(e.input) : -1;
    return { line: at === -1 ? null : lineOf(lines, at), message: e.input ? `${e.error}: ${e.input.slice(0, 80)}` : e.error };
  });
  return { entries, problems };
}

function entryFields(entry: Entry, version: FileVersion): RecordFields {
  const f = emptyFields();
  const field = (name: string): string | null => clean(entry.fields[name as 'title']);
  f.title = field('title');
  f.abstract = field('abstract');
  f.creators = (entry.fields.author ?? []).map(person).filter((p) => p.name !== '');
  f.contributors = (entry.fields.editor ?? []).map(person).filter((p) => p.name !== '');
  f.type = resourceType([entry.type.toLowerCase()]);
  f.language = languageCode(field('langid') ?? field('language') ?? undefined);
  f.publisher = clean((entry.fields.publisher ?? entry.fields.institution ?? entry.fields.organization ?? [])[0] ?? field('school'));
  f.keywords = (entry.fields.keywords ?? []).map((k) => clean(k)).filter((k): k is string => k !== null);
  f.container = {
    title: field('journal') ?? field('journaltitle') ?? field('booktitle'),
    volume: field('volume'), issue: field('number') ?? field('issue'),
    pages: field('pages')?.replace(/\s*[-–—]+\s*/, '-') ?? field('eid'),
    issn: splitList(field('issn')), isbn: splitList(field('isbn')).map((i) => i.replace(/-/g, '')),
  };
  f.version = { value: version, field: 'bibtex source version' };
  const url = field('url');
  f.landingPage = url && !/^https?:\/\/(?:dx\.)?doi\.org\//i.test(url) ? url : null;
  const pdf = [field('eprint'), field('pdf'), field('file')].find((u) => u && /^https?:\/\/\S+\.pdf$/i.test(u));
  if (pdf) f.files = [{ url: pdf, mimeType: 'application/pdf', version, licence: null, access: null, embargoUntil: null }];
  f.dates.published = publicationDate(entry);
  f.doiCandidates = [
    ...(field('doi') ? [{ value: field('doi')!, field: 'bibtex doi', rank: 1 }] : []),
    ...(url ? [{ value: url, field: 'bibtex url', rank: 2 }] : []),
  ];
  return f;
}

function person(c: Creator): Person {
  if (c.name) return { name: clean(c.name) ?? '', family: null, given: null, orcid: null };
  const family = clean([c.prefix, c.lastName].filter(Boolean).join(' '));
  const given = clean(c.firstName);
  const name = [family, given].filter(Boolean).join(', ') + (c.suffix ? `, ${c.suffix}` : '');
  return { name, family, given, orcid: null };
}

/** `date` (biblatex), else year, month (the parser makes `aug`, `Aug`, `{nov}` and `4` numbers) and day. */
function publicationDate(entry: Entry): RecordFields['dates']['published'] {
  const date = partialDate(entry.fields['date'] as string | undefined);
  if (date) return { value: date, field: 'bibtex date' };
  const year = /^\d{4}$/.exec(String(entry.fields['year'] ?? '').trim())?.[0];
  if (!year) return null;
  const month = Number(entry.fields['month']);
  const day = Number(entry.fields['day']);
  const pad = (n: number) => String(n).padStart(2, '0');
  if (!(month >= 1 && month <= 12)) return { value: year, field: 'bibtex year' };
  if (!(day >= 1 && day <= 31)) return { value: `${year}-${pad(month)}`, field: 'bibtex year and month' };
  return { value: `${year}-${pad(month)}-${pad(day)}`, field: 'bibtex year, month and day' };
}

function splitList(value: string | null): string[] {
  return value ? value.split(/[,;\s]+/).filter((v) => v !== '') : [];
}

function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

function lineOf(starts: readonly number[], offset: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid]! <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo + 1;
}
