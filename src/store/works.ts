// The works, in the works file: each work's JSON, the queue of works to recompute, and which
// works each run recomputed (its change file is written from them). Several runs may
// recompute at once; a mark per dirty work keeps an older result from overwriting a newer.
import type { SqliteDatabase } from './database.ts';
import type { StoredRecordJson } from './source-records.ts';
import { NOTE_PENDING_SQL } from './schema.ts';
import type { JsonBytes, JsonDocument } from './json-bytes.ts';

/** A dirty work with what recomputing it needs; `mark` tells whether it was touched again meanwhile. */
export interface DirtyWork {
  workId: string;
  mark: number;
  held: { status: string; workJson: string } | undefined;
  records: StoredRecordJson[];
  downloadRows: { metric: string; month: string; count: number }[];
}

export interface TouchedWork {
  workId: string;
  before: string;
  /** Null: the work is gone. */
  status: string | null;
  workJson: JsonDocument | null;
  updatedRun: string | null;
}

/** A dirty work recomputed: its result (null: the work is gone) and the mark it was read with. */
export interface RecomputedWork {
  workId: string;
  mark: number;
  /** Its status before this run first recomputed it, or `none`. */
  before: string;
  work: { status: string; workJson: string } | null;
  /** The result is the work as stored: nothing to write but the mark taken. */
  unchanged: boolean;
}

/** The one way to the works, dirty_works, works_runs and run_touched_works tables. */
export interface WorkStore {
  /** The next `limit` dirty works with what recomputing them needs, read at one moment. */
  dirtyBatch(limit: number): DirtyWork[];
  work(workId: string): { status: string; workJson: string } | undefined;
  /** Stores a recomputed work; inside the transaction that takes its dirty mark. */
  saveWork(workId: string, status: string, workJson: string, runId: string): void;
  /** A work with no source records left (its only record moved to another DOI) disappears; inside a transaction. */
  dropWork(workId: string): void;
  /**
   * Clears a recomputed work's mark if it is still the one read, inside the transaction that
   * saves the result: true when it was, and the result may be saved. A work touched again
   * since (another mark) or recomputed by another run from newer records (no mark) keeps
   * what that run does.
   */
  takeDirtyMark(workId: string, mark: number): boolean;
  /**
   * Saves a batch of recomputed works, inside the transaction that takes their marks: each
   * whose mark is still the one read (takeDirtyMark) is noted as touched by the run and saved,
   * or dropped; the others are left to whoever touched them since. Returns how many were taken.
   */
  saveRecomputed(runId: string, results: readonly RecomputedWork[]): number;
  registerRun(runId: string, pid: number, host: string): void;
  /** Notes, once per run, a work's status before the run first recomputed it. */
  noteTouched(runId: string, workId: string, before: string): void;
  /** The works a run recomputed, in id order: their status before it, and now. */
  touched(runId: string): Generator<TouchedWork>;
  /** Ends a run's record of touched works. */
  forgetTouched(runId: string): void;
  /**
   * The works recomputed by runs that died (kill -9) before writing their change file become
   * this run's, so their changes are reported once, by the next run to finish.
   */
  adoptTouched(runId: string, isGone: (pid: number, host: string) => boolean): number;
  count(): number;
  /** Every work's JSON, in id order, one at a time: the snapshot never holds them all in memory. */
  all(): Generator<JsonDocument>;
}

export class SqliteWorkStore implements WorkStore {
  private readonly db: SqliteDatabase;

  constructor(db: SqliteDatabase) {
    this.db = db;
  }

  /**
   * In three queries for the whole batch rather than three per work: the stored work, its
   * records, and its downloads (skipped while no source has statistics at all).
   */
  dirtyBatch(limit: number): DirtyWork[] {
    // One read transaction: the marks, works, records and downloads are of one moment, however
    // many runs commit meanwhile; and the works are named, not re-selected by each query (a
    // "first N dirty works" re-evaluated later may be another set, leaving a work no records).
    return this.db.snapshot(() => {
      const marks = this.db.statement(`SELECT work_id, mark FROM dirty_works ORDER BY work_id LIMIT ?`).all(limit);
      const batch = new Map(marks.map((r): [string, DirtyWork] => [String(r['work_id']), { workId: String(r['work_id']), mark: Number(r['mark']), held: undefined, records: [], downloadRows: [] }]));
      if (batch.size === 0) return [];
      const ids = JSON.stringify([...batch.keys()]);
      const named = `SELECT value FROM json_each(?)`;
      for (const r of this.db.statement(`SELECT work_id, status, work_json FROM workdb.works WHERE work_id IN (${named})`).iterate(ids)) {
        batch.get(String(r['work_id']))!.held = { status: String(r['status']), workJson: String(r['work_json']) };
      }
      for (const r of this.db.statement(`SELECT work_id, record_json, deleted FROM source_records WHERE work_id IN (${named})`).iterate(ids)) {
        batch.get(String(r['work_id']))!.records.push({ recordJson: String(r['record_json']), deleted: r['deleted'] === 1 });
      }
      if (this.db.statement(`SELECT EXISTS (SELECT 1 FROM downloads) AS any`).get()!['any'] === 1) {
        for (const r of this.db.statement(`SELECT s.work_id, d.metric, d.month, d.count FROM downloads d
                                   JOIN source_records s ON s.source_id = d.source_id AND s.identifier = d.identifier
                                   WHERE s.deleted = 0 AND s.work_id IN (${named}) ORDER BY d.metric`).iterate(ids)) {
          batch.get(String(r['work_id']))!.downloadRows.push({ metric: String(r['metric']), month: String(r['month']), count: Number(r['count']) });
        }
      }
      return [...batch.values()];
    });
  }

  work(workId: string): { status: string; workJson: string } | undefined {
    const row = this.db.statement(`SELECT status, work_json FROM workdb.works WHERE work_id = ?`).get(workId);
    return row ? { status: String(row['status']), workJson: String(row['work_json']) } : undefined;
  }

  saveWork(workId: string, status: string, workJson: string, runId: string): void {
    this.db.statement(`INSERT INTO workdb.works (work_id, status, work_json, updated_run) VALUES (?, ?, ?, ?)
               ON CONFLICT (work_id) DO UPDATE SET status = excluded.status, work_json = excluded.work_json, updated_run = excluded.updated_run`).run(workId, status, workJson, runId);
    this.db.statement(NOTE_PENDING_SQL).run(workId);
  }

  dropWork(workId: string): void {
    this.db.statement(`DELETE FROM workdb.works WHERE work_id = ?`).run(workId);
    this.db.statement(NOTE_PENDING_SQL).run(workId);
  }

  takeDirtyMark(workId: string, mark: number): boolean {
    return Number(this.db.statement(`DELETE FROM dirty_works WHERE work_id = ? AND mark = ?`).run(workId, mark).changes) > 0;
  }

  saveRecomputed(runId: string, results: readonly RecomputedWork[]): number {
    let taken = 0;
    for (const r of results) {
      if (!this.takeDirtyMark(r.workId, r.mark)) continue;
      taken++;
      this.noteTouched(runId, r.workId, r.before);
      if (r.work === null) this.dropWork(r.workId);
      else if (!r.unchanged) this.saveWork(r.workId, r.work.status, r.work.workJson, runId);
    }
    return taken;
  }

  registerRun(runId: string, pid: number, host: string): void {
    this.db.statement(`INSERT OR REPLACE INTO workdb.works_runs (run_id, pid, host) VALUES (?, ?, ?)`).run(runId, pid, host);
  }

  noteTouched(runId: string, workId: string, before: string): void {
    this.db.statement(`INSERT OR IGNORE INTO workdb.run_touched_works (run_id, work_id, before) VALUES (?, ?, ?)`).run(runId, workId, before);
  }

  *touched(runId: string): Generator<TouchedWork> {
    for (const r of this.db.statement(`SELECT t.work_id, t.before, w.status, CAST(w.work_json AS BLOB) AS work_json, w.updated_run FROM workdb.run_touched_works t
                               LEFT JOIN workdb.works w ON w.work_id = t.work_id WHERE t.run_id = ? ORDER BY t.work_id`).iterate(runId)) {
      yield {
        workId: String(r['work_id']), before: String(r['before']), status: (r['status'] as string | null) ?? null,
        workJson: (r['work_json'] as JsonBytes | null) ?? null, updatedRun: (r['updated_run'] as string | null) ?? null,
      };
    }
  }

  forgetTouched(runId: string): void {
    this.db.transaction(() => {
      this.db.statement(`DELETE FROM workdb.run_touched_works WHERE run_id = ?`).run(runId);
      this.db.statement(`DELETE FROM workdb.works_runs WHERE run_id = ?`).run(runId);
    });
  }

  adoptTouched(runId: string, isGone: (pid: number, host: string) => boolean): number {
    const dead = this.db.statement(`SELECT run_id, pid, host FROM workdb.works_runs WHERE run_id <> ?`).all(runId)
      .filter((r) => isGone(Number(r['pid']), String(r['host'])))
      .map((r) => String(r['run_id']));
    let adopted = 0;
    this.db.transaction(() => {
      for (const id of dead) {
        // Where both touched a work, the dead run saw it first: its status before is the one to keep.
        this.db.statement(`DELETE FROM workdb.run_touched_works WHERE run_id = ? AND work_id IN (SELECT work_id FROM workdb.run_touched_works WHERE run_id = ?)`).run(runId, id);
        // What the dead run rewrote counts as rewritten by this one: its change file reports it.
        this.db.statement(`UPDATE workdb.works SET updated_run = ? WHERE updated_run = ? AND work_id IN (SELECT work_id FROM workdb.run_touched_works WHERE run_id = ?)`).run(runId, id, id);
        adopted += Number(this.db.statement(`UPDATE workdb.run_touched_works SET run_id = ? WHERE run_id = ?`).run(runId, id).changes);
        this.db.statement(`DELETE FROM workdb.works_runs WHERE run_id = ?`).run(id);
      }
    });
    return adopted;
  }

  count(): number {
    return Number(this.db.statement(`SELECT COUNT(*) AS n FROM workdb.works`).get()!['n']);
  }

  *all(): Generator<JsonDocument> {
    for (const row of this.db.statement(`SELECT CAST(work_json AS BLOB) AS work_json FROM workdb.works ORDER BY work_id`).iterate()) yield row['work_json'] as JsonBytes;
  }
}
