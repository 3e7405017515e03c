// Crossref's record of each DOI in PostgreSQL: the same table and behaviour as ../crossref-cache.ts.
import type { CachedCrossrefWork, CrossrefCache, CrossrefStatus } from '../crossref-cache.ts';
import type { PgConnection } from './connection.ts';

/** DOIs per statement when many are wanted at once. */
const BATCH = 5000;

export class PgCrossrefCache implements CrossrefCache {
  private readonly db: PgConnection;

  constructor(db: PgConnection) {
    this.db = db;
  }

  want(dois: readonly string[]): void {
    this.db.transaction(() => {
      for (let i = 0; i < dois.length; i += BATCH) {
        this.db.run(`INSERT INTO crossref_works (doi, status) SELECT doi, 'pending' FROM unnest($1::text[]) AS d (doi) ON CONFLICT (doi) DO NOTHING`, [dois.slice(i, i + BATCH)]);
      }
    });
  }

  wantWorks(): void {
    this.db.transaction(() => {
      this.db.run(`INSERT INTO crossref_works (doi, status)
                   SELECT substr(work_id, 5), 'pending' FROM works WHERE status = 'active' AND work_id LIKE 'doi:%' ON CONFLICT (doi) DO NOTHING`);
      this.db.run(`INSERT INTO crossref_works (doi, status)
                   SELECT substr(work_id, 5), 'pending' FROM dirty_works WHERE work_id LIKE 'doi:%' ON CONFLICT (doi) DO NOTHING`);
    });
  }

  due(limit: number, before: { found: string; missing: string }): string[] {
    // A DOI no active work has any longer is not refreshed.
    return this.db.query(`SELECT doi FROM crossref_works c WHERE status = 'pending'
                             OR (((status = 'found' AND checked_at < $1) OR (status = 'missing' AND checked_at < $2))
                                 AND EXISTS (SELECT 1 FROM works w WHERE w.work_id = 'doi:' || c.doi AND w.status = 'active'))
                          ORDER BY status = 'pending' DESC, doi LIMIT $3`, [before.found, before.missing, limit]).map((r) => String(r['doi']));
  }

  get(doi: string): CachedCrossrefWork | undefined {
    const [row] = this.db.query(`SELECT doi, status, work_json, checked_at FROM crossref_works WHERE doi = $1`, [doi]);
    return row ? {
      doi: String(row['doi']), status: String(row['status']) as CrossrefStatus,
      workJson: (row['work_json'] as string | null) ?? null, checkedAt: (row['checked_at'] as string | null) ?? null,
    } : undefined;
  }

  saveFound(doi: string, workJson: string, at: string): void {
    this.db.run(`INSERT INTO crossref_works (doi, status, work_json, checked_at) VALUES ($1, 'found', $2, $3)
                 ON CONFLICT (doi) DO UPDATE SET status = 'found', work_json = excluded.work_json, checked_at = excluded.checked_at`, [doi, workJson, at]);
  }

  saveMissing(doi: string, at: string): void {
    this.db.run(`INSERT INTO crossref_works (doi, status, work_json, checked_at) VALUES ($1, 'missing', NULL, $2)
                 ON CONFLICT (doi) DO UPDATE SET status = 'missing', work_json = NULL, checked_at = excluded.checked_at`, [doi, at]);
  }

  counts(): Record<CrossrefStatus, number> {
    const counts: Record<CrossrefStatus, number> = { found: 0, missing: 0, pending: 0 };
    for (const r of this.db.query(`SELECT status, COUNT(*) AS n FROM crossref_works GROUP BY status`)) counts[String(r['status']) as CrossrefStatus] = Number(r['n']);
    return counts;
  }
}
