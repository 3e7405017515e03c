// The identifiers stage of the common record: the DOI candidates its formats found become
// the record's DOI, with the reason it was chosen (docs: eprints.md §6–7).
import type { CommonRecord, UnresolvedRecord } from '../formats/common-record.ts';
import { isPart, isText } from '../formats/resource-types.ts';
import { chooseDoi, findDois, isBookDoi, type DoiCandidate } from './doi.ts';

export function resolveDoi(record: UnresolvedRecord): CommonRecord {
  const { doiCandidates, ...rest } = record;
  const found: (DoiCandidate & { format?: string | undefined })[] = [];
  const part = record.type.coar !== null && isPart(record.type.coar);
  for (const source of doiCandidates) {
    for (const candidate of findDois(source.value, source.field, source.rank)) {
      // A chapter or conference paper carrying its book's DOI: the container's, not its own.
      if (part && isBookDoi(candidate.doi)) continue;
      found.push({ ...candidate, format: source.format });
    }
  }
  const choice = chooseDoi(found, { repositoryDoisLast: record.type.coar === null || isText(record.type.coar) });
  if (!choice) return { ...rest, doi: null, doiInfo: null };
  const format = found.find((c) => c.key === choice.key && c.field === choice.field)?.format;
  return {
    ...rest,
    doi: choice.key,
    doiInfo: { original: choice.doi, field: choice.field, reason: choice.reason, others: choice.all.slice(1).map((c) => c.key) },
    fieldSources: format ? { ...rest.fieldSources, doi: format, doiInfo: format } : rest.fieldSources,
  };
}
