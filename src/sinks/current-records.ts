// records/current/<source>.jsonl: the current record of each OAI identifier of a source, one
// line each, deleted ones included, rewritten whole when a run changed the source's records.
// The files under records/<source>/ stay what they are: an append log of every change.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { StateStore } from '../store/state.ts';
import { writeSnapshotFile } from './snapshot-writer.ts';

/** One line of records/current/<source>.jsonl. */
export interface CurrentRecordLine {
  source: string;
  identifier: string;
  deleted: boolean;
  workId: string;
  /** The common record, as the last change left it (a deleted record keeps its last). */
  record: unknown;
}

export function currentRecordsFile(outDir: string, sourceId: string): string {
  return join(outDir, 'records', 'current', `${sourceId}.jsonl`);
}

/**
 * Rewrites the view of each of `sources` that a run changed (`changed`), or that has none yet;
 * returns the files written. Only those sources' records are read.
 */
export async function writeCurrentRecords(state: StateStore, outDir: string, { sources, changed }: { sources: readonly string[]; changed: ReadonlySet<string> }): Promise<string[]> {
  const written: string[] = [];
  for (const sourceId of sources) {
    const file = currentRecordsFile(outDir, sourceId);
    if (!changed.has(sourceId) && existsSync(file)) continue;
    // The record JSON is kept as the store holds it: no parse, no second serialisation.
    const lines = (function* () {
      for (const row of state.records.all(sourceId)) {
        yield [`{"source":${JSON.stringify(row.sourceId)},"identifier":${JSON.stringify(row.identifier)},"deleted":${row.deleted},"workId":${JSON.stringify(row.workId)},"record":`, row.recordJson, '}'];
      }
    })();
    await writeSnapshotFile(file, lines);
    written.push(file);
  }
  return written;
}
