// Download counts per source record, month and metric (irstats2:downloads, COUNTER metrics),
// and the months fetched per source: a month is fetched again only while it may still change.
import type { SqliteDatabase } from './database.ts';
import { markDirtySql } from './schema.ts';

export interface MonthlyDownloads {
  metric: string;
  month: string;
  count: number;
}

export interface DownloadRow {
  identifier: string;
  metric: string;
  count: number;
}

/** One month of one source's counts for a family of metrics, as fetched. */
export interface MonthCounts {
  sourceId: string;
  month: string;
  metrics: readonly string[];
  rows: readonly DownloadRow[];
  outcome: string;
}

export interface StoredDownload {
  sourceId: string;
  identifier: string;
  month: string;
  metric: string;
  count: number;
  workId: string | null;
}

/** The one way to the downloads and stats_months tables. */
export interface DownloadStore {
  fetchedMonths(sourceId: string): Set<string>;
  /**
   * Replaces a source's counts for one month and metric family in one transaction, marks the
   * works of the items whose counts changed, and records the month as fetched.
   */
  saveMonth(counts: MonthCounts): void;
  /** A month the server could not give yet (try later) is remembered as not fetched. */
  noteMonth(sourceId: string, month: string, outcome: string): void;
  /** Every download row with its record's work, for stats/downloads.jsonl. */
  all(): Generator<StoredDownload>;
  /** Downloads per month of one work: the sum over its live copies, per metric. */
  ofWork(workId: string): MonthlyDownloads[];
}

export class SqliteDownloadStore implements DownloadStore {
  private readonly db: SqliteDatabase;

  constructor(db: SqliteDatabase) {
    this.db = db;
  }

  fetchedMonths(sourceId: string): Set<string> {
    return new Set(this.db.statement(`SELECT month FROM stats_months WHERE source_id = ? AND outcome = 'ok'`).all(sourceId).map((r) => String(r['month'])));
  }

  saveMonth({ sourceId, month, metrics, rows, outcome }: MonthCounts): void {
    this.db.transaction(() => {
      const before = new Map<string, number>();
      const family = JSON.stringify(metrics);
      for (const r of this.db.statement(`SELECT identifier, metric, count FROM downloads WHERE source_id = ? AND month = ? AND metric IN (SELECT value FROM json_each(?))`)
        .all(sourceId, month, family)) {
        before.set(`${String(r['identifier'])}\u0000${String(r['metric'])}`, Number(r['count']));
      }
      this.db.statement(`DELETE FROM downloads WHERE source_id = ? AND month = ? AND metric IN (SELECT value FROM json_each(?))`).run(sourceId, month, family);
      const insert = this.db.statement(`INSERT OR REPLACE INTO downloads (source_id, identifier, month, metric, count) VALUES (?, ?, ?, ?, ?)`);
      const changed = new Set<string>();
      for (const r of rows) {
        insert.run(sourceId, r.identifier, month, r.metric, r.count);
        const key = `${r.identifier}\u0000${r.metric}`;
        if (before.get(key) !== r.count) changed.add(r.identifier);
        before.delete(key);
      }
      for (const key of before.keys()) changed.add(key.split('\u0000')[0]!);
      const mark = this.db.statement(markDirtySql('SELECT work_id FROM source_records WHERE source_id = ? AND identifier = ?'));
      for (const identifier of changed) mark.run(sourceId, identifier);
      this.noteMonth(sourceId, month, outcome);
    });
  }

  noteMonth(sourceId: string, month: string, outcome: string): void {
    this.db.statement(`INSERT OR REPLACE INTO stats_months (source_id, month, fetched_at, outcome) VALUES (?, ?, ?, ?)`).run(sourceId, month, new Date().toISOString(), outcome);
  }

  *all(): Generator<StoredDownload> {
    for (const row of this.db.statement(`SELECT d.source_id AS sourceId, d.identifier, d.month, d.metric, d.count, s.work_id AS workId FROM downloads d
                LEFT JOIN source_records s ON s.source_id = d.source_id AND s.identifier = d.identifier
                ORDER BY d.source_id, d.identifier, d.month, d.metric`).iterate()) {
      yield row as unknown as StoredDownload;
    }
  }

  ofWork(workId: string): MonthlyDownloads[] {
    return this.db
      .statement(`SELECT d.metric AS metric, d.month AS month, SUM(d.count) AS count
                FROM downloads d JOIN source_records s ON s.source_id = d.source_id AND s.identifier = d.identifier
                WHERE s.work_id = ? AND s.deleted = 0 GROUP BY d.metric, d.month ORDER BY d.metric, d.month`)
      .all(workId)
      .map((r) => ({ metric: String(r['metric']), month: String(r['month']), count: Number(r['count']) }));
  }
}
