// Resource type labels as repositories write them → COAR Resource Types 3.x. Every label of a
// record is read and the most specific concept wins: "Text" beside "JournalArticle" is a
// journal article. Pure lookups.
import type { ResourceType } from './common-record.ts';

export const COAR_TYPES = 'http://purl.org/coar/resource_type/';

/**
 * COAR concepts by id: label and specificity. 0 is a catch-all (text, other), 1 a broad
 * class, 2 a kind of work, 3 a kind of that kind. Among labels, the most specific wins.
 */
const CONCEPTS: Record<string, [label: string, specificity: number]> = {
  c_18cf: ['text', 0], c_1843: ['other', 0],
  c_ddb1: ['dataset', 1], c_c513: ['image', 1], c_18cc: ['sound', 1], c_5ce6: ['software', 1], c_12cc: ['cartographic material', 1],
  c_e9a0: ['interactive resource', 1], c_393c: ['workflow', 1], c_15cd: ['patent', 1], c_e059: ['learning object', 1],
  c_8a7e: ['moving image', 1], '542X-3S04': ['design', 1],
  c_6501: ['journal article', 2], c_3e5a: ['contribution to journal', 2], c_2f33: ['book', 2], c_c94f: ['conference output', 2],
  c_46ec: ['thesis', 2], c_93fc: ['report', 2], c_8042: ['working paper', 2], c_816b: ['preprint', 2], c_efa0: ['review', 2],
  c_8544: ['lecture', 2], c_0857: ['letter', 2], c_0640: ['journal', 2], c_2659: ['periodical', 2], c_2cd9: ['magazine', 2],
  c_0040: ['manuscript', 2], c_1162: ['annotation', 2], c_86bc: ['bibliography', 2], c_6947: ['blog post', 2],
  c_71bd: ['technical documentation', 2], c_baaf: ['research proposal', 2], c_2fe3: ['newspaper', 2], c_18cw: ['musical notation', 2],
  c_ab20: ['data management plan', 2], c_ecc8: ['still image', 2], c_12cd: ['map', 2], c_7ad9: ['website', 2],
  c_18cd: ['musical composition', 2], c_c950: ['research software', 2], 'QH80-2R4E': ['source code', 2], c_12ce: ['video', 2],
  'NHD0-W6SY': ['survey data', 2], 'CQMR-7K63': ['recorded data', 2], 'FF4C-28RK': ['observational data', 2],
  '63NG-B465': ['experimental data', 2], 'W2XT-7017': ['simulation data', 2], c_cb28: ['clinical trial data', 2],
  c_2df8fbb1: ['research article', 3], c_dcae04bc: ['review article', 3], c_beb9: ['data paper', 3], c_7acd: ['corrigendum', 3],
  c_b239: ['editorial', 3], c_545b: ['letter to the editor', 3], c_ba08: ['book review', 3], 'D97F-VB57': ['commentary', 3],
  'H9BQ-739P': ['peer review', 3], c_3248: ['book part', 3], c_f744: ['conference proceedings', 3], c_5794: ['conference paper', 3],
  c_6670: ['conference poster', 3], c_18cp: ['conference paper not in proceedings', 3], c_18co: ['conference poster not in proceedings', 3],
  'R60J-J5BD': ['conference presentation', 3], c_db06: ['doctoral thesis', 3], c_bdcc: ['master thesis', 3], c_7a1f: ['bachelor thesis', 3],
  c_18gh: ['technical report', 3], c_18ws: ['research report', 3], c_186u: ['policy report', 3], c_18op: ['project deliverable', 3],
  c_18ww: ['internal report', 3], c_18wq: ['other type of report', 3], c_18wz: ['memorandum', 3], c_ba1f: ['report part', 3],
  c_18hj: ['report to funding agency', 3], c_998f: ['newspaper article', 3], c_7877: ['clinical study', 3],
};

/**
 * Labels, lower-cased with everything but letters dropped, as EPrints, DSpace, Digital
 * Commons, Pure/OpenAIRE (info:eu-repo/semantics/…), RIOXX, DataCite resourceTypeGeneral,
 * DCMI types and the EPrints type vocabulary (purl.org/eprint/type/…) write them.
 */
const LABELS: Record<string, string> = {
  text: 'c_18cf', document: 'c_18cf', other: 'c_1843', misc: 'c_1843',
  article: 'c_6501', articles: 'c_6501', journalarticle: 'c_6501', journalarticlereview: 'c_6501', 
  journalpaginated: 'c_6501', journalonlineunpaginated: 'c_6501', scholarlyarticle: 'c_6501', academicarticle: 'c_6501',
  peerreviewedarticle: 'c_6501', refereedarticle: 'c_6501', articleinjournal: 'c_6501', journalcontribution: 'c_6501',
  contributiontoperiodical: 'c_3e5a', contributiontojournal: 'c_3e5a',
  researcharticle: 'c_2df8fbb1', originalarticle: 'c_2df8fbb1', originalresearch: 'c_2df8fbb1', research: 'c_2df8fbb1',
  reviewarticle: 'c_dcae04bc', datapaper: 'c_beb9', editorial: 'c_b239',
  lettertotheeditor: 'c_545b', lettertoeditor: 'c_545b', corrigendum: 'c_7acd', erratum: 'c_7acd', correction: 'c_7acd',
  bookreview: 'c_ba08', commentary: 'D97F-VB57', commentaries: 'D97F-VB57', comment: 'D97F-VB57', newsandviews: 'D97F-VB57',
  // In a journal a "Review" is a review article; a review of one book says so ("Book review").
  review: 'c_dcae04bc', reviews: 'c_dcae04bc', reviewarticles: 'c_dcae04bc', peerreview: 'H9BQ-739P', letter: 'c_0857',
  book: 'c_2f33', books: 'c_2f33', monographorbook: 'c_2f33', editedbook: 'c_2f33', authoredbook: 'c_2f33',
  booksection: 'c_3248', bookpart: 'c_3248', bookchapter: 'c_3248', bookchapters: 'c_3248', chapter: 'c_3248', chapterinbook: 'c_3248',
  partofbook: 'c_3248', inbook: 'c_3248', incollection: 'c_3248', contributiontobook: 'c_3248',
  conference: 'c_c94f', conferenceitem: 'c_c94f', conferenceorworkshopitem: 'c_c94f', conferenceobject: 'c_c94f',
  conferenceoutput: 'c_c94f', conferencepaperproceedingabstract: 'c_c94f', conferencecontribution: 'c_c94f',
  conferencepaper: 'c_5794', inproceedings: 'c_5794', conferenceproceeding: 'c_f744', conferenceproceedings: 'c_f744',
  proceedings: 'c_f744', conferenceposter: 'c_6670', poster: 'c_6670', conferencepresentation: 'R60J-J5BD', presentation: 'R60J-J5BD',
  thesis: 'c_46ec', theses: 'c_46ec', thesisdissertation: 'c_46ec', electronicthesisordissertation: 'c_46ec', etd: 'c_46ec',
  theseoumemoirenumeriqueelectronicthesisordissertation: 'c_46ec',
  doctoralthesis: 'c_db06', phdthesis: 'c_db06', phd: 'c_db06', doctoral: 'c_db06', dissertation: 'c_db06', doktora: 'c_db06',
  doctoraldissertation: 'c_db06', masterthesis: 'c_bdcc', mastersthesis: 'c_bdcc', masterstheses: 'c_bdcc', yukseklisans: 'c_bdcc',
  bachelorthesis: 'c_7a1f', honorsthesis: 'c_7a1f', undergraduatethesis: 'c_7a1f',
  // EPrints' "Monograph" is a report, working paper or manual (its monograph_type); a book is "Book".
  report: 'c_93fc', reports: 'c_93fc', monograph: 'c_93fc', reportorpaper: 'c_93fc', researchpaperorreport: 'c_93fc', monographseries: 'c_93fc',
  technicalreport: 'c_18gh', techreport: 'c_18gh', researchreport: 'c_18ws', policyreport: 'c_186u', projectdeliverable: 'c_18op',
  internalreport: 'c_18ww', memorandum: 'c_18wz', reportpart: 'c_ba1f', workingpaper: 'c_8042', discussionpaper: 'c_8042',
  preprint: 'c_816b', researchproposal: 'c_baaf', technicaldocumentation: 'c_71bd', lecture: 'c_8544', bibliography: 'c_86bc',
  annotation: 'c_1162', blogpost: 'c_6947', journal: 'c_0640', periodical: 'c_2659', printedserial: 'c_2659', serial: 'c_2659', publicationenserieimprimee: 'c_2659', newsletter: 'c_2659', newsletterorbulletin: 'c_2659',
  magazine: 'c_2cd9', newspaper: 'c_2fe3', newspaperarticle: 'c_998f', manuscript: 'c_0040', datamanagementplan: 'c_ab20',
  outputmanagementplan: 'c_ab20', clinicalstudy: 'c_7877',
  dataset: 'c_ddb1', datasets: 'c_ddb1', data: 'c_ddb1', surveydata: 'NHD0-W6SY', recordeddata: 'CQMR-7K63',
  observationaldata: 'FF4C-28RK', experimentaldata: '63NG-B465', simulationdata: 'W2XT-7017', clinicaltrialdata: 'c_cb28',
  software: 'c_5ce6', computerprogram: 'c_5ce6', computationalnotebook: 'c_5ce6', researchsoftware: 'c_c950', sourcecode: 'QH80-2R4E',
  image: 'c_c513', stillimage: 'c_ecc8', photograph: 'c_ecc8', photo: 'c_ecc8', picture: 'c_ecc8', movingimage: 'c_8a7e',
  audiovisual: 'c_8a7e', video: 'c_12ce', film: 'c_12ce', sound: 'c_18cc', audio: 'c_18cc', map: 'c_12cd',
  cartographicmaterial: 'c_12cc', notatedmusic: 'c_18cw', musicalnotation: 'c_18cw', musicalscore: 'c_18cw', score: 'c_18cw',
  musicalcomposition: 'c_18cd', composition: 'c_18cd', interactiveresource: 'c_e9a0', website: 'c_7ad9', webpage: 'c_7ad9',
  workflow: 'c_393c', patent: 'c_15cd', learningobject: 'c_e059', teachingresource: 'c_e059', design: '542X-3S04',
};

/** Narrower concepts of the broad classes a fallback may refine ("Thesis" in an honours-theses series). */
const BROADER: Record<string, string> = {
  c_db06: 'c_46ec', c_bdcc: 'c_46ec', c_7a1f: 'c_46ec',
  c_18gh: 'c_93fc', c_18ws: 'c_93fc', c_186u: 'c_93fc', c_18op: 'c_93fc', c_18ww: 'c_93fc', c_18wq: 'c_93fc', c_18wz: 'c_93fc',
  c_ba1f: 'c_93fc', c_18hj: 'c_93fc', c_7877: 'c_93fc',
  c_f744: 'c_c94f', c_5794: 'c_c94f', c_6670: 'c_c94f', c_18cp: 'c_c94f', c_18co: 'c_c94f', 'R60J-J5BD': 'c_c94f',
  c_2df8fbb1: 'c_6501', c_dcae04bc: 'c_6501', c_beb9: 'c_6501', c_7acd: 'c_6501',
  c_2fe3: 'c_2659', c_0640: 'c_2659', c_2cd9: 'c_2659',
};

/** Concepts that are not texts: data, images, sound, software and the like (and "other"). */
const NOT_TEXT = new Set([
  'c_1843', 'c_ddb1', 'c_c513', 'c_18cc', 'c_5ce6', 'c_12cc', 'c_e9a0', 'c_393c', 'c_15cd', 'c_e059', 'c_8a7e', '542X-3S04',
  'c_ecc8', 'c_12cd', 'c_7ad9', 'c_18cd', 'c_c950', 'QH80-2R4E', 'c_12ce', 'NHD0-W6SY', 'CQMR-7K63', 'FF4C-28RK', '63NG-B465',
  'W2XT-7017', 'c_cb28',
]);

/** Whether a COAR type URI names a text (an article, a book, a thesis, …). */
export function isText(coar: string): boolean {
  return !NOT_TEXT.has(coar.slice(COAR_TYPES.length));
}

/** Parts of a larger publication: a chapter, a conference contribution. */
const PARTS = new Set(['c_3248', 'c_c94f', 'c_5794', 'c_6670', 'c_18cp', 'c_18co', 'R60J-J5BD', 'c_ba1f']);
/** Pieces of a journal. */
const JOURNAL_PIECES = new Set(['c_6501', 'c_2df8fbb1', 'c_dcae04bc', 'c_beb9', 'c_7acd', 'c_b239', 'c_545b', 'c_ba08', 'D97F-VB57', 'c_3e5a', 'c_efa0']);

export function isPart(coar: string): boolean {
  return PARTS.has(coar.slice(COAR_TYPES.length));
}

/** A piece of a journal, a book or proceedings: what has a container. */
export function isContribution(coar: string | null): boolean {
  const id = coar?.slice(COAR_TYPES.length) ?? '';
  return PARTS.has(id) || JOURNAL_PIECES.has(id);
}

export function isJournalPiece(coar: string | null): boolean {
  return JOURNAL_PIECES.has(coar?.slice(COAR_TYPES.length) ?? '');
}

/** Label prefixes that only say which vocabulary the label is from. */
const VOCABULARY_PREFIX = /^(?:info:eu-repo\/semantics\/|https?:\/\/purl\.org\/(?:eprint\/type|dc\/dcmitype)\/|https?:\/\/schema\.org\/|https?:\/\/purl\.org\/ontology\/bibo\/|dcmitype:|bibo:)/i;
const COAR_URI = /^https?:\/\/purl\.org\/coar\/resource_type\/([A-Za-z0-9_]+-?[A-Za-z0-9]*)\/?$/;

/** The COAR concept of one label, or undefined; a composite label ("Article, scholarly/refereed, …") by its parts. */
export function coarConcept(label: string): string | undefined {
  const value = label.trim();
  const uri = COAR_URI.exec(value);
  if (uri) return CONCEPTS[uri[1]!] ? uri[1]! : (CONCEPTS[uri[1]!.toLowerCase()] ? uri[1]!.toLowerCase() : undefined);
  const whole = LABELS[key(value)];
  if (whole) return whole;
  // "Article, scholarly/refereed, author accepted manuscript": the kind of work is one part.
  let best: string | undefined;
  for (const part of value.split(/\s*[,;|]\s*|\s+[/–-]\s+/)) {
    const hit = LABELS[key(part)];
    if (hit && (!best || specificity(hit) > specificity(best))) best = hit;
  }
  return best;
}

function key(label: string): string {
  return label.replace(VOCABULARY_PREFIX, '').normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase().replace(/[^a-z]/g, '');
}

function specificity(id: string): number {
  return CONCEPTS[id]?.[1] ?? -1;
}

/**
 * The most specific concept any label names (the first among equals), with every label kept
 * as given. `fallback` labels speak only when the record's own say no more than text or
 * other, or to narrow a broad class: a set or series named for a kind of work, a platform
 * whose records are all one kind (arXiv: preprints).
 */
export function resourceType(labels: readonly string[], fallback: readonly string[] = []): ResourceType {
  let best = mostSpecific(labels, coarConcept);
  const hint = mostSpecific(fallback, coarConcept);
  if (hint && (!best || specificity(best) === 0 || BROADER[hint] === best)) best = hint;
  return best ? { coar: `${COAR_TYPES}${best}`, label: CONCEPTS[best]![0], original: [...labels] } : { coar: null, label: null, original: [...labels] };
}

/**
 * The kind of work a series or collection name implies ("Master's Theses and Project Reports",
 * "Cal Poly Student Newspaper", "College of Nursing Honors Theses", "… Research Report"):
 * Digital Commons and DSpace sites file works by kind when their type says only "text".
 */
const SERIES: [RegExp, string][] = [
  [/\b(?:doctoral|ph\.?\s?d\.?)\b.*\b(?:thes[ie]s|dissertations?)\b|\bdissertations?\b/i, 'c_db06'],
  [/\bmaster'?s?\b.*\bthes[ie]s\b/i, 'c_bdcc'],
  [/\b(?:honou?rs?|senior|undergraduate|bachelor'?s?)\b.*\bthes[ie]s\b/i, 'c_7a1f'],
  [/\bthes[ie]s\b/i, 'c_46ec'],
  [/\bnewspapers?\b/i, 'c_2fe3'],
  [/\bnewsletters?\b/i, 'c_2659'],
  [/\btechnical reports?\b/i, 'c_18gh'],
  [/\bresearch reports?\b/i, 'c_18ws'],
  [/\bworking papers?\b/i, 'c_8042'],
];

/** The COAR type URI a series name implies, if any. */
export function seriesType(name: string): string | undefined {
  const id = SERIES.find(([pattern]) => pattern.test(name))?.[1];
  return id ? `${COAR_TYPES}${id}` : undefined;
}

function mostSpecific(labels: readonly string[], concept: (label: string) => string | undefined): string | undefined {
  let best: string | undefined;
  for (const label of labels) {
    const id = concept(label);
    if (id && (!best || specificity(id) > specificity(best))) best = id;
  }
  return best;
}
