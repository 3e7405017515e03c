// Partition plans in PostgreSQL: the same table and behaviour as ../partition-plans.ts.
import type { HarvestLog } from '../harvest-log.ts';
import { windowListKey, type PartitionPlan, type PartitionPlans } from '../partition-plans.ts';
import { lockUntilCommit } from './advisory-lock.ts';
import type { PgConnection } from './connection.ts';

export class PgPartitionPlans implements PartitionPlans {
  private readonly db: PgConnection;
  private readonly harvests: HarvestLog;

  constructor(db: PgConnection, harvests: HarvestLog) {
    this.db = db;
    this.harvests = harvests;
  }

  running(sourceId: string, listKey: string): PartitionPlan | undefined {
    const [row] = this.db.query(`SELECT plan_id, "full", windows_json FROM partition_plans WHERE source_id = $1 AND list_key = $2 AND status = 'running'
                                 ORDER BY created_at DESC LIMIT 1`, [sourceId, listKey]);
    if (!row) return undefined;
    const windows = (JSON.parse(String(row['windows_json'])) as { from: string | null; until: string | null }[]).map((w) => ({
      from: w.from ?? undefined, until: w.until ?? undefined,
    }));
    return { sourceId, listKey, planId: String(row['plan_id']), full: row['full'] === true, windows };
  }

  start(plan: PartitionPlan): void {
    const windows = JSON.stringify(plan.windows.map((w) => ({ from: w.from ?? null, until: w.until ?? null })));
    this.db.transaction(() => {
      // Two plans started at once would each abandon only what ran before both, and leave
      // two running; in turns, as SQLite's single writer has them, the later replaces the other.
      lockUntilCommit(this.db, 'partition_plans', JSON.stringify([plan.sourceId, plan.listKey]));
      this.db.run(`UPDATE partition_plans SET status = 'abandoned' WHERE source_id = $1 AND list_key = $2 AND status = 'running'`, [plan.sourceId, plan.listKey]);
      this.db.run(`INSERT INTO partition_plans (source_id, list_key, plan_id, "full", windows_json, status, created_at) VALUES ($1, $2, $3, $4, $5, 'running', $6)`,
        [plan.sourceId, plan.listKey, plan.planId, plan.full, windows, new Date().toISOString()]);
    });
  }

  complete(plan: PartitionPlan): void {
    const keys = plan.windows.map((_, i) => windowListKey(plan, i));
    this.db.transaction(() => {
      this.harvests.markListComplete(plan.sourceId, plan.listKey, this.harvests.earliestComplete(plan.sourceId, keys), plan.planId);
      this.db.run(`UPDATE partition_plans SET status = 'complete' WHERE source_id = $1 AND list_key = $2 AND plan_id = $3`, [plan.sourceId, plan.listKey, plan.planId]);
    });
  }
}
