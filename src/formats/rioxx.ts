// RIOXX v2 (`rioxx`) and v3 (`rioxx3`) → common record fields (docs: eprints.md §5).
import { emptyFields, type DoiSource, type FileRef, type RecordFields } from './common-record.ts';
import { orcidOf, person } from './names.ts';
import { resourceType } from './resource-types.ts';
import { accessRight, bestVersion, fileVersion, languageCode, licenceUrl, partialDate, unique } from './vocabulary.ts';
import { attributesOf, childrenOf, elementOf, text, texts, textOf, type XmlElement } from './xml-form.ts';

export const RIOXX2_NS = 'http://www.rioxx.net/schema/v2.0/rioxx/';
export const RIOXX3_NS = 'http://www.rioxx.net/schema/v3.0/rioxx/';

type FieldName = (name: string) => string;

export function fromRioxx(root: XmlElement, version: 2 | 3): RecordFields {
  const f = emptyFields();
  const field: FieldName = (name) => `rioxx${version === 3 ? '3' : ''} ${name}`;
  const titles = texts(root, 'title');
  f.title = titles[0] ?? null;
  f.otherTitles = titles.slice(1);
  f.abstract = text(root, 'description');
  f.subjects = unique(texts(root, 'subject'));
  f.language = languageCode(text(root, 'language') ?? undefined);
  f.type = resourceType(texts(root, 'type'));
  f.creators = people(root, version === 3 ? 'creator' : 'author');
  f.contributors = people(root, 'contributor');

  const publisher = childrenOf(root, 'publisher')[0];
  const publisherElement = elementOf(publisher);
  f.publisher = publisherElement && childrenOf(publisherElement, 'name').length > 0 ? text(publisherElement, 'name') : textOf(publisher).trim() || null;

  const accepted = partialDate(text(root, 'dateAccepted') ?? undefined);
  if (accepted) f.dates.accepted = { value: accepted, field: field('dcterms:dateAccepted') };
  const published = partialDate(text(root, 'publication_date') ?? undefined);
  if (published) f.dates.published = { value: published, field: field('rioxxterms:publication_date') };
  const released = partialDate(text(root, 'record_public_release_date') ?? undefined);
  if (released) f.dates.deposited = { value: released, field: field('rioxxterms:record_public_release_date') };

  // dc:source holds the ISSN or ISBN of the container.
  for (const source of texts(root, 'source')) {
    const issn = /^(?:issn:\s*)?(\d{4}-?\d{3}[\dX])$/i.exec(source);
    if (issn) f.container.issn.push(issn[1]!.replace(/^(\d{4})-?/, '$1-'));
    else if (/^(?:isbn:\s*)?[\d-]{10,17}[\dX]$/i.test(source)) f.container.isbn.push(source.replace(/^isbn:\s*/i, '').replace(/-/g, ''));
  }
  if (version === 2) readRioxx2(root, f, field);
  else readRioxx3(root, f, field);
  return f;
}

function people(root: XmlElement, name: string) {
  return childrenOf(root, name).map((v) => {
    const el = elementOf(v);
    // v2: <rioxxterms:author id="orcid">Name</…>; v3: <rioxxterms:creator><name/><id/></…>.
    const written = el && childrenOf(el, 'name').length > 0 ? text(el, 'name') ?? '' : textOf(v).trim();
    const ids = el ? texts(el, 'id') : [];
    return person(written, orcidOf(attributesOf(v)['id']) ?? ids.map(orcidOf).find((o) => o !== null) ?? null);
  });
}

/** RIOXX v2: one version and licence for the record, files as identifiers, funding as projects. */
function readRioxx2(root: XmlElement, f: RecordFields, field: FieldName): void {
  const fileVersionValue = fileVersion(text(root, 'version') ?? undefined);
  if (fileVersionValue) f.version = { value: fileVersionValue, field: field('rioxxterms:version') };
  const licences = childrenOf(root, 'license_ref');
  const licence = licences.map((l) => textOf(l).trim()).find((l) => l !== '') ?? null;
  f.licence = licence;
  const licenceStart = partialDate(attributesOf(licences[0])['start_date']);
  const freeToRead = partialDate(attributesOf(childrenOf(root, 'free_to_read')[0])['start_date']);
  f.files = texts(root, 'identifier')
    .filter((u) => /^https?:\/\//i.test(u))
    .map((url): FileRef => ({
      url, mimeType: text(root, 'format'), version: fileVersionValue, licence, access: null, embargoUntil: licenceStart,
    }));
  const available = freeToRead ?? licenceStart;
  if (available) f.dates.available = { value: available, field: field(freeToRead ? 'ali:free_to_read@start_date' : 'ali:license_ref@start_date') };
  const candidates: DoiSource[] = [];
  for (const v of texts(root, 'version_of_record')) candidates.push({ value: v, field: field('rioxxterms:version_of_record'), rank: 1 });
  f.doiCandidates = candidates;
  for (const project of childrenOf(root, 'project')) {
    const a = attributesOf(project);
    f.funding.push({ funder: a['funder_name'] ?? null, funderId: a['funder_id'] ?? null, award: textOf(project).trim() || null });
  }
}

/** RIOXX v3: each file a relation with its own version, licence, access and dates. */
function readRioxx3(root: XmlElement, f: RecordFields, field: FieldName): void {
  f.landingPage = texts(root, 'identifier').find((u) => /^https?:\/\//i.test(u)) ?? null;
  const candidates: DoiSource[] = [];
  let firstDeposit: string | null = null;
  let firstExposed: string | null = null;
  for (const relation of childrenOf(root, 'relation')) {
    const a = attributesOf(relation);
    const url = textOf(relation).trim();
    if (a['rel'] === 'item') {
      const version = fileVersion(a['coar_version']);
      const deposit = partialDate(a['deposit_date']);
      const exposed = partialDate(a['resource_exposed_date']);
      const access = a['access_rights'] ? accessRight(a['access_rights']) : null;
      f.files.push({
        url, mimeType: a['type'] ?? null, version, licence: a['license_ref'] ? licenceUrl(a['license_ref']) ?? a['license_ref'] : null,
        access, embargoUntil: access === 'embargoed' ? exposed : null,
      });
      if (deposit && (version === 'accepted' || version === 'published') && (!firstDeposit || deposit < firstDeposit)) firstDeposit = deposit;
      if (exposed && (!firstExposed || exposed < firstExposed)) firstExposed = exposed;
    } else if (a['rel'] === 'cite-as') {
      const handle = /^https?:\/\/hdl\.handle\.net\/(.+)$/i.exec(url);
      if (handle) f.identifiers.push({ scheme: 'handle', value: handle[1]! });
      candidates.push({ value: url, field: field('dc:relation cite-as'), rank: 2 });
    }
  }
  const held = bestVersion(f.files.map((x) => x.version));
  if (held) f.version = { value: held, field: field('dc:relation@coar_version') };
  if (firstDeposit) f.dates.firstCompliantDeposit = { value: firstDeposit, field: field('dc:relation@deposit_date') };
  if (firstExposed) f.dates.available = { value: firstExposed, field: field('dc:relation@resource_exposed_date') };
  f.licence = f.files.map((x) => x.licence).find((l) => l !== null) ?? null;
  for (const ext of childrenOf(root, 'ext_relation')) {
    const rel = attributesOf(ext)['rel'];
    candidates.push({ value: textOf(ext).trim(), field: field('rioxxterms:ext_relation'), rank: rel === 'cite-as' ? 1 : 2 });
  }
  f.doiCandidates = candidates;
  for (const grant of childrenOf(root, 'grant')) {
    const a = attributesOf(grant);
    f.funding.push({ funder: a['funder_name'] ?? null, funderId: a['funder_id'] ?? null, award: textOf(grant).trim() || null });
  }
}
