// The works in PostgreSQL: the same tables and behaviour as ../works.ts. Workers on several
// machines recompute at once; a dirty mark, random and fresh with every touch, keeps a result
// read before a touch from clearing it (see markDirtyPgSql).
import type { JsonDocument } from '../json-bytes.ts';
import type { DirtyWork, RecomputedWork, TouchedWork, WorkStore } from '../works.ts';
import { lockUntilCommit } from './advisory-lock.ts';
import type { PgConnection } from './connection.ts';
import { NOTE_PENDING_MANY_PG_SQL, NOTE_PENDING_PG_SQL } from './works-schema.ts';

/** Rows per query when a table is read whole. */
const PAGE = 1000;

export class PgWorkStore implements WorkStore {
  private readonly db: PgConnection;

  constructor(db: PgConnection) {
    this.db = db;
  }

  /**
   * In one repeatable-read snapshot: the marks, works, records and downloads are of one
   * moment, however many workers commit meanwhile; a mark read with a record set is the mark
   * those records were committed with. The works are named, not re-selected by each query.
   * They come in id order, the order every transaction takes dirty_works' rows in.
   */
  dirtyBatch(limit: number): DirtyWork[] {
    return this.db.snapshot(() => {
      const marks = this.db.query(`SELECT work_id, mark FROM dirty_works ORDER BY work_id LIMIT $1`, [limit]);
      const batch = new Map(marks.map((r): [string, DirtyWork] => [String(r['work_id']), { workId: String(r['work_id']), mark: Number(r['mark']), held: undefined, records: [], downloadRows: [] }]));
      if (batch.size === 0) return [];
      const ids = [...batch.keys()];
      for (const r of this.db.query(`SELECT work_id, status, work_json FROM works WHERE work_id = ANY($1::text[])`, [ids])) {
        batch.get(String(r['work_id']))!.held = { status: String(r['status']), workJson: String(r['work_json']) };
      }
      for (const r of this.db.query(`SELECT work_id, record_json, deleted FROM source_records WHERE work_id = ANY($1::text[]) ORDER BY work_id, source_id, identifier`, [ids])) {
        batch.get(String(r['work_id']))!.records.push({ recordJson: String(r['record_json']), deleted: r['deleted'] === 1 });
      }
      if (this.db.query(`SELECT EXISTS (SELECT 1 FROM downloads) AS any`)[0]!['any'] === true) this.addDownloads(batch, ids);
      return [...batch.values()];
    });
  }

  private addDownloads(batch: Map<string, DirtyWork>, ids: readonly string[]): void {
    for (const r of this.db.query(`SELECT s.work_id, d.metric, d.month, d.count FROM downloads d
                                   JOIN source_records s ON s.source_id = d.source_id AND s.identifier = d.identifier
                                   WHERE s.deleted = 0 AND s.work_id = ANY($1::text[]) ORDER BY d.metric, s.work_id, d.month`, [ids])) {
      batch.get(String(r['work_id']))!.downloadRows.push({ metric: String(r['metric']), month: String(r['month']), count: Number(r['count']) });
    }
  }

  work(workId: string): { status: string; workJson: string } | undefined {
    const [row] = this.db.query(`SELECT status, work_json FROM works WHERE work_id = $1`, [workId]);
    return row ? { status: String(row['status']), workJson: String(row['work_json']) } : undefined;
  }

  saveWork(workId: string, status: string, workJson: string, runId: string): void {
    this.db.run(`INSERT INTO works (work_id, status, work_json, updated_run) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (work_id) DO UPDATE SET status = excluded.status, work_json = excluded.work_json, updated_run = excluded.updated_run`,
    [workId, status, workJson, runId]);
    this.db.run(NOTE_PENDING_PG_SQL, [workId]);
  }

  dropWork(workId: string): void {
    this.db.run(`DELETE FROM works WHERE work_id = $1`, [workId]);
    this.db.run(NOTE_PENDING_PG_SQL, [workId]);
  }

  /**
   * Under read committed the delete waits for a transaction touching the row meanwhile, then
   * checks the mark against the row as it committed: a touch in flight is never taken.
   */
  takeDirtyMark(workId: string, mark: number): boolean {
    return this.db.run(`DELETE FROM dirty_works WHERE work_id = $1 AND mark = $2`, [workId, mark]) > 0;
  }

  /**
   * In a few statements for the whole batch, not four a work: a worker's run of a hundred
   * works otherwise waited on 400 round trips. The marks are locked in key order first, as
   * every transaction takes dirty_works' rows, then taken where still as read.
   */
  saveRecomputed(runId: string, results: readonly RecomputedWork[]): number {
    if (results.length === 0) return 0;
    const ids = results.map((r) => r.workId);
    this.db.query(`SELECT work_id FROM dirty_works WHERE work_id = ANY($1::text[]) ORDER BY work_id COLLATE "C" FOR UPDATE`, [ids]);
    const taken = new Set(this.db.query(`DELETE FROM dirty_works d USING unnest($1::text[], $2::bigint[]) AS t(work_id, mark)
                                         WHERE d.work_id = t.work_id AND d.mark = t.mark RETURNING d.work_id`, [ids, results.map((r) => r.mark)])
      .map((r) => String(r['work_id'])));
    const mine = results.filter((r) => taken.has(r.workId));
    if (mine.length === 0) return 0;
    this.db.run(`INSERT INTO run_touched_works (run_id, work_id, before) SELECT $1, t.work_id, t.before FROM unnest($2::text[], $3::text[]) AS t(work_id, before)
                 ORDER BY t.work_id COLLATE "C" ON CONFLICT (run_id, work_id) DO NOTHING`, [runId, mine.map((r) => r.workId), mine.map((r) => r.before)]);
    const saved = mine.filter((r) => r.work !== null && !r.unchanged);
    if (saved.length > 0) {
      this.db.run(`INSERT INTO works (work_id, status, work_json, updated_run) SELECT t.work_id, t.status, t.work_json, $4 FROM unnest($1::text[], $2::text[], $3::text[]) AS t(work_id, status, work_json)
                   ORDER BY t.work_id COLLATE "C"
                   ON CONFLICT (work_id) DO UPDATE SET status = excluded.status, work_json = excluded.work_json, updated_run = excluded.updated_run`,
      [saved.map((r) => r.workId), saved.map((r) => r.work!.status), saved.map((r) => r.work!.workJson), runId]);
    }
    const dropped = mine.filter((r) => r.work === null).map((r) => r.workId);
    if (dropped.length > 0) this.db.run(`DELETE FROM works WHERE work_id = ANY($1::text[])`, [dropped]);
    const changed = [...saved.map((r) => r.workId), ...dropped];
    if (changed.length > 0) this.db.run(NOTE_PENDING_MANY_PG_SQL, [changed]);
    return mine.length;
  }

  registerRun(runId: string, pid: number, host: string): void {
    this.db.run(`INSERT INTO works_runs (run_id, pid, host, session_pid, session_start)
                 SELECT $1, $2, $3, a.pid, a.backend_start::text FROM pg_stat_activity a WHERE a.pid = pg_backend_pid()
                 ON CONFLICT (run_id) DO UPDATE SET pid = excluded.pid, host = excluded.host, session_pid = excluded.session_pid, session_start = excluded.session_start`,
    [runId, pid, host]);
  }

  noteTouched(runId: string, workId: string, before: string): void {
    this.db.run(`INSERT INTO run_touched_works (run_id, work_id, before) VALUES ($1, $2, $3) ON CONFLICT (run_id, work_id) DO NOTHING`, [runId, workId, before]);
  }

  /** A page at a time, after the last work of the one before. */
  *touched(runId: string): Generator<TouchedWork> {
    const query = (after: string | undefined) => this.db.query(`SELECT t.work_id, t.before, w.status, w.work_json, w.updated_run FROM run_touched_works t
                                 LEFT JOIN works w ON w.work_id = t.work_id WHERE t.run_id = $1 ${after === undefined ? '' : 'AND t.work_id > $2'}
                                 ORDER BY t.work_id LIMIT ${PAGE}`, after === undefined ? [runId] : [runId, after]);
    for (let page = query(undefined); page.length > 0; page = query(String(page[page.length - 1]!['work_id']))) {
      for (const r of page) {
        yield {
          workId: String(r['work_id']), before: String(r['before']), status: (r['status'] as string | null) ?? null,
          workJson: (r['work_json'] as string | null) ?? null, updatedRun: (r['updated_run'] as string | null) ?? null,
        };
      }
      if (page.length < PAGE) return;
    }
  }

  forgetTouched(runId: string): void {
    this.db.transaction(() => {
      this.db.run(`DELETE FROM run_touched_works WHERE run_id = $1`, [runId]);
      this.db.run(`DELETE FROM works_runs WHERE run_id = $1`, [runId]);
    });
  }

  /** A run is gone when `isGone` says so, or when its database session ended: a worker killed on another machine. */
  adoptTouched(runId: string, isGone: (pid: number, host: string) => boolean): number {
    const dead = this.db.query(`SELECT w.run_id, w.pid, w.host, NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.pid = w.session_pid AND a.backend_start::text = w.session_start) AS ended
                                FROM works_runs w WHERE w.run_id <> $1 ORDER BY w.run_id`, [runId])
      .filter((r) => r['ended'] === true || isGone(Number(r['pid']), String(r['host'])))
      .map((r) => String(r['run_id']));
    if (dead.length === 0) return 0;
    return this.db.transaction(() => dead.reduce((adopted, id) => adopted + this.adopt(runId, id), 0));
  }

  /**
   * One dead run's touches become `runId`'s. Two workers adopting the same dead run take
   * turns: the second finds its touches gone (each statement reads what committed before it),
   * rather than deleting its own touches of works the first has just taken over.
   */
  private adopt(runId: string, deadId: string): number {
    lockUntilCommit(this.db, 'adopt-touched', deadId);
    // Where both touched a work, the dead run saw it first: its status before is the one to keep.
    this.db.run(`DELETE FROM run_touched_works WHERE run_id = $1 AND work_id IN (SELECT work_id FROM run_touched_works WHERE run_id = $2)`, [runId, deadId]);
    // What the dead run rewrote counts as rewritten by this one: its change file reports it.
    this.db.run(`UPDATE works SET updated_run = $1 WHERE updated_run = $2 AND work_id IN (SELECT work_id FROM run_touched_works WHERE run_id = $2)`, [runId, deadId]);
    const adopted = this.db.run(`UPDATE run_touched_works SET run_id = $1 WHERE run_id = $2`, [runId, deadId]);
    this.db.run(`DELETE FROM works_runs WHERE run_id = $1`, [deadId]);
    return adopted;
  }

  count(): number {
    return Number(this.db.query(`SELECT COUNT(*) AS n FROM works`)[0]!['n']);
  }

  /** Every work's JSON in id order, a page at a time: the snapshot never holds them all in memory. */
  *all(): Generator<JsonDocument> {
    const query = (after: string | undefined) => this.db.query(`SELECT work_id, work_json FROM works ${after === undefined ? '' : 'WHERE work_id > $1'}
                                                               ORDER BY work_id LIMIT ${PAGE}`, after === undefined ? [] : [after]);
    for (let page = query(undefined); page.length > 0; page = query(String(page[page.length - 1]!['work_id']))) {
      for (const r of page) yield String(r['work_json']);
      if (page.length < PAGE) return;
    }
  }
}
