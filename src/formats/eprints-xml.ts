// The EPrints EP3 XML export (/cgi/export/eprint/{id}/XML/…) → common record fields.
// The only public place for KAR's deposit date, keywords, divisions and file versions.
import { emptyFields, type DoiSource, type FileRef, type Person, type RecordFields, type Sourced } from './common-record.ts';
import { orcidOf } from './names.ts';
import { resourceType } from './resource-types.ts';
import { accessRight, bestVersion, clean, fileVersion, licenceUrl, partialDate, unique } from './vocabulary.ts';
import { attributesOf, child, childrenOf, elementOf, items, text, texts, textOf, type XmlElement } from './xml-form.ts';

export const EP3_NS = 'http://eprints.org/ep2/data/2.0';

/** The <eprint> inside an <eprints> export (or the root itself when it is one). */
export function eprintElement(root: { name: string; element: XmlElement }): XmlElement | undefined {
  return root.name.endsWith('eprint') ? root.element : child(root.element, 'eprint');
}

export function fromEprintsXml(eprint: XmlElement): RecordFields {
  const f = emptyFields();
  f.title = text(eprint, 'title');
  f.abstract = clean(textOf(childrenOf(eprint, 'abstract')[0]));
  f.creators = items(eprint, 'creators').map(eprintsPerson);
  f.contributors = items(eprint, 'editors').map(eprintsPerson);
  f.type = resourceType(texts(eprint, 'type'));
  const refereed = text(eprint, 'refereed');
  if (refereed) f.peerReviewed = refereed.toUpperCase() === 'TRUE';
  f.keywords = unique(
    texts(eprint, 'keywords').flatMap((k) => k.split(/[;,\n]/)).map((k) => k.trim()).filter((k) => k !== ''),
  );
  f.subjects = items(eprint, 'subjects').map((i) => textOf(i).trim()).filter(Boolean);
  f.divisions = items(eprint, 'divisions').map((i) => textOf(i).trim()).filter(Boolean);
  f.publisher = text(eprint, 'publisher');
  f.container = {
    title: text(eprint, 'publication') ?? text(eprint, 'book_title') ?? text(eprint, 'event_title'),
    volume: text(eprint, 'volume'),
    issue: text(eprint, 'number'),
    pages: text(eprint, 'pagerange'),
    issn: texts(eprint, 'issn'),
    isbn: texts(eprint, 'isbn').map((i) => i.replace(/-/g, '')),
  };
  f.rights = texts(eprint, 'rights');
  const landing = attributesOf(eprint)['id'];
  f.landingPage = landing && /^https?:\/\//.test(landing) ? landing : null;
  readDates(eprint, f);
  readDocuments(eprint, f);
  readDoiCandidates(eprint, f);
  for (const item of items(eprint, 'funders')) {
    const el = elementOf(item);
    if (el) f.funding.push({ funder: text(el, 'agency'), funderId: null, award: text(el, 'grant_number') });
  }
  return f;
}

const at = (name: string) => `ep3 ${name}`;

function readDates(eprint: XmlElement, f: RecordFields): void {
  const date = (name: string): Sourced | null => {
    const value = partialDate(text(eprint, name) ?? undefined);
    return value ? { value, field: at(name) } : null;
  };
  // Dates: datestamp is "Date Deposited" (first live); lastmod is left to the OAI header.
  f.dates.deposited = date('datestamp');
  const dateType = text(eprint, 'date_type');
  const core = date('date');
  if (core && (dateType === 'published' || dateType === null)) f.dates.published = { ...core, field: `${core.field} (date_type ${dateType ?? 'unset'})` };
  if (core && dateType === 'accepted') f.dates.accepted = { ...core, field: `${core.field} (date_type accepted)` };
  for (const item of items(eprint, 'dates')) {
    const el = elementOf(item);
    if (!el) continue;
    const type = text(el, 'date_type');
    const value = partialDate(text(el, 'date') ?? undefined);
    if (!value) continue;
    const sourced = { value, field: at(`dates (${type})`) };
    if (type === 'accepted') f.dates.accepted ??= sourced;
    if (type === 'published') f.dates.published = sourced;
    if (type === 'published_online' && !f.dates.published) f.dates.published = sourced;
  }
  // hefce_oa (REF compliance) fields, where the repository exports them.
  f.dates.accepted = date('hoa_date_acc') ?? f.dates.accepted;
  f.dates.published = f.dates.published ?? date('hoa_date_pub');
  f.dates.firstCompliantDeposit = date('hoa_date_fcd');
  f.dates.available = date('hoa_date_foa');
}

function readDocuments(eprint: XmlElement, f: RecordFields): void {
  // Documents: one file each (the main one), with version, licence, access and embargo.
  for (const doc of childrenOf(child(eprint, 'documents') ?? {}, 'document')) {
    const el = elementOf(doc);
    if (!el) continue;
    const main = text(el, 'main');
    const files = childrenOf(child(el, 'files') ?? {}, 'file').map(elementOf).filter((x): x is XmlElement => x !== undefined);
    const file = files.find((x) => text(x, 'filename') === main) ?? files[0];
    const url = file ? text(file, 'url') : null;
    if (!url) continue;
    const security = text(el, 'security');
    const embargo = partialDate(text(el, 'date_embargo') ?? undefined);
    const ref: FileRef = {
      url,
      mimeType: (file && text(file, 'mime_type')) ?? text(el, 'mime_type') ?? text(el, 'format'),
      version: fileVersion(text(el, 'content') ?? undefined),
      licence: licenceUrl(text(el, 'license') ?? '') ?? null,
      access: embargo && security !== 'public' ? 'embargoed' : security ? accessRight(security) : null,
      embargoUntil: embargo,
    };
    f.files.push(ref);
  }
  f.licence = f.files.map((x) => x.licence).find((l) => l !== null) ?? null;
  const held = bestVersion(f.files.map((x) => x.version));
  if (held) f.version = { value: held, field: 'ep3 document content' };
}

function readDoiCandidates(eprint: XmlElement, f: RecordFields): void {
  // DOI: official_url and related DOI links, then id_number.
  const candidates: DoiSource[] = [];
  for (const v of texts(eprint, 'doi')) candidates.push({ value: v, field: at('doi'), rank: 2 });
  for (const v of texts(eprint, 'official_url')) candidates.push({ value: v, field: at('official_url'), rank: 2 });
  for (const item of items(eprint, 'related_url')) {
    const el = elementOf(item);
    if (el && text(el, 'type') === 'doi') candidates.push({ value: text(el, 'url') ?? '', field: at('related_url (doi)'), rank: 2 });
  }
  for (const v of texts(eprint, 'id_number')) candidates.push({ value: v, field: at('id_number'), rank: 2 });
  f.doiCandidates = candidates;
  const official = text(eprint, 'official_url');
  if (official && !/doi\.org\//i.test(official)) f.identifiers.push({ scheme: 'url', value: official });
}

function eprintsPerson(item: unknown): Person {
  const el = elementOf(item as never);
  const name = el ? child(el, 'name') : undefined;
  const family = name ? text(name, 'family') : null;
  const given = name ? text(name, 'given') : null;
  const written = [family, given].filter(Boolean).join(', ');
  const orcid = el ? orcidOf(text(el, 'orcid')) ?? orcidOf(text(el, 'id')) : null;
  return { name: written, family, given, orcid };
}
