// works.jsonl against the database: which run the file reflects, the change files written
// since, and the works changed since it was written, for the next one to patch in. Rewriting
// the snapshot costs time in proportion to all works, so it may be written less often than
// runs happen; this says how far behind it is.
import type { SqliteDatabase } from './database.ts';

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
  /** The Parquet tables written with it (output/tables/): rows per table and the time taken. */
  tables?: { works: number; copies: number; records: number; downloads: number; durationMs: number };
}

/** The one way to the snapshot_pending table and the snapshot's note in meta. */
export interface SnapshotLog {
  state(): WorksSnapshotState | undefined;
  saveState(snapshot: WorksSnapshotState): void;
  /**
   * Starts a snapshot for `run`: from here on every change is noted for the next one, and the
   * changes up to the mark returned are this one's to take in (a change committed after it is
   * noted, whether or not the file ends up holding it).
   */
  begin(run: string): number;
  pendingCount(upTo: number): number;
  /** The works changed up to `upTo`, in id order as works.jsonl is, with their JSON now (null: gone). */
  pendingWorks(upTo: number): Generator<{ workId: string; workJson: string | null }>;
  /** Once a works.jsonl holding every change up to `upTo` is in place: those are forgotten. */
  written(upTo: number): void;
  /** The snapshot whose later changes are noted; none for a works file that never saw one written. */
  pendingSince(): string | undefined;
}

const KEY = 'works_snapshot';

export class SqliteSnapshotLog implements SnapshotLog {
  private readonly db: SqliteDatabase;

  constructor(db: SqliteDatabase) {
    this.db = db;
  }

  state(): WorksSnapshotState | undefined {
    const row = this.db.statement(`SELECT value FROM meta WHERE key = ?`).get(KEY);
    return row ? (JSON.parse(String(row['value'])) as WorksSnapshotState) : undefined;
  }

  saveState(snapshot: WorksSnapshotState): void {
    this.db.statement(`INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)`).run(KEY, JSON.stringify(snapshot));
  }

  begin(run: string): number {
    return this.db.transaction(() => {
      this.db.statement(`INSERT OR REPLACE INTO workdb.meta (key, value) VALUES ('pending_since', ?)`).run(run);
      return Number(this.db.statement(`SELECT COALESCE(MAX(seq), 0) AS mark FROM workdb.snapshot_pending`).get()!['mark']);
    });
  }

  pendingCount(upTo: number): number {
    return Number(this.db.statement(`SELECT COUNT(*) AS n FROM workdb.snapshot_pending WHERE seq <= ?`).get(upTo)!['n']);
  }

  *pendingWorks(upTo: number): Generator<{ workId: string; workJson: string | null }> {
    for (const r of this.db.statement(`SELECT p.work_id, w.work_json FROM workdb.snapshot_pending p LEFT JOIN workdb.works w ON w.work_id = p.work_id
                               WHERE p.seq <= ? ORDER BY p.work_id`).iterate(upTo)) {
      yield { workId: String(r['work_id']), workJson: (r['work_json'] as string | null) ?? null };
    }
  }

  written(upTo: number): void {
    this.db.statement(`DELETE FROM workdb.snapshot_pending WHERE seq <= ?`).run(upTo);
  }

  pendingSince(): string | undefined {
    const row = this.db.statement(`SELECT value FROM workdb.meta WHERE key = 'pending_since'`).get();
    return row ? String(row['value']) : undefined;
  }
}
