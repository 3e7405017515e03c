// records/current/<source>.jsonl: the current record of each OAI identifier of a source, one
// line each, deleted ones included, rewritten whole when a run changed the source's records.
// The files under records/<source>/ stay what they are: an append log of every change.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { StateStore } from '../store/state.ts';
import { SnapshotWriter } from './snapshot-writer.ts';

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

/** Rewrites the view of each source in `changed`, and of any source that has none yet; returns the files written. */
export function writeCurrentRecords(state: StateStore, outDir: string, changed: ReadonlySet<string>): string[] {
  const written: string[] = [];
  let writer: SnapshotWriter | undefined;
  let current: string | undefined;
  let batch: string[] = [];
  const close = () => {
    if (!writer) return;
    writer.write(batch);
    written.push(writer.path);
    writer.finish(true);
    writer = undefined;
    batch = [];
  };
  for (const row of state.records.all()) {
    if (row.sourceId !== current) {
      close();
      current = row.sourceId;
      const file = currentRecordsFile(outDir, current);
      if (changed.has(current) || !existsSync(file)) writer = new SnapshotWriter(file);
    }
    if (!writer) continue;
    // The record JSON is kept as the store holds it: no parse, no second serialisation.
    batch.push(`{"source":${JSON.stringify(row.sourceId)},"identifier":${JSON.stringify(row.identifier)},"deleted":${row.deleted},"workId":${JSON.stringify(row.workId)},"record":${row.recordJson}}`);
    if (batch.length >= 500) {
      writer.write(batch);
      batch = [];
    }
  }
  close();
  return written;
}
