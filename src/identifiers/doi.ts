// DOIs as repositories write them (URLs, doi:, info:doi/, altIdentifier, bare, inside a
// citation) → one normalised DOI, with the reason it was chosen. Pure functions.

/** How the DOI was written where it was found. */
export type DoiForm = 'url' | 'prefixed' | 'bare' | 'text';

export interface DoiCandidate {
  /** The DOI as written (case kept), cleaned of wrappers and trailing junk. */
  doi: string;
  /** Lower-case: DOIs are case-insensitive, so this is the key to compare and merge by. */
  key: string;
  form: DoiForm;
  /** The field it came from, e.g. "dc:relation" or "rioxxterms:version_of_record". */
  field: string;
  /** Lower is more trustworthy: the field's rank, then explicit forms before DOIs inside text. */
  rank: number;
  /** Minted by a repository for its own copy (Zenodo, OSF, …), not by the publisher. */
  repository: boolean;
  raw: string;
}

export interface DoiChoice {
  doi: string;
  key: string;
  field: string;
  form: DoiForm;
  reason: string;
  /** Every distinct DOI found on the record, best first (the chosen one included). */
  all: DoiCandidate[];
  /** More than one distinct DOI was found. */
  conflict: boolean;
}

// Crossref's patterns ("DOIs and matching regular expressions", 2015), with the prefix
// allowed sub-parts (10.1000.10/…) and SICI, early Wiley and ACS forms.
const VALID = [
  /^10\.\d{4,9}(?:\.\d+)*\/[-._;()/:A-Z0-9]+$/i,
  /^10\.1002\/\S+$/i,
  /^10\.\d{4}\/\d+-\d+X?(\d+)\d+<[\d\w]+:[\d\w]*>\d+\.\d+\.\w+;\d$/i,
  /^10\.1021\/\w\w\d+$/i,
  /^10\.1207\/[\w\d]+&\d+_\d+$/i,
];

/** Funder Registry DOIs name funders, not works; never a record's DOI. */
const FUNDER_PREFIX = '10.13039/';

/** DOIs minted by repositories for their own copies (Unpaywall's list): kept, and for texts ranked last. */
const REPOSITORY_PREFIXES = ['10.17605/osf.io', '10.14279/depositonce', '10.17169/refubium', '10.3929/ethz-', '10.5281/zenodo.'];

const WRAPPERS: { pattern: RegExp; url: boolean }[] = [
  { pattern: /^info:eu-repo\/semantics\/altIdentifier\/doi\//i, url: false },
  { pattern: /^info:doi\//i, url: false },
  { pattern: /^urn:doi:/i, url: false },
  { pattern: /^doi\s*:\s*/i, url: false },
  { pattern: /^doi\s+/i, url: false },
  { pattern: /^https?:\/\/(?:dx\.|www\.)?doi\.org\//i, url: true },
  { pattern: /^(?:dx\.)?doi\.org\//i, url: true },
];

/**
 * Relations to other objects: OpenAIRE's cited works and datasets, and DataCite/DSpace-style
 * qualified relations ("IsSupplementTo: doi:…", "isPartOf 10.…", "HasVersion …"). A part, a
 * version, a package, a supplement or a cited work is never this record's DOI.
 */
const NOT_THIS_RECORD = new RegExp(
  String.raw`^(?:info:eu-repo\/semantics\/(?:reference|dataset|isReferencedBy|references|isPartOf|hasPart|isVersionOf|hasVersion|isSupplementTo|isSupplementedBy)\/` +
    String.raw`|(?:is|has)?\s*(?:part|partof|haspart|version|versionof|newversionof|previousversionof|supplementto|supplementedby|referencedby|references|cites|citedby|continues|continuedby|documents|documentedby|derivedfrom|sourceof|requires|requiredby|compiles|compiledby|describes|describedby|reviews|reviewedby|obsoletes|obsoletedby|originalformof|variantformof|relatedto|relation)(?:\s*[:=]\s*|\s+(?=doi:|https?:|10\.)))`,
  'i',
);

const INVISIBLE = /[\u200B-\u200D\u2060\uFEFF\u00AD]/g;
const IN_TEXT = /(?:https?:\/\/(?:dx\.|www\.)?doi\.org\/|doi\s*:\s*|\b)(10\.\d{4,9}(?:\.\d+)*\/[^\s"<>]+)/gi;

/**
 * Normalises one value that should be a DOI (an identifier field), or undefined when it
 * is not one. Percent-decoding happens only for URL forms: `%` is legal in a bare DOI.
 */
export function normalizeDoi(value: string): string | undefined {
  return parseIdentifierValue(value)?.doi;
}

/** A DOI whose suffix is an ISBN-13 names a whole book (Springer's 10.1007/978-3-319-…). */
export function isBookDoi(doi: string): boolean {
  const suffix = doi.slice(doi.indexOf('/') + 1);
  return /^[\d-]+$/.test(suffix) && suffix.replace(/-/g, '').length === 13;
}

export function doiKey(doi: string): string {
  return doi.toLowerCase();
}

export function isValidDoi(doi: string): boolean {
  return VALID.some((pattern) => pattern.test(doi));
}

/** https://doi.org/ form, encoding only what the DOI Handbook says must be encoded. */
export function doiUrl(doi: string): string {
  return `https://doi.org/${doi.replace(/[%"#? ]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`)}`;
}

/**
 * Every DOI in a field value. An identifier-like value yields at most one DOI in its
 * explicit form; free text (a citation) yields each DOI it mentions, as 'text'.
 */
export function findDois(value: string, field: string, fieldRank: number): DoiCandidate[] {
  const cleaned = clean(value);
  if (cleaned === '' || NOT_THIS_RECORD.test(cleaned)) return [];
  const explicit = parseIdentifierValue(cleaned);
  if (explicit) return [candidate(explicit.doi, explicit.form, field, fieldRank, value)];
  const found: DoiCandidate[] = [];
  for (const match of cleaned.matchAll(IN_TEXT)) {
    const fromUrl = /^https?:/i.test(match[0]);
    const doi = tidy(fromUrl ? percentDecode(stripQuery(match[1]!)) : match[1]!);
    if (doi && isValidDoi(doi) && !doi.startsWith(FUNDER_PREFIX)) found.push(candidate(doi, 'text', field, fieldRank, value));
  }
  return found;
}

export interface DoiChoiceOptions {
  /**
   * A repository's own DOI comes after the publisher's, so that copies of one paper merge by
   * the publisher's DOI (true for texts). A dataset's or software's repository DOI is its own.
   */
  repositoryDoisLast: boolean;
}

/**
 * The record's DOI: the most trustworthy candidate (the field's rank, explicit identifiers
 * before DOIs found in text), the first written among equals.
 */
export function chooseDoi(candidates: readonly DoiCandidate[], options: DoiChoiceOptions = { repositoryDoisLast: true }): DoiChoice | undefined {
  const byKey = new Map<string, DoiCandidate>();
  for (const c of candidates) {
    const held = byKey.get(c.key);
    if (!held || c.rank < held.rank) byKey.set(c.key, c);
  }
  const last = (c: DoiCandidate) => (options.repositoryDoisLast && c.repository ? 1 : 0);
  const all = [...byKey.values()].sort((a, b) => last(a) - last(b) || a.rank - b.rank);
  const best = all[0];
  if (!best) return undefined;
  const others = all.slice(1).map((c) => `${c.doi} (${c.field}, ${describe(c.form)})`);
  const reason = `${describe(best.form)} in ${best.field}` + (others.length > 0 ? `; preferred over ${others.join(', ')}` : '');
  return { doi: best.doi, key: best.key, field: best.field, form: best.form, reason, all, conflict: all.length > 1 };
}

function describe(form: DoiForm): string {
  return { url: 'a DOI URL', prefixed: 'a prefixed DOI', bare: 'a bare DOI', text: 'a DOI inside text' }[form];
}

function candidate(doi: string, form: DoiForm, field: string, fieldRank: number, raw: string): DoiCandidate {
  const key = doiKey(doi);
  const rank = (fieldRank + (form === 'text' ? 10 : 0)) * 10 + (form === 'bare' || form === 'prefixed' ? 1 : 0);
  return { doi, key, form, field, rank, raw, repository: REPOSITORY_PREFIXES.some((p) => key.startsWith(p)) };
}

function clean(value: string): string {
  // Plain ASCII needs neither normalisation nor invisible-character removal.
  if (!NON_ASCII.test(value)) return value.trim();
  return value.normalize('NFC').replace(INVISIBLE, '').trim();
}

const NON_ASCII = /[^\x00-\x7F]/;

function parseIdentifierValue(value: string): { doi: string; form: DoiForm } | undefined {
  let rest = clean(value);
  if (NOT_THIS_RECORD.test(rest)) return undefined;
  let fromUrl = false;
  let wrapped = false;
  // Wrappers nest: altIdentifier/doi/http://dx.doi.org/10.… (UPM's EPrints).
  for (let changed = true; changed; ) {
    changed = false;
    for (const { pattern, url } of WRAPPERS) {
      if (pattern.test(rest)) {
        rest = rest.replace(pattern, '').trim();
        fromUrl ||= url;
        wrapped = true;
        changed = true;
      }
    }
  }
  if (!rest.startsWith('10.') || /\s/.test(rest)) return undefined;
  if (fromUrl) rest = percentDecode(stripQuery(rest));
  const doi = tidy(rest);
  if (!doi || !isValidDoi(doi) || doi.startsWith(FUNDER_PREFIX)) return undefined;
  return { doi, form: fromUrl ? 'url' : wrapped ? 'prefixed' : 'bare' };
}

/**
 * A query or fragment ends a DOI URL. A "?" followed by no parameter is not a query but a
 * character the record lost ("10.1242/?jeb.124362"), and is dropped alone.
 */
function stripQuery(url: string): string {
  return url.replace(/\?(?=[^=&#]+$)/, '').replace(/[?#].*$/, '');
}

function percentDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/**
 * Drops trailing punctuation and brackets that close nothing inside the DOI; closes a bracket
 * the record left open ("…(2006/085" loses its ")" when a citation is cut short).
 */
function tidy(value: string): string | undefined {
  let doi = value.replace(/^(10\.\d+(?:\.\d+)*)\/\/+/, '$1/');
  for (let changed = true; changed; ) {
    changed = false;
    const trimmed = doi.replace(/[.,;:'"\u2019\u201D]+$/, '');
    if (trimmed !== doi) {
      doi = trimmed;
      changed = true;
    }
    for (const [open, close] of [['(', ')'], ['[', ']'], ['<', '>'], ['{', '}']] as const) {
      if (doi.endsWith(close) && count(doi, open) < count(doi, close)) {
        doi = doi.slice(0, -1);
        changed = true;
      }
    }
  }
  const unclosed = count(doi, '(') - count(doi, ')');
  if (unclosed > 0 && !doi.endsWith('(')) doi += ')'.repeat(unclosed);
  return /^10\.\d+(?:\.\d+)*\/./.test(doi) ? doi : undefined;
}

function count(text: string, char: string): number {
  let n = 0;
  for (const c of text) if (c === char) n++;
  return n;
}
