// oai_dc → common record fields. Dublin Core is thin and ambiguous, so each repository
// platform's conventions are read explicitly (docs: eprints.md §1.6 and §6).
import { decodeSetSpec } from '../oai/setspec.ts';
import type { OaiHeader } from '../oai/types.ts';
import { containerFromEprintsCitation, containerFromSource } from './citation.ts';
import { emptyFields, type DoiSource, type FileRef, type FileVersion, type Identifier, type RecordFields, type Sourced } from './common-record.ts';
import { people, person, stripRole } from './names.ts';
import { coarConcept, isContribution, isJournalPiece, resourceType, seriesType } from './resource-types.ts';
import { accessRight, clean, languageCode, licenceUrl, partialDate, statedVersion, unique, VERSION_SENTENCE } from './vocabulary.ts';

export type DublinCore = Record<string, string[]>;

const URL = /^https?:\/\/\S+$/i;
const FILE_EXTENSION = /\.(pdf|docx?|odt|rtf|txt|xlsx?|csv|zip|tar|gz|pptx?|epub|xml|jpe?g|png|tiff?|mp[34]|wav|html?)$/i;
const PEER_REVIEW = /^(?:info:eu-repo\/semantics\/)?(non)?[- ]?(?:peer[- ]?reviewed|refereed)$/i;
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/;
/** EPrints' abstract page: {base}/{id}/ or {base}/id/eprint/{id}/. */
const EPRINT_PAGE = /^https?:\/\/[^/]+\/(?:id\/eprint\/)?(\d+)\/?$/;
const NO_ONE = /^(?:anonymous|unknown|n\/?a|none|not available)$/i;

/** Platforms whose records all are one kind of work, and where they write the kind (PMC: dc:subject). */
const PLATFORMS: { identifier: RegExp; type: string; typesInSubjects?: boolean; always?: boolean }[] = [
  { identifier: /^oai:arXiv\.org:/i, type: 'preprint' },
  // Dryad holds only data: its "Article" label names the paper a data package supports.
  { identifier: /^oai:datadryad\.org:/i, type: 'dataset', always: true },
  { identifier: /^oai:pubmedcentral\.nih\.gov:/i, type: 'journal article', typesInSubjects: true },
  // A publisher's own provider: every record is a piece of one of its journals.
  { identifier: /^oai:nature\.com:/i, type: 'journal article' },
];

interface DcContext {
  all: (name: string) => string[];
  header: OaiHeader;
  eprintId: string | undefined;
}

export function fromOaiDc(dc: DublinCore, header: OaiHeader): RecordFields {
  const f = emptyFields();
  const all = (name: string) => (dc[name] ?? []).map((v) => clean(v)).filter((v): v is string => v !== null);
  const ctx: DcContext = { all, header, eprintId: /^oai:[^:]+:(\d+)$/.exec(header.identifier)?.[1] };
  // Titles with inline markup (<em>Noturus stimosus</em>) read as plain text.
  const titles = all('title').map(plainText).filter((t): t is string => t !== null);
  f.title = titles[0] ?? null;
  f.otherTitles = titles.slice(1);
  Object.assign(f, creatorsOf(ctx));
  const descriptions = all('description').map(plainText).filter((d): d is string => d !== null);
  // A note on the version ("This is the accepted manuscript.") is not the abstract.
  f.abstract = descriptions.find((d) => !VERSION_SENTENCE.test(d)) ?? descriptions[0] ?? null;
  f.subjects = unique(all('subject'));
  f.publisher = all('publisher')[0] ?? null;
  readType(ctx, f);
  f.version = versionOf(ctx, descriptions);
  // EPrints lists each document's language before the record's own, which comes last.
  const languages = all('language');
  f.language = languageCode(ctx.eprintId ? languages.at(-1) : languages[0]);
  readLinks(ctx, f);
  readContainer(ctx, f);
  f.doiCandidates = doiCandidates(ctx, f.citation, descriptions);
  f.funding = fundingOf(all('relation'));
  readDates(ctx, f);
  return f;
}

/** Creators, or the contributors whose role is author when a platform lists authors that way. */
function creatorsOf({ all }: DcContext): Pick<RecordFields, 'creators' | 'contributors'> {
  const named = (values: string[]) => values.flatMap(people).map((n) => person(n)).filter((p) => p.name !== '' && !NO_ONE.test(p.name));
  const contributors = all('contributor');
  const creators = named(all('creator'));
  if (creators.length > 0) return { creators, contributors: named(contributors) };
  // Authors first; a score's composer or a compilation's compiler when no one is named author.
  const byRole = (roles: string[]) => contributors.filter((c) => roles.includes(stripRole(c).role ?? ''));
  const authors = [byRole(['author', 'creator']), byRole(['composer', 'compiler', 'artist', 'photographer'])].find((a) => a.length > 0) ?? [];
  return { creators: named(authors), contributors: named(contributors.filter((c) => !authors.includes(c))) };
}

function readType({ all, header }: DcContext, f: RecordFields): void {
  const types = all('type');
  const review = types.map((t) => PEER_REVIEW.exec(t)).find((m) => m !== null);
  if (review) f.peerReviewed = review[1] === undefined;
  if (f.peerReviewed === null && types.some((t) => /\b(?:scholarly\/)?refereed\b/i.test(t) && !/non-?refereed/i.test(t))) f.peerReviewed = true;
  // Version-only labels (…/acceptedVersion, "published version") say nothing of the kind of work.
  const labels = types.filter((t) => !PEER_REVIEW.test(t) && !(statedVersion(t) && !coarConcept(t)));
  const platform = PLATFORMS.find((p) => p.identifier.test(header.identifier));
  // Sets and series named for a kind of work (EPrints "types=article", Zenodo "software",
  // Digital Commons "Master's Theses and Project Reports") say what plain "Text" does not.
  // A set named "research" or "data" is a collection, not a kind of work.
  const fromSets = header.setSpecs.map(decodeSetSpec).map((s) => s.replace(/^(?:types?=|publication:)/, ''))
    .filter((s) => !/[:=]/.test(s) && !/^(?:research|data|text|other|misc|documents?)$/i.test(s));
  const series = [...all('source'), ...all('relation')].filter((v) => !URL.test(v)).map(seriesType).filter((t): t is string => t !== undefined);
  const fallback = [...(platform?.typesInSubjects ? all('subject') : []), ...series, ...fromSets, ...(platform ? [platform.type] : [])];
  f.type = platform?.always ? { ...resourceType([platform.type]), original: labels } : resourceType(labels, fallback);
}

/** The version of the text, where a type label or a sentence about the record states it. */
function versionOf({ all }: DcContext, descriptions: string[]): Sourced<FileVersion> | null {
  for (const t of all('type')) {
    const v = statedVersion(t);
    if (v) return { value: v, field: 'dc:type' };
  }
  for (const [field, values] of [['dc:description', descriptions], ['dc:rights', all('rights')]] as const) {
    for (const text of values) {
      const v = VERSION_SENTENCE.test(text) ? statedVersion(text.slice(0, 120)) : null;
      if (v) return { value: v, field };
    }
  }
  return null;
}

/** Landing page, files, rights, licence, citation and other identifiers. */
function readLinks(ctx: DcContext, f: RecordFields): void {
  const { all, eprintId } = ctx;
  const relations = all('relation');
  const identifiers = all('identifier');
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
    version: f.version?.value ?? null,
    licence: rightsValues.length === fileUrls.length ? licenceUrl(rightsValues[i]!) : null,
    access: null,
    embargoUntil: null,
  }));
  for (const value of rightsValues) {
    const licence = licenceUrl(value);
    const access = accessRight(value);
    if (licence) f.licence ??= licence;
    else if (access) for (const file of f.files) file.access ??= access;
    else f.rights.push(value);
  }

  // Citation: EPrints' plain-text identifier (not a URL, not a URI).
  f.citation = identifiers.find((v) => !URL.test(v) && !/^[a-z][\w.+-]*:\S+$/i.test(v) && v.includes(' ') && v.length > 20) ?? null;
  const ids: Identifier[] = [];
  for (const value of [...identifiers, ...relations]) {
    const id = otherIdentifier(value);
    if (id) ids.push(id);
  }
  for (const u of urls) {
    if (u !== f.landingPage && !fileUrls.includes(u) && !/doi\.org\//i.test(u) && !ids.some((i) => i.value === u)) ids.push({ scheme: 'url', value: u });
  }
  f.identifiers = uniqueIdentifiers(ids);
}

/** The ISSN, ISBN and journal/volume/issue/pages where a source, citation or bibo field says them. */
function readContainer(ctx: DcContext, f: RecordFields): void {
  const { all } = ctx;
  const source = all('source');
  const issnText = [...source, ...(f.citation ? [f.citation] : []), ...all('issn')].join(' ');
  const ids = f.identifiers;
  f.container.issn = unique([...issnText.matchAll(/(?:ISSN[:\s]*|^|\s)(\d{4}-?\d{3}[\dX])\b/gi)].map((m) => hyphenIssn(m[1]!)));
  f.container.issn.push(...ids.filter((i) => i.scheme === 'issn').map((i) => i.value).filter((v) => !f.container.issn.includes(v)));
  f.container.isbn = ids.filter((i) => i.scheme === 'isbn').map((i) => i.value);
  // bibo (CyberLeninka): the journal is the first bibliographicCitation, numbers in their own fields.
  const bibo = { volume: all('volume')[0] ?? null, issue: all('issue')[0] ?? null, pages: all('pages')[0] ?? null };
  const journal = all('bibliographicCitation').find((c) => !/^[\s\d-]*$/.test(c) && !/^\d{4}-\d{3}[\dX]$/.test(c));
  if (journal && (bibo.volume || bibo.issue || bibo.pages)) {
    Object.assign(f.container, { title: journal, ...bibo });
    return;
  }
  // A named container: dc:source, then the citation (EPrints' default citation of an article,
  // or a citation another platform writes in dc:identifier), then other citation-like text.
  const contribution = isContribution(f.type.coar);
  const citations = [...all('identifier'), ...all('relation')].filter((v) => v !== f.citation && !URL.test(v) && /\s/.test(v) && /\d/.test(v));
  const parsed =
    source.map((s) => containerFromSource(s, contribution)).find((c) => c !== undefined) ??
    (f.citation && ctx.eprintId && isJournalPiece(f.type.coar) ? containerFromEprintsCitation(f.citation) : undefined) ??
    [...(f.citation ? [f.citation] : []), ...citations].map((c) => containerFromSource(c)).find((c) => c !== undefined);
  if (parsed) Object.assign(f.container, parsed);
}

/**
 * Where the DOI may be: the record's own identifiers (dc:identifier, OpenAIRE altIdentifier)
 * before dc:relation, which often names other objects; then dc:source; then a DOI in a
 * sentence about where this work was published (a description or rights statement).
 */
function doiCandidates({ all }: DcContext, citation: string | null, descriptions: string[]): DoiSource[] {
  const candidates: DoiSource[] = [];
  for (const v of all('identifier')) candidates.push({ value: v, field: v === citation ? 'dc:identifier (citation)' : 'dc:identifier', rank: 2 });
  for (const v of all('relation')) {
    const alt = /^info:eu-repo\/semantics\/altIdentifier\//i.test(v);
    candidates.push({ value: v, field: alt ? 'dc:relation (altIdentifier)' : 'dc:relation', rank: alt ? 2 : 3 });
  }
  for (const v of all('source')) candidates.push({ value: v, field: 'dc:source', rank: 4 });
  for (const [field, values] of [['dc:description', descriptions], ['dc:rights', all('rights')]] as const) {
    for (const v of values) for (const statement of selfCitations(v)) candidates.push({ value: statement, field, rank: 4 });
  }
  return candidates;
}

/** Phrases that introduce this work's own published form, so a DOI after them is its DOI. */
const SELF_CITATION = /\b(?:this is (?:the|an?) [^.]{0,60}?(?:manuscript|version|article|paper)|published (?:in|as|at|by|online)|final (?:version|publication|published version)|original(?:ly)? (?:published|publication|version|is available)|first (?:appeared|published)|(?:is|are) available (?:at|from|online)|citation\s*:|cite (?:as|this)|please cite|doi of (?:this|the) (?:article|paper))/gi;

function selfCitations(text: string): string[] {
  if (!/10\.\d{4}/.test(text)) return [];
  return [...text.matchAll(SELF_CITATION)].map((m) => text.slice(m.index, m.index + 300));
}

/** OpenAIRE grant relations: info:eu-repo/grantAgreement/{funder}/{programme}/{award}/… */
function fundingOf(relations: string[]): RecordFields['funding'] {
  const funding: RecordFields['funding'] = [];
  for (const v of relations) {
    const grant = /^info:eu-repo\/grantAgreement\/([^/]+)\/([^/]*)\/([^/]+)/i.exec(v);
    if (grant) funding.push({ funder: decodeURIComponent(grant[1]!), funderId: null, award: decodeURIComponent(grant[3]!) });
  }
  return funding;
}

/**
 * dc:date does not say which date it is. Plain dates are publication dates (the earliest,
 * when an online and an issue date are both given). Timestamps are DSpace accession and
 * availability, unless they are the only dates and all equal (DSpace copies accession into
 * issued) or there is one (Digital Commons writes the publication day as a timestamp).
 */
function readDates({ all, header }: DcContext, f: RecordFields): void {
  const dates = all('date');
  const stamps = dates.filter((d) => TIMESTAMP.test(d)).sort();
  const plain = dates.filter((d) => !TIMESTAMP.test(d) && !d.startsWith('info:')).map((d) => partialDate(d)).filter((d): d is string => d !== null);
  const earliest = plain.reduce<string | undefined>((best, d) => (!best || d < best || (d.startsWith(best) && d.length > best.length) ? d : best), undefined);
  const distinctStamps = unique(stamps.map((s) => partialDate(s)).filter((d): d is string => d !== null));
  if (earliest) f.dates.published = { value: earliest, field: 'dc:date' };
  else if (distinctStamps.length === 1 && (stamps.length > 1 || !isDspace(f))) f.dates.published = { value: stamps[0]!.slice(0, 10), field: 'dc:date' };
  if (distinctStamps.length > 0 && (plain.length > 0 || stamps.length > 1 || isDspace(f))) {
    f.dates.deposited = { value: distinctStamps[0]!, field: 'dc:date (accession timestamp)' };
    if (stamps.length > 1) f.dates.available = { value: distinctStamps.at(-1)!, field: 'dc:date (available timestamp)' };
  }
  const embargoEnd = partialDate(dates.map((d) => /^info:eu-repo\/date\/embargoEnd\/(.+)$/i.exec(d)?.[1]).find((d) => d !== undefined));
  if (embargoEnd) {
    f.dates.available = { value: embargoEnd, field: 'dc:date (embargoEnd)' };
    for (const file of f.files) file.embargoUntil = embargoEnd;
  }
  const openAccess = all('rights').map(accessRight).find((a) => a !== null);
  if (openAccess) for (const file of f.files) file.access ??= openAccess;
  if (header.datestamp) f.dates.modified = { value: partialDate(header.datestamp) ?? header.datestamp, field: 'header datestamp' };
}

function isDspace(f: RecordFields): boolean {
  return /\/handle\/|hdl\.handle\.net\//.test(f.landingPage ?? '');
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

