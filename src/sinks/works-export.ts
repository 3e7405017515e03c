// `works export`: every active work as BibTeX or CSL-JSON, streamed one work at a time, so
// memory stays flat however many works there are (only the keys are kept, to keep them unique).
import type { Work } from '../dedupe/work.ts';
import type { StateStore } from '../store/state.ts';
import { parseJsonDocument, type JsonDocument } from '../store/json-bytes.ts';
import { bibtexEntry, citationKey, cslItem, type CitationFormat } from './citations.ts';
import { SnapshotWriter } from './snapshot-writer.ts';

/** The export written to `file` atomically: a reader sees the old file or the whole new one. */
export function exportWorksToFile(state: StateStore, format: CitationFormat, file: string): ExportCounts {
  const writer = new SnapshotWriter(file);
  try {
    const counts = exportWorks(state.works.all(), format, (text) => writer.writeText(text));
    writer.finish(true);
    return counts;
  } catch (error) {
    writer.abandon();
    throw error;
  }
}

export interface ExportCounts {
  works: number;
  /** Keys that needed a longer hash to stay unique. */
  lengthenedKeys: number;
}

export function exportWorks(works: Iterable<JsonDocument>, format: CitationFormat, write: (text: string) => void): ExportCounts {
  const keys = new Set<string>();
  const counts: ExportCounts = { works: 0, lengthenedKeys: 0 };
  if (format === 'csl-json') write('[');
  for (const json of works) {
    const work = parseJsonDocument<Work>(json);
    if (work.status !== 'active') continue;
    const key = uniqueKey(work, keys, counts);
    if (format === 'bibtex') write(`${counts.works > 0 ? '\n' : ''}${bibtexEntry(work, key)}`);
    else write(`${counts.works > 0 ? ',' : ''}\n${JSON.stringify(cslItem(work, key))}`);
    counts.works++;
  }
  if (format === 'csl-json') write(counts.works > 0 ? '\n]\n' : ']\n');
  return counts;
}

function uniqueKey(work: Work, keys: Set<string>, counts: ExportCounts): string {
  for (const length of [4, 8, 16, 64]) {
    const key = citationKey(work, length);
    if (keys.has(key)) continue;
    if (length > 4) counts.lengthenedKeys++;
    keys.add(key);
    return key;
  }
  throw new Error(`two works share the id ${work.id}`);
}
