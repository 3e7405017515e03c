// works.jsonl against the PostgreSQL state: the same tables and behaviour as ../snapshot-log.ts.
import type { SnapshotLog, WorksSnapshotState } from '../snapshot-log.ts';
import type { PgConnection } from './connection.ts';

const KEY = 'works_snapshot';

/** Rows per query when the pending works are read. */
const PAGE = 1000;

export class PgSnapshotLog implements SnapshotLog {
  private readonly db: PgConnection;

  constructor(db: PgConnection) {
    this.db = db;
  }

  state(): WorksSnapshotState | undefined {
    const [row] = this.db.query(`SELECT value FROM meta WHERE key = $1`, [KEY]);
    return row ? (JSON.parse(String(row['value'])) as WorksSnapshotState) : undefined;
  }

  saveState(snapshot: WorksSnapshotState): void {
    this.db.run(`INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, [KEY, JSON.stringify(snapshot)]);
  }

  /**
   * A sequence hands out its values in the order they are asked for, not the order their
   * transactions commit: a writer may hold seq 5 uncommitted while seq 6 is committed, and a
   * mark of 6 read then would let `written(6)` forget 5 once it commits, though the snapshot
   * never saw its change. SHARE mode conflicts with the ROW EXCLUSIVE lock every writer of
   * snapshot_pending holds from its first note to its commit: taking it waits until those in
   * flight have committed, and keeps new ones waiting, before the first note they make, until
   * this commits. So every seq up to the mark is committed, and every later note draws a
   * larger seq and sees `pending_since` (a statement's snapshot is taken after its locks).
   */
  begin(run: string): number {
    return this.db.transaction(() => {
      this.db.query(`LOCK TABLE snapshot_pending IN SHARE MODE`);
      this.db.run(`INSERT INTO works_meta (key, value) VALUES ('pending_since', $1) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, [run]);
      return Number(this.db.query(`SELECT COALESCE(MAX(seq), 0) AS mark FROM snapshot_pending`)[0]!['mark']);
    });
  }

  pendingCount(upTo: number): number {
    return Number(this.db.query(`SELECT COUNT(*) AS n FROM snapshot_pending WHERE seq <= $1`, [upTo])[0]!['n']);
  }

  /**
   * A page at a time, after the last work of the one before. A work changed again while this
   * reads has a seq past `upTo`: it may be left out here, and stays noted for the next snapshot.
   */
  *pendingWorks(upTo: number): Generator<{ workId: string; workJson: string | null }> {
    const query = (after: string | undefined) => this.db.query(`SELECT p.work_id, w.work_json FROM snapshot_pending p LEFT JOIN works w ON w.work_id = p.work_id
                                 WHERE p.seq <= $1 ${after === undefined ? '' : 'AND p.work_id > $2'} ORDER BY p.work_id LIMIT ${PAGE}`,
    after === undefined ? [upTo] : [upTo, after]);
    for (let page = query(undefined); page.length > 0; page = query(String(page[page.length - 1]!['work_id']))) {
      for (const r of page) yield { workId: String(r['work_id']), workJson: (r['work_json'] as string | null) ?? null };
      if (page.length < PAGE) return;
    }
  }

  written(upTo: number): void {
    this.db.run(`DELETE FROM snapshot_pending WHERE seq <= $1`, [upTo]);
  }

  pendingSince(): string | undefined {
    const [row] = this.db.query(`SELECT value FROM works_meta WHERE key = 'pending_since'`);
    return row ? String(row['value']) : undefined;
  }
}
