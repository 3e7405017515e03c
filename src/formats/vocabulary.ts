// Controlled vocabularies shared by the formats: COAR resource types, languages, licences,
// names, partial dates. Pure lookups.
import type { AccessRight, FileVersion, Person, ResourceType } from './common-record.ts';

const COAR = 'http://purl.org/coar/resource_type/';
const TYPES: Record<string, [string, string]> = {
  article: ['c_6501', 'journal article'],
  journalarticle: ['c_6501', 'journal article'],
  journalarticlereview: ['c_6501', 'journal article'],
  review: ['c_efa0', 'review'],
  book: ['c_2f33', 'book'],
  monograph: ['c_2f33', 'book'],
  booksection: ['c_3248', 'book part'],
  bookpart: ['c_3248', 'book part'],
  bookchapter: ['c_3248', 'book part'],
  chapter: ['c_3248', 'book part'],
  conferenceitem: ['c_c94f', 'conference object'],
  conferenceorworkshopitem: ['c_c94f', 'conference object'],
  conferenceobject: ['c_c94f', 'conference object'],
  conferencepaper: ['c_5794', 'conference paper'],
  conferencepaperproceedingabstract: ['c_c94f', 'conference object'],
  conferenceproceedings: ['c_f744', 'conference proceedings'],
  thesis: ['c_46ec', 'thesis'],
  doctoralthesis: ['c_db06', 'doctoral thesis'],
  phdthesis: ['c_db06', 'doctoral thesis'],
  masterthesis: ['c_bdcc', 'master thesis'],
  mastersthesis: ['c_bdcc', 'master thesis'],
  bachelorthesis: ['c_7a1f', 'bachelor thesis'],
  report: ['c_93fc', 'report'],
  monographseries: ['c_93fc', 'report'],
  workingpaper: ['c_8042', 'working paper'],
  preprint: ['c_816b', 'preprint'],
  dataset: ['c_ddb1', 'dataset'],
  software: ['c_5ce6', 'software'],
  patent: ['c_15cd', 'patent'],
  image: ['c_c513', 'image'],
  video: ['c_12ce', 'video'],
  audio: ['c_18cc', 'sound'],
  lecture: ['c_8544', 'lecture'],
  letter: ['c_0857', 'letter'],
  text: ['c_18cf', 'text'],
  exhibition: ['c_c94f', 'conference object'],
  other: ['c_1843', 'other'],
};
const COAR_LABELS = new Map([
  ...Object.values(TYPES).map(([id, label]) => [`${COAR}${id}`, label] as const),
  // Types that only arrive as COAR URIs (RIOXX v3).
  [`${COAR}c_2df8fbb1`, 'research article'], [`${COAR}c_dcae04bc`, 'review article'], [`${COAR}c_beb9`, 'data paper'],
  [`${COAR}c_6670`, 'conference poster'], [`${COAR}c_7ad9`, 'website'], [`${COAR}c_86bc`, 'book review'],
  [`${COAR}c_545b`, 'letter to the editor'], [`${COAR}c_ba08`, 'editorial'], [`${COAR}c_998f`, 'newspaper article'],
]);

/** The first label that maps to COAR, with every label kept as given. */
export function resourceType(labels: readonly string[]): ResourceType {
  for (const raw of labels) {
    const label = raw.trim();
    const uri = /^https?:\/\/purl\.org\/coar\/resource_type\/(c_[0-9a-f]+)/i.exec(label);
    if (uri) {
      const id = `${COAR}${uri[1]!.toLowerCase()}`;
      return { coar: id, label: COAR_LABELS.get(id) ?? null, original: [...labels] };
    }
    const key = label.replace(/^info:eu-repo\/semantics\//i, '').toLowerCase().replace(/[^a-z]/g, '');
    const hit = TYPES[key];
    if (hit) return { coar: `${COAR}${hit[0]}`, label: hit[1], original: [...labels] };
  }
  return { coar: null, label: null, original: [...labels] };
}

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

const ORCID = /(\d{4}-\d{4}-\d{4}-\d{3}[\dX])/;

export function orcidOf(value: string | undefined | null): string | null {
  const m = value ? ORCID.exec(value) : null;
  return m ? m[1]! : null;
}

/** "Family, Given" as EPrints, DSpace and arXiv write names; other shapes keep the name only. */
export function person(name: string, orcid: string | null = null): Person {
  let written = name.replace(/\s+/g, ' ').trim();
  const inName = orcidOf(written);
  if (inName) written = written.replace(/\s*[(\[]?\s*(?:https?:\/\/orcid\.org\/)?\d{4}-\d{4}-\d{4}-\d{3}[\dX]\s*[)\]]?\s*/, ' ').trim();
  const comma = written.indexOf(',');
  const family = comma > 0 ? written.slice(0, comma).trim() : null;
  const given = comma > 0 ? written.slice(comma + 1).replace(/\s*\([^)]*\)\s*$/, '').trim() || null : null;
  return { name: written, family, given, orcid: orcid ?? inName };
}

const PARTIAL = /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2})?)(?:\.\d+)?(Z|[+-]\d{2}:?\d{2})?)?)?)?$/;

/**
 * A date kept as precise as given: "2021", "2021-09", "2021-09-30", or a UTC timestamp
 * "2021-07-30T08:45:00Z" (EPrints' "2021-07-30 08:45:00" is UTC). Never invents a day.
 */
const PLAIN_DATE = /^\d{4}(?:-(?!00)\d{2}(?:-(?!00)\d{2})?)?$/;
const CANONICAL_STAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

export function partialDate(value: string | undefined): string | null {
  if (!value) return null;
  const v = value.trim();
  // The common shapes need no work.
  if (PLAIN_DATE.test(v) || CANONICAL_STAMP.test(v)) return v;
  const m = PARTIAL.exec(v);
  if (!m) {
    // Free text such as "March 2021" or "2021-03-00": keep what is certain.
    const ym = /^(\d{4})-(\d{2})-00$/.exec(v) ?? /^(\d{4})-(\d{2})$/.exec(v);
    if (ym) return `${ym[1]}-${ym[2]}`;
    const y = /\b(1[5-9]\d{2}|20\d{2})\b/.exec(v);
    return y ? y[1]! : null;
  }
  const [, year, month, day, time, zone] = m;
  if (month === undefined || month === '00') return year!;
  if (day === undefined || day === '00') return `${year}-${month}`;
  if (time === undefined) return `${year}-${month}-${day}`;
  const iso = `${year}-${month}-${day}T${time.length === 5 ? `${time}:00` : time}${zone ? (zone === 'Z' ? 'Z' : zone) : 'Z'}`;
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? `${year}-${month}-${day}` : new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

const NEEDS_COLLAPSE = /\s\s|[\t\n\r\f\v\u00A0]/;

export function clean(value: string | undefined | null): string | null {
  if (value === undefined || value === null) return null;
  const v = (NEEDS_COLLAPSE.test(value) ? value.replace(/\s+/g, ' ') : value).trim();
  return v === '' ? null : v;
}

export function unique<T>(values: readonly T[]): T[] {
  return [...new Set(values)];
}
