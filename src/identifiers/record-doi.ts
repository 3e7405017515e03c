// The identifiers stage of the common record: the DOI candidates its formats found become
// the record's DOI, with the reason it was chosen (docs: eprints.md §6–7).
import type { CommonRecord, UnresolvedRecord } from '../formats/common-record.ts';
import { chooseDoi, findDois, type DoiCandidate } from './doi.ts';

export function resolveDoi(record: UnresolvedRecord): CommonRecord {
  const { doiCandidates, ...rest } = record;
  const found: (DoiCandidate & { format?: string | undefined })[] = [];
  for (const source of doiCandidates) {
    for (const candidate of findDois(source.value, source.field, source.rank)) {
      // Zenodo's dc:relation names the concept DOI of all versions; its dc:identifier is the
      // record's own. Among repository-minted DOIs, the identifier wins.
      if (source.field === 'dc:relation' && candidate.rank >= 100) candidate.rank += 2;
      found.push({ ...candidate, format: source.format });
    }
  }
  const choice = chooseDoi(found);
  if (!choice) return { ...rest, doi: null, doiInfo: null };
  const format = found.find((c) => c.key === choice.key && c.field === choice.field)?.format;
  return {
    ...rest,
    doi: choice.key,
    doiInfo: { original: choice.doi, field: choice.field, reason: choice.reason, others: choice.all.slice(1).map((c) => c.key) },
    fieldSources: format ? { ...rest.fieldSources, doi: format, doiInfo: format } : rest.fieldSources,
  };
}
