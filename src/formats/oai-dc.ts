// oai_dc → common record fields. Dublin Core is thin and ambiguous, so each repository
// platform's conventions are read explicitly (docs: eprints.md §1.6 and §6).
import type { OaiHeader } from '../oai/types.ts';
import { emptyFields, type DoiSource, type FileRef, type Identifier, type RecordFields } from './common-record.ts';
import { accessRight, clean, fileVersion, languageCode, licenceUrl, partialDate, person, resourceType, unique } from './vocabulary.ts';

export type DublinCore = Record<string, string[]>;

const URL = /^https?:\/\/\S+$/i;
const FILE_EXTENSION = /\.(pdf|docx?|odt|rtf|txt|xlsx?|csv|zip|tar|gz|pptx?|epub|xml|jpe?g|png|tiff?|mp[34]|wav|html?)$/i;
const PEER_REVIEW = /^(?:info:eu-repo\/semantics\/)?(non)?peer[- ]?reviewed$/i;
/** OpenAIRE puts the version of the text among the types. */
const VERSION_TYPE = /^info:eu-repo\/semantics\/(submittedVersion|acceptedVersion|publishedVersion|updatedVersion|draft)$/i;
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/;
/** EPrints' abstract page: {base}/{id}/ or {base}/id/eprint/{id}/. */
const EPRINT_PAGE = /^https?:\/\/[^/]+\/(?:id\/eprint\/)?(\d+)\/?$/;

export function fromOaiDc(dc: DublinCore, header: OaiHeader): RecordFields {
  const f = emptyFields();
  const all = (name: string) => (dc[name] ?? []).map((v) => clean(v)).filter((v): v is string => v !== null);
  const eprintId = /^oai:[^:]+:(\d+)$/.exec(header.identifier)?.[1];
  const relations = all('relation');
  const identifiers = all('identifier');

  const titles = all('title');
  f.title = titles[0] ?? null;
  f.otherTitles = titles.slice(1);
  f.creators = all('creator').map((n) => person(n));
  f.contributors = all('contributor').map((n) => person(n));
  const descriptions = all('description').map(plainText).filter((d): d is string => d !== null);
  f.abstract = descriptions[0] ?? null;
  f.subjects = unique(all('subject'));
  f.publisher = all('publisher')[0] ?? null;

  // Types: the label first, PeerReviewed/NonPeerReviewed as a flag (EPrints, OpenAIRE).
  const types = all('type');
  const review = types.map((t) => PEER_REVIEW.exec(t)).find((m) => m !== null);
  if (review) f.peerReviewed = review[1] === undefined;
  f.type = resourceType(types.filter((t) => !PEER_REVIEW.test(t) && !VERSION_TYPE.test(t)));
  const textVersion = fileVersion(types.map((t) => VERSION_TYPE.exec(t)?.[1]).find((v) => v !== undefined));

  // EPrints lists each document's language before the record's own, which comes last.
  const languages = all('language');
  f.language = languageCode(eprintId ? languages.at(-1) : languages[0]);

  // Landing page: EPrints' {base}/{id}/, else a handle, else an arXiv abstract page.
  const urls = unique([...relations, ...identifiers].filter((v) => URL.test(v)));
  f.landingPage =
    (eprintId ? urls.find((u) => EPRINT_PAGE.exec(u)?.[1] === eprintId) : undefined) ??
    urls.find((u) => /^https?:\/\/hdl\.handle\.net\//i.test(u) || /\/handle\/\d+(?:\.\d+)*\/\d+\/?$/.test(u)) ??
    urls.find((u) => /arxiv\.org\/abs\//i.test(u)) ??
    identifiers.find((u) => URL.test(u) && !FILE_EXTENSION.test(u) && !/\/bitstream\/|doi\.org\//i.test(u)) ??
    null;

  // Files: EPrints {base}/{id}/{pos}/{name}, DSpace bitstreams, anything with a file name.
  const base = f.landingPage?.replace(/\/?$/, '/');
  const fileUrls = urls.filter(
    (u) => u !== f.landingPage && ((base !== undefined && u.startsWith(base) && u.length > base.length) || /\/bitstream\//.test(u) || FILE_EXTENSION.test(u)),
  );
  const formats = all('format');
  const rightsValues = all('rights');
  f.files = fileUrls.map((url, i): FileRef => ({
    url,
    mimeType: mimeType(formats.length === fileUrls.length ? formats[i] : formats.length === 1 ? formats[0] : undefined),
    version: textVersion,
    licence: rightsValues.length === fileUrls.length ? licenceUrl(rightsValues[i]!) : null,
    access: null,
    embargoUntil: null,
  }));

  // Rights: a licence, an access right, or words.
  for (const value of rightsValues) {
    const licence = licenceUrl(value);
    const access = accessRight(value);
    if (licence) f.licence ??= licence;
    else if (access) for (const file of f.files) file.access ??= access;
    else f.rights.push(value);
  }
  const openAccess = rightsValues.map(accessRight).find((a) => a !== null);

  // Citation: EPrints' plain-text identifier (not a URL, not a URI).
  const citation = identifiers.find((v) => !URL.test(v) && !/^[a-z][\w.+-]*:\S+$/i.test(v) && v.includes(' ') && v.length > 20);
  f.citation = citation ?? null;

  // Other identifiers.
  const ids: Identifier[] = [];
  for (const value of [...identifiers, ...relations]) {
    const id = otherIdentifier(value);
    if (id) ids.push(id);
  }
  for (const u of urls) {
    if (u !== f.landingPage && !fileUrls.includes(u) && !/doi\.org\//i.test(u) && !ids.some((i) => i.value === u)) ids.push({ scheme: 'url', value: u });
  }
  f.identifiers = uniqueIdentifiers(ids);

  // Container: the ISSN, and journal/volume/issue/pages where a citation or source says them.
  const source = all('source');
  const issnText = [...source, ...(citation ? [citation] : [])].join(' ');
  f.container.issn = unique([...issnText.matchAll(/ISSN[:\s]*(\d{4}-?\d{3}[\dX])/gi)].map((m) => hyphenIssn(m[1]!)));
  f.container.issn.push(...ids.filter((i) => i.scheme === 'issn').map((i) => i.value).filter((v) => !f.container.issn.includes(v)));
  f.container.isbn = ids.filter((i) => i.scheme === 'isbn').map((i) => i.value);
  Object.assign(f.container, containerFrom(source[0], citation));

  // DOI: relations (official_url, id_number, altIdentifier) before identifiers before text.
  const candidates: DoiSource[] = [];
  for (const v of relations) candidates.push({ value: v, field: 'dc:relation', rank: 2 });
  for (const v of identifiers) candidates.push({ value: v, field: v === citation ? 'dc:identifier (citation)' : 'dc:identifier', rank: 3 });
  for (const v of source) candidates.push({ value: v, field: 'dc:source', rank: 3 });
  f.doiCandidates = candidates;

  // Funding (OpenAIRE): info:eu-repo/grantAgreement/{funder}/{programme}/{award}/…
  for (const v of relations) {
    const grant = /^info:eu-repo\/grantAgreement\/([^/]+)\/([^/]*)\/([^/]+)/i.exec(v);
    if (grant) f.funding.push({ funder: decodeURIComponent(grant[1]!), funderId: null, award: decodeURIComponent(grant[3]!) });
  }

  // Dates: dc:date does not say which date it is. Timestamps are DSpace accession and
  // availability; an OpenAIRE embargo end is a date of access; the rest is publication.
  const dates = all('date');
  const embargo = dates.map((d) => /^info:eu-repo\/date\/embargoEnd\/(.+)$/i.exec(d)?.[1]).find((d) => d !== undefined);
  const stamps = dates.filter((d) => TIMESTAMP.test(d)).map((d) => partialDate(d)).filter((d): d is string => d !== null).sort();
  const plain = dates.filter((d) => !TIMESTAMP.test(d) && !d.startsWith('info:')).map((d) => partialDate(d)).filter((d): d is string => d !== null);
  if (plain[0]) f.dates.published = { value: plain[0], field: 'dc:date' };
  else if (stamps.length === 1 && !/\/handle\//.test(f.landingPage ?? '')) f.dates.published = { value: stamps[0]!, field: 'dc:date' };
  if (stamps.length > 0 && (plain.length > 0 || stamps.length > 1)) {
    f.dates.deposited = { value: stamps[0]!, field: 'dc:date (accession timestamp)' };
    if (stamps.length > 1) f.dates.available = { value: stamps.at(-1)!, field: 'dc:date (available timestamp)' };
  }
  const embargoEnd = partialDate(embargo);
  if (embargoEnd) {
    f.dates.available = { value: embargoEnd, field: 'dc:date (embargoEnd)' };
    for (const file of f.files) file.embargoUntil = embargoEnd;
  }
  if (openAccess) for (const file of f.files) file.access ??= openAccess;
  if (header.datestamp) f.dates.modified = { value: partialDate(header.datestamp) ?? header.datestamp, field: 'header datestamp' };
  return f;
}

function mimeType(format: string | undefined): string | null {
  if (!format) return null;
  const v = format.trim().toLowerCase();
  if (/^[a-z]+\/[\w.+-]+$/.test(v)) return v;
  if (v === 'pdf') return 'application/pdf';
  return null;
}

function hyphenIssn(issn: string): string {
  const compact = issn.replace('-', '').toUpperCase();
  return `${compact.slice(0, 4)}-${compact.slice(4)}`;
}

function otherIdentifier(value: string): Identifier | undefined {
  const alt = /^info:eu-repo\/semantics\/altIdentifier\/([a-z]+)\/(.+)$/i.exec(value);
  if (alt) {
    const scheme = alt[1]!.toLowerCase();
    const id = alt[2]!.trim();
    if (scheme === 'doi') return undefined;
    if (scheme === 'hdl') return { scheme: 'handle', value: id.replace(/^https?:\/\/hdl\.handle\.net\//i, '') };
    if (scheme === 'pissn' || scheme === 'eissn' || scheme === 'issn') return { scheme: 'issn', value: hyphenIssn(id) };
    if (scheme === 'isbn' || scheme === 'arxiv' || scheme === 'pmid' || scheme === 'urn') return { scheme, value: id.replace(/^arxiv:/i, '') };
    return { scheme: 'other', value: `${scheme}:${id}` };
  }
  const handle = /^(?:https?:\/\/hdl\.handle\.net\/|hdl:)(\d+(?:\.\d+)*\/\S+)$/i.exec(value);
  if (handle) return { scheme: 'handle', value: handle[1]! };
  if (/^urn:nbn:/i.test(value)) return { scheme: 'urn', value };
  const isbn = /^(?:urn:isbn:|ISBN[:\s]+)([\d-]{10,17}[\dX])$/i.exec(value);
  if (isbn) return { scheme: 'isbn', value: isbn[1]!.replace(/-/g, '') };
  const arxiv = /^(?:arxiv:|https?:\/\/arxiv\.org\/abs\/)([a-z-]+(?:\.[A-Z]{2})?\/\d{7}|\d{4}\.\d{4,5})(?:v\d+)?$/i.exec(value);
  if (arxiv) return { scheme: 'arxiv', value: arxiv[1]! };
  const pmid = /^(?:info:pmid\/|pmid:\s*)(\d+)$/i.exec(value);
  if (pmid) return { scheme: 'pmid', value: pmid[1]! };
  const pmcid = /^(PMC\d+)$/.exec(value);
  if (pmcid) return { scheme: 'pmcid', value: pmcid[1]! };
  return undefined;
}

function uniqueIdentifiers(ids: Identifier[]): Identifier[] {
  const seen = new Set<string>();
  return ids.filter((i) => {
    const key = `${i.scheme} ${i.value.toLowerCase()}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * Journal, volume, issue and pages from an OpenAIRE dc:source ("Physica B, ISSN …, Vol.
 * 413, N. 2") or an EPrints default citation ("… Journal, 71 (710). e711-e718. ISSN …").
 */
function containerFrom(source: string | undefined, citation: string | undefined): Partial<RecordFields['container']> {
  if (source) {
    // Pure writes a Harvard citation: Author YEAR, 'Title', Journal, vol. 71, no. 710, pp. …
    const head = source.split(/,\s*(?:ISSN|Vol\.?|Volume|\d{4}\b)/i)[0]!;
    const title = clean(/['"\u2019\u201D],\s*([^,]+)$/.exec(head)?.[1] ?? head);
    const volume = /\bVol(?:ume)?\.?\s*([\w-]+)/i.exec(source)?.[1] ?? null;
    const issue = /\b(?:N(?:o|um)?\.?|Issue)\s*(\d[\w-]*)/i.exec(source)?.[1] ?? null;
    const pages = /\bpp?\.\s*([A-Za-z]?\d+\s*[-–]\s*[A-Za-z]?\d+)/i.exec(source)?.[1] ?? null;
    if (title && (volume || /ISSN/i.test(source))) return { title, volume, issue, pages };
  }
  if (citation) {
    const m = /\.\s+([^.()]+?),\s*(\d+)\s*\(([^)]+)\)\.?\s*(?:(?:pp?\.\s*)?([A-Za-z]?\d+\s*[-–]\s*[A-Za-z]?\d+|Art(?:icle)?\.?\s*(?:No\.?)?\s*\w+)\.)?/.exec(citation);
    if (m) return { title: m[1]!.trim(), volume: m[2]!, issue: m[3]!.trim(), pages: m[4]?.replace(/\s+/g, '') ?? null };
    const journal = /\.\s+([^.<>]{3,}?)\.\s+ISSN\b/.exec(citation);
    if (journal) return { title: journal[1]!.trim() };
  }
  return {};
}

const HTML_ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };

/** Descriptions sent as (escaped) HTML, as Zenodo does, become plain text. */
export function plainText(value: string): string | null {
  if (!/<\/?[a-z][^>]*>|&lt;\/?[a-z]|&(?:nbsp|amp|quot);/i.test(value)) return clean(value);
  let text = value;
  for (let i = 0; i < 2 && /&(?:lt|gt|amp|nbsp|quot|apos|#\d+);/.test(text); i++) {
    text = text.replace(/&(lt|gt|amp|nbsp|quot|apos);|&#(\d+);/g, (_m, name: string | undefined, code: string | undefined) =>
      name ? HTML_ENTITIES[name]! : String.fromCodePoint(Number(code)),
    );
  }
  return clean(text.replace(/<\/(?:p|div|li|h\d)>|<br\s*\/?>/gi, '\n').replace(/<[^>]+>/g, ''));
}
