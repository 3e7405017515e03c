// What Crossref said of each DOI, and when: a record is asked for again only once it is
// older than the refresh interval, a DOI Crossref does not know only after its own interval.
import type { SqliteDatabase } from './database.ts';

export type CrossrefStatus = 'found' | 'missing' | 'pending';

export interface CachedCrossrefWork {
  doi: string;
  status: CrossrefStatus;
  workJson: string | null;
  checkedAt: string | null;
}

/** The one way to the crossref_works table. */
export interface CrossrefCache {
  /** Notes DOIs to ask about; those already known keep what is known. */
  want(dois: readonly string[]): void;
  /** Notes the DOIs of every active work, and of those waiting to be recomputed: new ones become pending. */
  wantWorks(): void;
  /** Up to `limit` DOIs to ask about now: pending ones, and found or missing ones checked before their interval. */
  due(limit: number, before: { found: string; missing: string }): string[];
  get(doi: string): CachedCrossrefWork | undefined;
  saveFound(doi: string, workJson: string, at: string): void;
  saveMissing(doi: string, at: string): void;
  counts(): Record<CrossrefStatus, number>;
}

export class SqliteCrossrefCache implements CrossrefCache {
  private readonly db: SqliteDatabase;

  constructor(db: SqliteDatabase) {
    this.db = db;
  }

  want(dois: readonly string[]): void {
    const insert = this.db.statement(`INSERT OR IGNORE INTO crossref_works (doi, status) VALUES (?, 'pending')`);
    this.db.transaction(() => {
      for (const doi of dois) insert.run(doi);
    });
  }

  wantWorks(): void {
    this.db.transaction(() => {
      this.db.statement(`INSERT OR IGNORE INTO crossref_works (doi, status)
                         SELECT substr(work_id, 5), 'pending' FROM workdb.works WHERE status = 'active' AND work_id LIKE 'doi:%'`).run();
      this.db.statement(`INSERT OR IGNORE INTO crossref_works (doi, status)
                         SELECT substr(work_id, 5), 'pending' FROM dirty_works WHERE work_id LIKE 'doi:%'`).run();
    });
  }

  due(limit: number, before: { found: string; missing: string }): string[] {
    // A DOI no active work has any longer is not refreshed.
    return this.db.statement(`SELECT doi FROM crossref_works c WHERE status = 'pending'
                                 OR (((status = 'found' AND checked_at < ?) OR (status = 'missing' AND checked_at < ?))
                                     AND EXISTS (SELECT 1 FROM workdb.works w WHERE w.work_id = 'doi:' || c.doi AND w.status = 'active'))
                              ORDER BY status = 'pending' DESC, doi LIMIT ?`)
      .all(before.found, before.missing, limit).map((r) => String(r['doi']));
  }

  get(doi: string): CachedCrossrefWork | undefined {
    const row = this.db.statement(`SELECT doi, status, work_json, checked_at FROM crossref_works WHERE doi = ?`).get(doi);
    return row ? {
      doi: String(row['doi']), status: String(row['status']) as CrossrefStatus,
      workJson: (row['work_json'] as string | null) ?? null, checkedAt: (row['checked_at'] as string | null) ?? null,
    } : undefined;
  }

  saveFound(doi: string, workJson: string, at: string): void {
    this.db.statement(`INSERT INTO crossref_works (doi, status, work_json, checked_at) VALUES (?, 'found', ?, ?)
                       ON CONFLICT (doi) DO UPDATE SET status = 'found', work_json = excluded.work_json, checked_at = excluded.checked_at`).run(doi, workJson, at);
  }

  saveMissing(doi: string, at: string): void {
    this.db.statement(`INSERT INTO crossref_works (doi, status, work_json, checked_at) VALUES (?, 'missing', NULL, ?)
                       ON CONFLICT (doi) DO UPDATE SET status = 'missing', work_json = NULL, checked_at = excluded.checked_at`).run(doi, at);
  }

  counts(): Record<CrossrefStatus, number> {
    const counts: Record<CrossrefStatus, number> = { found: 0, missing: 0, pending: 0 };
    for (const r of this.db.statement(`SELECT status, COUNT(*) AS n FROM crossref_works GROUP BY status`).all()) counts[String(r['status']) as CrossrefStatus] = Number(r['n']);
    return counts;
  }
}
