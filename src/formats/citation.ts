// The container (journal, book, proceedings) of a record, from the citation strings
// repositories write: dc:source ("Journal Name, 71(710), e711-e718", "JASIS 49(8)",
// "Journal, vol. 3, no. 2, pp. 1-10", Pure's Harvard citation, "Evolution: 29 (1975) no. 4,
// pp. 750-762") and EPrints' default citation in dc:identifier. Pure functions.
import type { Container } from './common-record.ts';
import { clean } from './vocabulary.ts';

export type ContainerParts = Pick<Container, 'title' | 'volume' | 'issue' | 'pages'>;

const PAGES = String.raw`[A-Za-z]{0,2}\d+[A-Za-z]?\s*[-–—‐]+\s*[A-Za-z]{0,2}\d+[A-Za-z]?|[eE]\d{3,}|\d+`;
const VOLUME_WORD = /\b(?:vol(?:ume)?\.?|v\.)\s*([\dIVXLC][\w.-]*)/i;
const ISSUE_WORD = /\b(?:no\.?|nr\.?|num(?:ber)?\.?|issue|iss\.?|n\.|h(?:eft)?\.)\s*(\d[\w/-]*|[A-Z][a-z]+\b)/;
const PAGES_WORD = new RegExp(String.raw`\b(?:pp?\.?|pages?|s\.)\s*(${PAGES})`, 'i');
const ARTICLE_WORD = /\b(?:art(?:icle)?\.?\s*(?:no\.?|number|nr\.?)?|e-?locator)\s*:?\s*([A-Za-z]?\d+[\w-]*)/i;
/** "71(710)", "49 (8)", "12.3", "29 (1975) no. 4": volume, then an issue or a year in brackets. */
const VOLUME_ISSUE = /^[,:;.]?\s*(\d+[A-Za-z]?)\s*(?:\(\s*([^)]+?)\s*\)|\.(\d+)\b)?/;

/** Series and collections a repository files works under: never a container. */
const SERIES_NAME = /\b(?:faculty|publications|theses|dissertations|department|school of|college of|collections?|works|scholarship|projects|capstones?|student|archives?|repository|oral histor(?:y|ies)|papers)\b|^all\b/i;

/**
 * A container from a dc:source-like citation, or undefined when it names none. A bare name
 * (no numbers) is a container only when `bare` says the record is a contribution to one
 * (LibreCat writes the journal or book title alone in dc:source; Digital Commons writes its
 * series there, which is never a container).
 */
export function containerFromSource(source: string, bare = false): ContainerParts | undefined {
  const text = clean(source.replace(/\s*\b(?:doi\s*:|https?:\/\/(?:dx\.)?doi\.org\/)\s*10\.\S+.*$/i, '').replace(/[\s.,;]+$/, ''));
  if (!text || /^(?:ISSN|ISBN|e?ISSN)\b/i.test(text) || /^https?:\/\//i.test(text) || /^10\.\d{4}/.test(text)) return undefined;
  const harvard = /^.{0,400}?\b\d{4}[a-z]?,\s*['‘"“](.+?)['’"”],\s*(.+)$/.exec(text);
  const rest = harvard ? harvard[2]! : text;
  const cut = /(?:,|:|\s)\s*(?=(?:vol(?:ume)?\.?|v\.)\s*[\dIVXLC]|\d+\s*\(|\d+\s*[,:.]\s*(?:\d|pp?\.|no\.|[eE]\d)|\d+\s*$|(?:no\.?|issue)\s*\d|pp?\.\s*\d|\(\d{4}\)|\d{4}\b|ISSN\b)/i.exec(rest);
  const title = tidyTitle((cut ? rest.slice(0, cut.index) : rest).replace(/^.{1,60}?\bet al\.?,?\s+/, ''));
  if (!title || /^\d+$/.test(title)) return undefined;
  const tail = cut ? rest.slice(cut.index) : '';
  const parts = numbersIn(tail);
  if (parts.volume || parts.issue || parts.pages) return { title, ...parts };
  // LibreCat: the whole value is the title ("BKL Taaldag 2014, Abstracts", "Eurocrim 2015").
  if (bare && !SERIES_NAME.test(text)) return { title: tidyTitle(rest)!, volume: null, issue: null, pages: null };
  // "Journal of Bone and Mineral Research 2015": a journal and the year of a citation.
  const yearOnly = /^[\s,(]*\d{4}\)?$/.test(tail);
  if ((bare || yearOnly) && !SERIES_NAME.test(title) && (bare ? tail === '' || yearOnly : true)) return { title, volume: null, issue: null, pages: null };
  return undefined;
}

function numbersIn(tail: string): Omit<ContainerParts, 'title'> {
  let volume = VOLUME_WORD.exec(tail)?.[1] ?? null;
  let issue = ISSUE_WORD.exec(tail)?.[1] ?? null;
  let pages = PAGES_WORD.exec(tail)?.[1] ?? ARTICLE_WORD.exec(tail)?.[1] ?? null;
  // A year before the numbers ("2015, 98(9), 2760-2766", "(1975) no. 4") is not the volume.
  const numbers = tail.replace(/^\s*[,:]?\s*\(?\d{4}\)?\s*(?:[,:;.]\s*|$)(?=\S|$)/, '').replace(/^\s*(?:vol(?:ume)?\.?|v\.)\s*/i, '');
  const numbered = numbers === tail.trim() && /^\s*[,:]?\s*\d{4}\b/.test(tail) ? null : VOLUME_ISSUE.exec(numbers);
  // A lone four-digit number after a name is a year or part of the name, not a volume.
  if (numbered && !(/^(?:1[5-9]|20)\d{2}$/.test(numbered[1]!) && !VOLUME_WORD.test(tail))) {
    volume ??= numbered[1]!;
    const bracket = numbered[2] ?? numbered[3];
    // "5(e593)": a letter first makes it an article number, not an issue.
    if (bracket && /^[A-Za-z]\d+$/.test(bracket)) pages ??= bracket;
    else if (bracket && !/^\d{4}(?:[-/]\d{2})*$/.test(bracket) && !/\d{4}-\d{2}-\d{2}/.test(bracket)) issue ??= bracket;
  }
  if (!pages && (volume || issue)) {
    // Pages after the volume and issue: "71(710), e711-e718", "24.3 (2015): 438".
    const after = new RegExp(String.raw`[,:]\s*(${PAGES})\s*\.?\s*$`).exec(numbers.replace(/\s*\(\d{4}[^)]*\)\s*$/, ''));
    if (after && after[1] !== volume && after[1] !== issue) pages = after[1]!;
  }
  return { volume, issue, pages: pages ? pages.replace(/\s*[-–—‐]+\s*/g, '-') : null };
}

function tidyTitle(value: string): string | null {
  return clean(value.replace(/^[\s,.;:]+|[\s,.;:]+$/g, ''));
}

/**
 * Journal, volume, issue and pages from EPrints' default citation of an article ("Authors
 * (2021) Title. Journal, 71 (710). e711-e718. ISSN …"): the last sentence before the ISSN.
 */
export function containerFromEprintsCitation(citation: string): ContainerParts | undefined {
  const afterYear = /\(\d{4}[a-z]?\)\s*(.+)$/.exec(clean(citation) ?? '')?.[1];
  if (!afterYear) return undefined;
  const body = afterYear.replace(/\s*(?:\bISSN\b|\bISBN\b|\bDOI:|<https?:).*$/, '').trim();
  const m = /(?:^|[.?!]\s+)([^.?!]+?)(?:\s*,\s*(\d+[A-Za-z]?(?:\s+Suppl\.?)?)\s*(?:\(([^)]+)\))?|\s+\((\d+)\))?\.\s*(?:(?:pp?\.\s*)?([A-Za-z]{0,2}\d+[A-Za-z]?(?:\s*[-–]\s*[A-Za-z]{0,2}\d+)?)\.)?$/.exec(body);
  if (!m || m.index === 0) return undefined;
  const title = m[1]!.trim();
  if (title.length < 2 || /^\[/.test(title)) return undefined;
  return { title, volume: m[2]?.replace(/\.$/, '') ?? null, issue: (m[3] ?? m[4])?.trim() ?? null, pages: m[5]?.replace(/\s+/g, '') ?? null };
}
