// Download counts and fetched months in PostgreSQL: the same tables and behaviour as
// ../downloads.ts.
import type { DownloadRow, DownloadStore, MonthCounts, MonthlyDownloads, StoredDownload } from '../downloads.ts';
import { lockUntilCommit } from './advisory-lock.ts';
import type { PgConnection, PgRow } from './connection.ts';
import { markDirtyPgSql } from './works-schema.ts';

/** Rows per statement when a month's counts are written, and per page when all are read. */
const BATCH = 5000;
const PAGE = 1000;

const ALL_COLUMNS = `SELECT d.source_id, d.identifier, d.month, d.metric, d.count, s.work_id FROM downloads d
                     LEFT JOIN source_records s ON s.source_id = d.source_id AND s.identifier = d.identifier`;
const ALL_ORDER = `ORDER BY d.source_id, d.identifier, d.month, d.metric LIMIT ${PAGE}`;

export class PgDownloadStore implements DownloadStore {
  private readonly db: PgConnection;

  constructor(db: PgConnection) {
    this.db = db;
  }

  fetchedMonths(sourceId: string): Set<string> {
    return new Set(this.db.query(`SELECT month FROM stats_months WHERE source_id = $1 AND outcome = 'ok'`, [sourceId]).map((r) => String(r['month'])));
  }

  saveMonth({ sourceId, month, metrics, rows, outcome }: MonthCounts): void {
    this.db.transaction(() => {
      // Two workers saving one month at once would each delete only the rows they saw, and
      // read a "before" the other is replacing; in turns, the later one replaces the other's.
      lockUntilCommit(this.db, 'downloads', JSON.stringify([sourceId, month]));
      const before = new Map<string, number>();
      for (const r of this.db.query(`SELECT identifier, metric, count FROM downloads WHERE source_id = $1 AND month = $2 AND metric = ANY($3::text[])`, [sourceId, month, metrics])) {
        before.set(`${String(r['identifier'])}\u0000${String(r['metric'])}`, Number(r['count']));
      }
      this.db.run(`DELETE FROM downloads WHERE source_id = $1 AND month = $2 AND metric = ANY($3::text[])`, [sourceId, month, metrics]);
      const changed = new Set<string>();
      for (const r of rows) {
        const key = `${r.identifier}\u0000${r.metric}`;
        if (before.get(key) !== r.count) changed.add(r.identifier);
        before.delete(key);
      }
      for (const key of before.keys()) changed.add(key.split('\u0000')[0]!);
      this.insert(sourceId, month, rows);
      this.markChanged(sourceId, [...changed]);
      this.noteMonth(sourceId, month, outcome);
    });
  }

  noteMonth(sourceId: string, month: string, outcome: string): void {
    this.db.run(`INSERT INTO stats_months (source_id, month, fetched_at, outcome) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (source_id, month) DO UPDATE SET fetched_at = excluded.fetched_at, outcome = excluded.outcome`,
    [sourceId, month, new Date().toISOString(), outcome]);
  }

  /** A page at a time, after the last row of the one before: the table is never read whole into memory. */
  *all(): Generator<StoredDownload> {
    let page = this.db.query(`${ALL_COLUMNS} ${ALL_ORDER}`);
    while (page.length > 0) {
      for (const r of page) yield toStored(r);
      if (page.length < PAGE) return;
      const last = page[page.length - 1]!;
      page = this.db.query(`${ALL_COLUMNS} WHERE (d.source_id, d.identifier, d.month, d.metric) > ($1, $2, $3, $4) ${ALL_ORDER}`,
        [String(last['source_id']), String(last['identifier']), String(last['month']), String(last['metric'])]);
    }
  }

  ofWork(workId: string): MonthlyDownloads[] {
    return this.db.query(`SELECT d.metric, d.month, SUM(d.count) AS count
                          FROM downloads d JOIN source_records s ON s.source_id = d.source_id AND s.identifier = d.identifier
                          WHERE s.work_id = $1 AND s.deleted = 0 GROUP BY d.metric, d.month ORDER BY d.metric, d.month`, [workId])
      .map((r) => ({ metric: String(r['metric']), month: String(r['month']), count: Number(r['count']) }));
  }

  /** The month's rows, a batch per statement; a row given twice, or outside the family, keeps its last count, as SQLite's replace does. */
  private insert(sourceId: string, month: string, rows: readonly DownloadRow[]): void {
    const unique = [...new Map(rows.map((r) => [`${r.identifier}\u0000${r.metric}`, r])).values()];
    for (let i = 0; i < unique.length; i += BATCH) {
      const batch = unique.slice(i, i + BATCH);
      this.db.run(`INSERT INTO downloads (source_id, identifier, month, metric, count)
                   SELECT $1, r.identifier, $2, r.metric, r.count FROM unnest($3::text[], $4::text[], $5::bigint[]) AS r (identifier, metric, count)
                   ON CONFLICT (source_id, identifier, month, metric) DO UPDATE SET count = excluded.count`,
      [sourceId, month, batch.map((r) => r.identifier), batch.map((r) => r.metric), batch.map((r) => r.count)]);
    }
  }

  private markChanged(sourceId: string, identifiers: readonly string[]): void {
    for (let i = 0; i < identifiers.length; i += BATCH) {
      this.db.run(markDirtyPgSql(`SELECT work_id FROM source_records WHERE source_id = $1 AND identifier = ANY($2::text[])`), [sourceId, identifiers.slice(i, i + BATCH)]);
    }
  }
}

function toStored(r: PgRow): StoredDownload {
  return {
    sourceId: String(r['source_id']), identifier: String(r['identifier']), month: String(r['month']), metric: String(r['metric']),
    count: Number(r['count']), workId: (r['work_id'] as string | null) ?? null,
  };
}
