// A Crossref work as JSON (api.crossref.org/works/{doi}) → a typed value, read once at the
// edge: every field optional, arrays possibly empty, dates possibly [[null]] (docs:
// crossref-and-bibtex.md §3). Pure.

/** A Crossref date as precise as it was given: YYYY, YYYY-MM or YYYY-MM-DD. */
export type CrossrefDate = string;

export interface CrossrefPerson {
  given: string | null;
  family: string | null;
  /** Organisation authors have only a name. */
  name: string | null;
  orcid: string | null;
  sequence: string | null;
}

export interface CrossrefLicence {
  url: string;
  contentVersion: string;
  start: CrossrefDate | null;
  delayDays: number | null;
}

export interface CrossrefUpdate {
  doi: string;
  type: string;
  label: string | null;
  source: string | null;
  date: CrossrefDate | null;
}

export interface CrossrefAssertion {
  name: string;
  value: string | null;
  group: string | null;
}

export interface CrossrefFunder {
  name: string | null;
  doi: string | null;
  awards: string[];
}

export interface CrossrefWork {
  doi: string;
  type: string | null;
  subtype: string | null;
  title: string | null;
  subtitle: string | null;
  containerTitle: string | null;
  volume: string | null;
  issue: string | null;
  page: string | null;
  articleNumber: string | null;
  issn: { value: string; type: string | null }[];
  isbn: string[];
  publisher: string | null;
  language: string | null;
  abstract: string | null;
  authors: CrossrefPerson[];
  editors: CrossrefPerson[];
  funders: CrossrefFunder[];
  licences: CrossrefLicence[];
  dates: { issued: CrossrefDate | null; publishedOnline: CrossrefDate | null; publishedPrint: CrossrefDate | null; posted: CrossrefDate | null; accepted: CrossrefDate | null };
  assertions: CrossrefAssertion[];
  updateTo: CrossrefUpdate[];
  updatedBy: CrossrefUpdate[];
  landingPage: string | null;
  /** When its metadata was last deposited (a full timestamp). */
  deposited: string | null;
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const array = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const objects = (v: unknown): Json[] => array(v).filter(isObject);
const text = (v: unknown): string | null => (typeof v === 'string' && v.trim() !== '' ? v.trim() : typeof v === 'number' ? String(v) : null);
const firstText = (v: unknown): string | null => (Array.isArray(v) ? (v.map(text).find((t) => t !== null) ?? null) : text(v));

/** `{"date-parts": [[2021, 7, 30]]}` → 2021-07-30; `[[null]]`, or no parts, → null. */
export function crossrefDate(v: unknown): CrossrefDate | null {
  if (!isObject(v)) return null;
  const parts = array(array(v['date-parts'])[0]).map((p) => (typeof p === 'number' ? p : typeof p === 'string' && /^\d+$/.test(p) ? Number(p) : null));
  const [year, month, day] = parts;
  if (year === null || year === undefined || year < 1000 || year > 9999) return null;
  const pad = (n: number) => String(n).padStart(2, '0');
  if (month === null || month === undefined || month < 1 || month > 12) return String(year);
  if (day === null || day === undefined || day < 1 || day > 31) return `${year}-${pad(month)}`;
  return `${year}-${pad(month)}-${pad(day)}`;
}

function person(v: Json): CrossrefPerson {
  const orcid = text(v['ORCID']);
  return {
    given: text(v['given']), family: text(v['family']), name: text(v['name']), sequence: text(v['sequence']),
    orcid: orcid ? (/(\d{4}-\d{4}-\d{4}-\d{3}[\dX])/i.exec(orcid)?.[1]?.toUpperCase() ?? null) : null,
  };
}

function update(v: Json): CrossrefUpdate | null {
  const doi = text(v['DOI']);
  const type = text(v['type']);
  if (!doi || !type) return null;
  return { doi: doi.toLowerCase(), type, label: text(v['label']), source: text(v['source']), date: crossrefDate(v['updated']) };
}

/** The `message` of a work response, or a list response's item; null when it is not a work. */
export function readCrossrefWork(message: unknown): CrossrefWork | null {
  if (!isObject(message)) return null;
  const doi = text(message['DOI']);
  if (!doi) return null;
  return {
    doi: doi.toLowerCase(),
    type: text(message['type']), subtype: text(message['subtype']),
    title: firstText(message['title']), subtitle: firstText(message['subtitle']),
    containerTitle: firstText(message['container-title']),
    volume: text(message['volume']), issue: text(message['issue']), page: text(message['page']), articleNumber: text(message['article-number']),
    issn: issns(message),
    isbn: array(message['ISBN']).map(text).filter((i): i is string => i !== null),
    publisher: text(message['publisher']), language: text(message['language']), abstract: text(message['abstract']),
    authors: objects(message['author']).map(person), editors: objects(message['editor']).map(person),
    funders: objects(message['funder']).map((f) => ({ name: text(f['name']), doi: text(f['DOI']), awards: array(f['award']).map(text).filter((a): a is string => a !== null) })),
    licences: objects(message['license']).flatMap((l) => {
      const url = text(l['URL']);
      const delay = l['delay-in-days'];
      return url ? [{ url, contentVersion: text(l['content-version']) ?? 'unspecified', start: crossrefDate(l['start']), delayDays: typeof delay === 'number' ? delay : null }] : [];
    }),
    dates: {
      issued: crossrefDate(message['issued']), publishedOnline: crossrefDate(message['published-online']), publishedPrint: crossrefDate(message['published-print']),
      posted: crossrefDate(message['posted']), accepted: crossrefDate(message['accepted']),
    },
    assertions: objects(message['assertion']).flatMap((a) => {
      const name = text(a['name']);
      return name ? [{ name, value: text(a['value']), group: isObject(a['group']) ? text(a['group']['name']) : null }] : [];
    }),
    updateTo: objects(message['update-to']).map(update).filter((u): u is CrossrefUpdate => u !== null),
    updatedBy: objects(message['updated-by']).map(update).filter((u): u is CrossrefUpdate => u !== null),
    landingPage: isObject(message['resource']) && isObject(message['resource']['primary']) ? text(message['resource']['primary']['URL']) : null,
    deposited: isObject(message['deposited']) ? text(message['deposited']['date-time']) : null,
  };
}

function issns(message: Json): { value: string; type: string | null }[] {
  const typed = objects(message['issn-type']).flatMap((i) => {
    const value = text(i['value']);
    return value ? [{ value, type: text(i['type']) }] : [];
  });
  const untyped = array(message['ISSN']).map(text).filter((i): i is string => i !== null && !typed.some((t) => t.value === i));
  return [...typed, ...untyped.map((value) => ({ value, type: null }))];
}
