// Which run works.jsonl reflects, and the change files written since. Rewriting the
// snapshot costs time in proportion to all works, so it may be written less often than
// runs happen; these rows say how far behind it is.
import type { StateStore } from './state.ts';

export interface WorksSnapshotState {
  /** The run whose works works.jsonl holds (a run id, or `snapshot-…` for `works snapshot`). */
  run: string;
  writtenAt: string;
  works: number;
  probableDuplicates: number;
  /** Works changed after it was written: the snapshot is behind the database. */
  behind: boolean;
  /** Change files (relative to the output folder) written since, oldest first. */
  changeFilesSince: string[];
  /** Patched from the previous file, or written whole from the database. */
  written?: 'patched' | 'whole';
  /** Why the previous file could not be patched (it is not what was written), when it could not. */
  patchRefused?: string;
  /** Size and modification time of works.jsonl as written: a file edited since is written whole. */
  bytes?: number;
  mtimeMs?: number;
}

const KEY = 'works_snapshot';

export function worksSnapshotState(state: StateStore): WorksSnapshotState | undefined {
  const row = state.statement(`SELECT value FROM meta WHERE key = ?`).get(KEY) as { value: string } | undefined;
  return row ? (JSON.parse(row.value) as WorksSnapshotState) : undefined;
}

export function saveWorksSnapshotState(state: StateStore, snapshot: WorksSnapshotState): void {
  state.statement(`INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)`).run(KEY, JSON.stringify(snapshot));
}
