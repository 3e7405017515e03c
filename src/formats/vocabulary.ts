// Controlled vocabularies shared by the formats: languages, licences, access rights, text
// versions, partial dates. Pure lookups. Resource types: resource-types.ts; names: names.ts.
import type { AccessRight, FileVersion } from './common-record.ts';

const LANGUAGES: Record<string, string> = {
  eng: 'en', english: 'en', spa: 'es', spanish: 'es', espanol: 'es', fre: 'fr', fra: 'fr', french: 'fr', francais: 'fr',
  ger: 'de', deu: 'de', german: 'de', deutsch: 'de', ita: 'it', italian: 'it', por: 'pt', portuguese: 'pt', rus: 'ru',
  russian: 'ru', chi: 'zh', zho: 'zh', chinese: 'zh', jpn: 'ja', japanese: 'ja', dut: 'nl', nld: 'nl', dutch: 'nl',
  swe: 'sv', swedish: 'sv', fin: 'fi', finnish: 'fi', dan: 'da', danish: 'da', nor: 'no', norwegian: 'no', pol: 'pl',
  polish: 'pl', cze: 'cs', ces: 'cs', czech: 'cs', gre: 'el', ell: 'el', greek: 'el', tur: 'tr', turkish: 'tr',
  ara: 'ar', arabic: 'ar', kor: 'ko', korean: 'ko', wel: 'cy', cym: 'cy', welsh: 'cy', gle: 'ga', irish: 'ga',
  cat: 'ca', catalan: 'ca', hun: 'hu', hungarian: 'hu', ukr: 'uk', ukrainian: 'uk', lat: 'la', latin: 'la',
};

/** ISO 639-1 where known; a 2- or 3-letter code is kept lower-cased; anything else is null. */
export function languageCode(value: string | undefined): string | null {
  if (!value) return null;
  const v = value.trim().toLowerCase().normalize('NFD').replace(/[\u0300-\u036f]/g, '');
  const base = v.split(/[-_]/)[0]!;
  if (/^[a-z]{2}$/.test(base)) return base;
  return LANGUAGES[base] ?? (/^[a-z]{3}$/.test(base) ? base : null);
}

const EPRINTS_LICENCES: Record<string, string> = {
  cc_by: 'https://creativecommons.org/licenses/by/4.0/',
  cc_by_4: 'https://creativecommons.org/licenses/by/4.0/',
  cc_by_sa: 'https://creativecommons.org/licenses/by-sa/4.0/',
  cc_by_sa_4: 'https://creativecommons.org/licenses/by-sa/4.0/',
  cc_by_nd: 'https://creativecommons.org/licenses/by-nd/4.0/',
  cc_by_nd_4: 'https://creativecommons.org/licenses/by-nd/4.0/',
  cc_by_nc: 'https://creativecommons.org/licenses/by-nc/4.0/',
  cc_by_nc_4: 'https://creativecommons.org/licenses/by-nc/4.0/',
  cc_by_nc_sa: 'https://creativecommons.org/licenses/by-nc-sa/4.0/',
  cc_by_nc_sa_4: 'https://creativecommons.org/licenses/by-nc-sa/4.0/',
  cc_by_nc_nd: 'https://creativecommons.org/licenses/by-nc-nd/4.0/',
  cc_by_nc_nd_4: 'https://creativecommons.org/licenses/by-nc-nd/4.0/',
  cc_public_domain: 'https://creativecommons.org/publicdomain/zero/1.0/',
  cc0: 'https://creativecommons.org/publicdomain/zero/1.0/',
};

/** A licence URL or an EPrints licence id (`cc_by_nc_nd`) → a licence URL; else null. */
export function licenceUrl(value: string): string | null {
  const v = value.trim();
  if (/^https?:\/\/(?:www\.)?(?:creativecommons\.org|opensource\.org|rightsstatements\.org)\//i.test(v)) return v;
  return EPRINTS_LICENCES[v.toLowerCase()] ?? null;
}

export function accessRight(value: string): AccessRight | null {
  const v = value.trim().toLowerCase();
  if (/openaccess$|c_abf2$|^public$|^open$/.test(v)) return 'open';
  if (/embargoedaccess$|c_f1cf$|^embargoed$/.test(v)) return 'embargoed';
  if (/restrictedaccess$|closedaccess$|c_16ec$|c_14cb$|^(staffonly|validuser|restricted)$/.test(v)) return 'restricted';
  if (/metadataonlyaccess$/.test(v)) return 'metadataOnly';
  return null;
}

/** EPrints document `content`, RIOXX v2 `version`, COAR version URIs → a file version. */
export function fileVersion(value: string | undefined): FileVersion | null {
  if (!value) return null;
  const v = value.trim().toLowerCase();
  if (/^(accepted|am|acceptedversion|postprint)$|c_ab4af688f83e57aa$/.test(v)) return 'accepted';
  if (/^(published|vor|cvor|evor|publishedversion|p)$|c_970fb48d4fbd8a8/.test(v)) return 'published';
  if (/^(submitted|draft|smur|ao|submittedversion|preprint)$|c_71e4c1898caa6e32$|c_b1a7d7d4d402bcce$/.test(v)) return 'submitted';
  return null;
}

const VERSION_ORDER: readonly FileVersion[] = ['published', 'accepted', 'submitted'];

/** The best version among a record's files: the version of record over the accepted manuscript over the submitted one. */
export function bestVersion(versions: readonly (FileVersion | null)[]): FileVersion | null {
  return VERSION_ORDER.find((v) => versions.includes(v)) ?? null;
}

/**
 * The version of the text a statement names: a type label ("accepted version", "Article,
 * scholarly/refereed, author accepted manuscript", OpenAIRE's …/acceptedVersion), or a
 * sentence such as "This is the author accepted manuscript." in a description or rights.
 */
export function statedVersion(text: string): FileVersion | null {
  const v = text.toLowerCase();
  if (/\b(?:accepted ?(?:version|manuscript)|author'?s'? accepted|postprint|post-print|final draft post-refereeing)\b|^am$/.test(v)) return 'accepted';
  // Elsevier's notice: "this is the author's version of a work that was accepted for publication".
  if (/\bauthor'?s'? (?:final )?version of (?:a|the) (?:work|article|paper) (?:that|which) (?:was|has been) accepted\b/.test(v)) return 'accepted';
  if (/\b(?:published ?version|publisher'?s?'? (?:version|pdf)|version of record|final published version)\b|^vor$/.test(v)) return 'published';
  if (/\b(?:submitted ?(?:version|manuscript)|pre-?print|author'?s'? original|original submitted)\b|^(?:ao|smur)$/.test(v)) return 'submitted';
  return null;
}

/** A sentence that states the version of the text the record holds, as repositories write it. */
export const VERSION_SENTENCE = /^(?:notice:\s*)?(?:this (?:is|item is) (?:the|an?) |this version is the |version: )/i;

const PARTIAL = /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2})?)(?:\.\d+)?(Z|[+-]\d{2}:?\d{2})?)?)?)?$/;

const PLAIN_DATE = /^\d{4}(?:-(?:0[1-9]|1[0-2])(?:-(?:0[1-9]|[12]\d|3[01]))?)?$/;
const CANONICAL_STAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

/**
 * A date kept as precise as given: "2021", "2021-09", "2021-09-30", or a UTC timestamp
 * "2021-07-30T08:45:00Z" (EPrints' "2021-07-30 08:45:00" is UTC). Never invents a day.
 */
export function partialDate(value: string | undefined): string | null {
  if (!value) return null;
  const v = value.trim();
  // The common shapes need no work.
  if ((PLAIN_DATE.test(v) && (v.length < 10 || validDay(v.slice(0, 4), v.slice(5, 7), v.slice(8)))) || CANONICAL_STAMP.test(v)) return v;
  const m = PARTIAL.exec(v);
  if (!m) return freeTextDate(v);
  const [, year, month, day, time, zone] = m;
  if (month === undefined || !validMonth(month)) return year!;
  if (day === undefined || !validDay(year!, month, day)) return `${year}-${month}`;
  if (time === undefined) return `${year}-${month}-${day}`;
  const iso = `${year}-${month}-${day}T${time.length === 5 ? `${time}:00` : time}${zone ? (zone === 'Z' ? 'Z' : zone) : 'Z'}`;
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? `${year}-${month}-${day}` : new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const MONTH_NAME = '(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\\.?';

/**
 * Dates written other ways: "2007/12/20"; "12-20-2007" (month first) or "20.12.2007" (day
 * first) only when one number exceeds 12, so that one reading alone is possible;
 * "20 December 2007", "December 20, 2007", "March 2021"; else the year, if one is certain.
 */
function freeTextDate(v: string): string | null {
  const ymd = /^(\d{4})[/.](\d{1,2})(?:[/.](\d{1,2}))?$/.exec(v) ?? /^(\d{4})-(\d{2})-00$/.exec(v);
  if (ymd) return datePart(ymd[1]!, ymd[2]!, ymd[3]);
  const numeric = /^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})$/.exec(v);
  if (numeric) {
    const [a, b] = [Number(numeric[1]), Number(numeric[2])];
    if (a > 12 && b <= 12) return datePart(numeric[3]!, numeric[2]!, numeric[1]);
    if (b > 12 && a <= 12) return datePart(numeric[3]!, numeric[1]!, numeric[2]);
    return numeric[3]!;
  }
  const dayMonth = new RegExp(`^(\\d{1,2})(?:st|nd|rd|th)?\\s+${MONTH_NAME},?\\s+(\\d{4})$`, 'i').exec(v);
  if (dayMonth) return datePart(dayMonth[3]!, monthNumber(dayMonth[2]!), dayMonth[1]);
  const monthDay = new RegExp(`^${MONTH_NAME}\\s+(?:(\\d{1,2})(?:st|nd|rd|th)?,?\\s+)?(\\d{4})$`, 'i').exec(v);
  if (monthDay) return datePart(monthDay[3]!, monthNumber(monthDay[1]!), monthDay[2]);
  const y = /\b(1[5-9]\d{2}|20\d{2})\b/.exec(v);
  return y ? y[1]! : null;
}

function monthNumber(name: string): string {
  return String(MONTHS.indexOf(name.slice(0, 3).toLowerCase()) + 1);
}

/** As precise as the parts are valid: a day the month lacks leaves the month. */
function datePart(year: string, month: string, day: string | undefined): string {
  const mm = month.padStart(2, '0');
  if (!validMonth(mm)) return year;
  const dd = day?.padStart(2, '0');
  return dd !== undefined && validDay(year, mm, dd) ? `${year}-${mm}-${dd}` : `${year}-${mm}`;
}

function validMonth(month: string): boolean {
  const m = Number(month);
  return m >= 1 && m <= 12;
}

function validDay(year: string, month: string, day: string): boolean {
  const d = Number(day);
  return d >= 1 && d <= new Date(Date.UTC(Number(year), Number(month), 0)).getUTCDate();
}

const NEEDS_COLLAPSE = /\s\s|[\t\n\r\f\v\u00A0]/;
/** Zero-width spaces and joiners, word joiners, BOMs and soft hyphens: invisible, never meant. */
const INVISIBLE = /[\u200B-\u200D\u2060\uFEFF\u00AD]/g;
const NON_ASCII = /[^\x00-\x7F]/;

export function clean(value: string | undefined | null): string | null {
  if (value === undefined || value === null) return null;
  const visible = NON_ASCII.test(value) ? value.replace(INVISIBLE, '') : value;
  const v = (NEEDS_COLLAPSE.test(visible) ? visible.replace(/\s+/g, ' ') : visible).trim();
  return v === '' ? null : v;
}

export function unique<T>(values: readonly T[]): T[] {
  return [...new Set(values)];
}
