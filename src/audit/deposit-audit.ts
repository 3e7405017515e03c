// Was each copy of a work deposited within three months, as UK open-access policy asks?
// REF2021: of acceptance. REF2029 (outputs published from 2026): of publication. Pure.
import type { CommonRecord } from '../formats/common-record.ts';
import { CROSSREF_SOURCE } from '../crossref/to-record.ts';
import type { Work } from '../dedupe/work.ts';
import { isPublisherCopy } from '../dedupe/merge-work.ts';
import { addMonths, daysBetween, endOfPeriod } from './ref-dates.ts';

export type AuditRule = 'ref2021' | 'ref2029';
export type Verdict = 'on time' | 'late' | 'unknown';
/** Why a copy cannot be judged. */
export type UnknownCause = 'no deposit date' | 'no acceptance date' | 'only dc:date' | 'no publication or acceptance date';

export interface DepositAudit {
  rule: AuditRule;
  work: string;
  doi: string | null;
  /** The copy judged: its common record id and repository. */
  record: string;
  source: string;
  landingPage: string | null;
  title: string | null;
  divisions: string[];
  deposit: { value: string; field: string } | null;
  reference: { date: 'accepted' | 'published'; value: string; field: string; counted: string } | null;
  deadline: string | null;
  /** Deposit minus reference date, in days (negative: deposited before). */
  lagDays: number | null;
  verdict: Verdict;
  reason: string;
  /** For an unknown verdict, what is missing; null otherwise. */
  cause: UnknownCause | null;
  /** The configuration setting that would bring the missing date, when one would. */
  fix: string | null;
  /** REF2029's rule covers outputs published from 2026-01-01; earlier ones are judged as if it did. */
  inScope: boolean;
  /** The work was retracted (or withdrawn, removed), or corrected: Crossref's notices, with their DOI and date. */
  retracted: boolean;
  corrected: boolean;
  notices: { type: string; doi: string; date: string | null }[];
}

const REF2021_ACCEPTANCE_CUTOFF = '2018-04-01';
const REF2029_START = '2026-01-01';

/**
 * One audit per repository copy of the work: repositories are judged separately; the
 * publisher's records (Crossref, a BibTeX export) are no deposit and are not judged.
 */
export function auditWork(work: Work, records: readonly CommonRecord[], rule: AuditRule): DepositAudit[] {
  const byId = new Map(records.map((r) => [r.id, r]));
  const { accepted, published } = referenceDates(work, byId);
  const notices = work.updates.filter((u) => u.direction === 'updated-by').map((u) => ({ type: u.type, doi: u.doi, date: u.date }));
  return work.sources
    .filter((s) => !s.deleted && !(byId.has(s.id) ? isPublisherCopy(byId.get(s.id)!) : s.source === CROSSREF_SOURCE))
    .map((copy) => {
      const record = byId.get(copy.id);
      const depositDate = record?.dates.firstCompliantDeposit ?? record?.dates.deposited ?? null;
      const base = {
        rule, work: work.id, doi: work.doi, record: copy.id, source: copy.source, landingPage: copy.landingPage, title: work.title?.value ?? null,
        divisions: record?.divisions ?? [],
        deposit: depositDate ? { value: depositDate.value, field: depositDate.field } : null,
        inScope: rule === 'ref2021' || (published !== null && endOfPeriod(published.value) >= REF2029_START),
      };
      const judgement = judge(rule, base.deposit, accepted, published);
      const missing = record ? { formats: record.formats, identifier: record.identifier } : { formats: [], identifier: copy.identifier };
      if (judgement.cause === 'no deposit date') judgement.reason = `no deposit date in the harvested formats (${missing.formats.join(', ') || 'none'}); ${judgement.reason}`;
      return {
        ...base, ...judgement, fix: judgement.cause ? fixFor(judgement.cause, copy.source, missing) : null,
        retracted: work.retracted, corrected: work.corrected, notices,
      };
    });
}

/**
 * Acceptance and publication as the repositories record them, in the work's order of copies;
 * only when none does, the publisher's (Crossref, BibTeX), named as such in the field.
 */
function referenceDates(work: Work, byId: ReadonlyMap<string, CommonRecord>): { accepted: Dated; published: Dated } {
  const copies = work.sources.filter((s) => !s.deleted).map((s) => byId.get(s.id)).filter((r): r is CommonRecord => r !== undefined);
  const repository = copies.filter((r) => !isPublisherCopy(r));
  const publisher = copies.filter(isPublisherCopy);
  const pick = (date: 'accepted' | 'published'): Dated => {
    const own = repository.find((r) => r.dates[date]);
    if (own) return { value: own.dates[date]!.value, field: own.dates[date]!.field };
    const theirs = publisher.find((r) => r.dates[date]);
    if (!theirs) return null;
    const what = theirs.source === CROSSREF_SOURCE ? 'the publisher\'s record at Crossref' : `the publisher's BibTeX (${theirs.source})`;
    return { value: theirs.dates[date]!.value, field: `${theirs.dates[date]!.field}, from ${what}: no repository copy gives it` };
  };
  return { accepted: pick('accepted'), published: pick('published') };
}

/** Days after its deadline a late copy was deposited; null for a copy on time or unknown. */
export function daysBeyondDeadline(a: Pick<DepositAudit, 'verdict' | 'deadline' | 'deposit'>): number | null {
  return a.verdict === 'late' && a.deadline && a.deposit ? daysBetween(a.deadline, a.deposit.value) : null;
}

type Judgement = Pick<DepositAudit, 'reference' | 'deadline' | 'lagDays' | 'verdict' | 'reason' | 'cause'>;
type Dated = { value: string; field: string } | null;

/** On time or late against one reference date, counted at the end of its period, plus three months. */
function verdictAgainst(kind: 'accepted' | 'published', date: { value: string; field: string }, deposit: { value: string }): Judgement {
  const counted = endOfPeriod(date.value);
  const deadline = addMonths(counted, 3);
  const onTime = deposit.value.slice(0, 10) <= deadline;
  const partial = date.value.length < 10 ? ` (${date.value} counted as ${counted})` : '';
  return {
    reference: { date: kind, value: date.value, field: date.field, counted },
    deadline,
    lagDays: daysBetween(counted, deposit.value),
    verdict: onTime ? 'on time' : 'late',
    cause: null,
    reason: `deposited ${deposit.value.slice(0, 10)}, ${onTime ? 'within' : 'more than'} three months of ${kind === 'accepted' ? 'acceptance' : 'publication'}${partial}; deadline ${deadline}`,
  };
}

function judge(rule: AuditRule, deposit: Dated, accepted: Dated, published: Dated): Judgement {
  const unknown = (cause: UnknownCause, reason: string): Judgement => ({ reference: null, deadline: null, lagDays: null, verdict: 'unknown', cause, reason });
  const dcDateOnly = !accepted && published?.field === 'dc:date';
  // With no date to judge by, that is the reason given, whatever else is missing.
  if (dcDateOnly) return unknown('only dc:date', `no acceptance date; the only date is dc:date ${published!.value}, which does not say what kind of date it is`);
  if (!deposit) return unknown('no deposit date', 'the OAI datestamp is a modification date and is never used');

  if (rule === 'ref2029') {
    // Publication + 3 months, or acceptance + 3 months as a proxy.
    const byPublication = published ? verdictAgainst('published', published, deposit) : null;
    const byAcceptance = accepted ? verdictAgainst('accepted', accepted, deposit) : null;
    const chosen = [byPublication, byAcceptance].find((j) => j?.verdict === 'on time') ?? byPublication ?? byAcceptance;
    return chosen ?? unknown('no publication or acceptance date', 'no publication or acceptance date');
  }
  const order: ('accepted' | 'published')[] = ['accepted', 'published'];
  for (const kind of order) {
    const date = kind === 'accepted' ? accepted : published;
    if (!date) continue;
    // REF2021 judges by publication only for outputs accepted before April 2018, or with no acceptance date before then.
    if (rule === 'ref2021' && kind === 'published' && (accepted ? accepted.value >= REF2021_ACCEPTANCE_CUTOFF : endOfPeriod(date.value) >= REF2021_ACCEPTANCE_CUTOFF)) {
      if (accepted) break;
      return unknown('no acceptance date', 'no acceptance date (REF2021 judges by acceptance for outputs from April 2018)');
    }
    const judgement = verdictAgainst(kind, date, deposit);
    // Late by acceptance: REF2021 still passes a deposit within three months of publication if accepted before April 2018.
    if (judgement.verdict === 'late' && kind === 'accepted' && accepted!.value < REF2021_ACCEPTANCE_CUTOFF && published) continue;
    return judgement;
  }
  return rule === 'ref2021' ? unknown('no acceptance date', 'no acceptance date') : unknown('no publication or acceptance date', 'no publication or acceptance date');
}

/**
 * The setting that brings a missing date: for an EPrints repository its EP3 export (the
 * deposit date, and the acceptance date where it records one), for others RIOXX (v2 gives the
 * acceptance date, v3 the files' deposit dates). Null when those formats were harvested already:
 * then the repository does not record the date.
 */
function fixFor(cause: UnknownCause, source: string, copy: { formats: readonly string[]; identifier: string }): string | null {
  const again = `, then harvest it again with \`oai-harvester run --source ${source} --full\` so records already held are fetched`;
  const eprints = /^oai:[^:]+:\d+$/.test(copy.identifier);
  if (eprints && !copy.formats.includes('ep3')) {
    return `set "enrich": ["eprints-export"] on source "${source}" (the EPrints export has the deposit date, and the acceptance date where the repository records one)${again}`;
  }
  const rioxx = cause === 'no deposit date' ? ['rioxx3'] : ['rioxx', 'rioxx3'];
  const missing = rioxx.filter((f) => !copy.formats.includes(f));
  if (missing.length === 0) return null;
  const what = cause === 'no deposit date' ? 'RIOXX v3 has each file\'s deposit date' : 'RIOXX has the acceptance date';
  return `add "richerFormats": ${JSON.stringify(missing)} to source "${source}" if the repository offers them (${what})${again}`;
}
