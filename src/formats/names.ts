// People's names as repositories write them → persons: "Family, Given" split at the comma,
// ORCIDs taken out, roles, "et al." and degrees stripped (the name as written is kept in
// `name` only without them), several people in one value split where that is unambiguous.
import type { Person } from './common-record.ts';

const ORCID = /(\d{4}-\d{4}-\d{4}-\d{3}[\dX])/;
const ORCID_IN_NAME = /\s*[(\[]?\s*(?:https?:\/\/orcid\.org\/)?\d{4}-\d{4}-\d{4}-\d{3}[\dX]\s*[)\]]?\s*/;

/** Roles repositories append in brackets: "Magee, Daniel (Author)", "Smith, J. (ed.)". */
const ROLE = /\s*[(\[]\s*(author|creator|editor|eds?\.?|ed\.|contributor|advisor|adviser|supervisor|thesis advisor|degree supervisor|committee member|committee chair|translator|compiler|illustrator|photographer|publisher|recipient|composer|lyricist|artist|performer|conductor|funder|depicted|interviewer|interviewee|speaker|researcher|sponsor|other)\s*[)\]]\s*$/i;
const ET_AL = /,?\s+et\.?\s+al\.?$/i;
/** Academic degrees and titles: not part of the name. Generational suffixes (Jr., III) are. */
const DEGREE = /,?\s+(?:Ph\.?\s?D\.?|D\.?Phil\.?|M\.?\s?D\.?|M\.?Sc?\.?|M\.?A\.?|M\.?B\.?A\.?|B\.?Sc?\.?|B\.?A\.?|R\.?N\.?|Ed\.?D\.?|Psy\.?D\.?|J\.?D\.?|D\.?D\.?S\.?|FRCP|MPH|DrPH)(?=$|[\s,])/g;
const HONORIFIC = /^(?:Dr|Prof|Professor|Mr|Mrs|Ms|Sir|Dame)\.?\s+(?=\S)/i;

export function orcidOf(value: string | undefined | null): string | null {
  const m = value ? ORCID.exec(value) : null;
  return m ? m[1]! : null;
}

/** One name as written → a person; "Family, Given" as EPrints, DSpace and arXiv write names. */
export function person(name: string, orcid: string | null = null): Person {
  let written = name.replace(/\s+/g, ' ').trim();
  const inName = orcidOf(written);
  if (inName) written = written.replace(ORCID_IN_NAME, ' ').trim();
  written = stripRole(written).name.replace(ET_AL, '').trim();
  written = stripDegrees(written);
  const comma = written.indexOf(',');
  const family = comma > 0 ? written.slice(0, comma).trim() : null;
  const given = comma > 0 ? written.slice(comma + 1).replace(/\s*\([^)]*\)\s*$/, '').trim() || null : null;
  return { name: written, family, given, orcid: orcid ?? inName };
}

/** A contributor's role in brackets after the name, if any (lower-cased). */
export function stripRole(name: string): { name: string; role: string | null } {
  const m = ROLE.exec(name);
  return m ? { name: name.slice(0, m.index).trim(), role: m[1]!.toLowerCase().replace(/\.$/, '') } : { name, role: null };
}

/** "Murphy, James L., 1941-": library authority forms add life dates. */
const LIFE_DATES = /,?\s*\(?\b(?:1[5-9]|20)\d{2}\s*-\s*(?:(?:1[5-9]|20)\d{2})?\)?\s*$/;
/** "Walder, Heather, AUTHOR (University of Wisconsin-Madison)": a role in capitals, then an affiliation. */
const CAPITAL_ROLE = /,\s*(?:AUTHOR|EDITOR|CONTRIBUTOR|CREATOR|COMPILER|TRANSLATOR|PRINCIPAL INVESTIGATOR)\b.*$/;
/** ", Howard University", ". Director. Health Sciences Library": an affiliation or post after the name. */
const AFFILIATION = /(?:,\s*[^,]*\b(?:University|College|Institute|Universit[éeà]|Hospital|Laborator(?:y|ies)|Department|School of)\b[^,]*|\.\s+(?:Director|Professor|Dean|Librarian|Chair|Head)\b.*)$/;
/** "Norris '44, Mary", "Van Pelt 1875, Samuel", "Harbison, Helen, '47": alumni class years. */
const CLASS_YEAR = /\s+['’]\d{2}\b|,?\s+['’]\d{2}$|\s+1[89]\d{2}(?=,)/g;
/** "Office of Science and Innovation( inc. Barnett, T": a member list the repository cut short. */
const INCLUDING = /\s*\(\s*(?:inc\.?|incl\.?|including)\s[^)]*$/i;

function stripDegrees(name: string): string {
  let stripped = name.replace(CAPITAL_ROLE, '').replace(INCLUDING, '').replace(LIFE_DATES, '').replace(CLASS_YEAR, '').replace(DEGREE, '').replace(HONORIFIC, '');
  // An affiliation after "Family, Given" (the name keeps at least its family and given parts).
  if ((stripped.match(/,/g) ?? []).length >= 2 || /\.\s+(?:Director|Professor|Dean|Librarian|Chair|Head)\b/.test(stripped)) stripped = stripped.replace(AFFILIATION, '');
  // Titles written after the comma: "Tan, Prof. Dr. Uner", "Liu, Mr. Peilei".
  const comma = stripped.indexOf(',');
  if (comma > 0) {
    let given = stripped.slice(comma + 1).trim();
    for (let before = ''; before !== given; ) {
      before = given;
      given = given.replace(HONORIFIC, '').replace(/^(?:Ph\.?\s?D\.?|PHD)\s+(?=\S)/i, '');
    }
    stripped = `${stripped.slice(0, comma)}, ${given}`;
  }
  stripped = stripped.replace(/[\s,.;]+$/, (tail) => (/^\.$/.test(tail) ? tail : '')).trim();
  return stripped === '' || stripped === ',' ? name : stripped;
}

/**
 * The people one creator value names. Split at semicolons when every part is a name, and at
 * commas only when the value lists "Given Family" names ending in "et al." or has three or
 * more such parts: "Smith, John" and "García Márquez, Gabriel" stay one person.
 */
export function people(value: string): string[] {
  const v = value.replace(/\s+/g, ' ').trim();
  const semicolon = v.split(/\s*;\s*/).filter((p) => p !== '');
  if (semicolon.length > 1 && semicolon.every(looksLikeName)) return semicolon;
  const etAl = ET_AL.test(v);
  const parts = v.replace(ET_AL, '').split(/\s*,\s*/).filter((p) => p !== '');
  if (parts.length > 1 && (etAl || parts.length >= 3) && parts.every(isGivenFamily)) return parts;
  return [v];
}

function looksLikeName(part: string): boolean {
  return /\p{L}/u.test(part) && part.length <= 120;
}

/** "Mark H. Overmars", "A. Frank van der Stappen": a whole name, given names first. */
function isGivenFamily(part: string): boolean {
  const tokens = part.split(' ');
  return tokens.length >= 2 && /^\p{Lu}/u.test(tokens[0]!) && /^\p{Lu}\p{L}+/u.test(tokens.at(-1)!) && !DEGREE_ONLY.test(part);
}

const DEGREE_ONLY = /^(?:Jr|Sr|II|III|IV|Ph\.?D|M\.?D)\.?$/i;
