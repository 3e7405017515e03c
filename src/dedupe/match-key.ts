// Records without a DOI that are probably the same paper: same normalised title, same year,
// same first creator's family name. Reported with the evidence; merged only when asked.
import type { CommonRecord } from '../formats/common-record.ts';

function normal(text: string): string {
  return text.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').toLowerCase().replace(/[^\p{L}\p{N}]+/gu, ' ').trim();
}

/** `title|year|family`, or null when the record lacks one of them (no guess is made). */
export function matchKey(record: Pick<CommonRecord, 'title' | 'dates' | 'creators'>): string | null {
  const title = record.title ? normal(record.title) : '';
  const year = /^\d{4}/.exec(record.dates.published?.value ?? '')?.[0];
  const first = record.creators[0];
  const family = first ? normal(first.family ?? first.name.split(/[ ,]/)[0] ?? '') : '';
  if (title.length < 10 || !year || !family) return null;
  return `${title}|${year}|${family}`;
}
