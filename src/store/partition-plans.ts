// The plan of a partitioned harvest: which windows make up the list. Each window is a list of
// its own in the harvests table (own token, own checkpoints); the plan ties them together so
// an interrupted harvest resumes the same windows, and the list counts as complete only
// when every window is.
import type { DateWindow } from '../oai/windows.ts';
import type { SqliteDatabase } from './database.ts';
import type { HarvestLog } from './harvest-log.ts';

export interface PartitionPlan {
  sourceId: string;
  listKey: string;
  planId: string;
  /** A --full harvest: records are written once per plan, not only when changed. */
  full: boolean;
  windows: DateWindow[];
}

/** The list key of one window: never the key of an ordinary list. */
export function windowListKey(plan: PartitionPlan, index: number): string {
  return `${plan.listKey}@${plan.planId}#${index + 1}/${plan.windows.length}`;
}

/** The one way to the partition_plans table. */
export interface PartitionPlans {
  running(sourceId: string, listKey: string): PartitionPlan | undefined;
  /** A newer plan replaces one left running (a --full run, or other windows). */
  start(plan: PartitionPlan): void;
  /**
   * Every window is complete: the list is, as of the earliest server time any window started at,
   * so the next incremental run also picks up records that changed window while it ran.
   */
  complete(plan: PartitionPlan): void;
}

export class SqlitePartitionPlans implements PartitionPlans {
  private readonly db: SqliteDatabase;
  private readonly harvests: HarvestLog;

  constructor(db: SqliteDatabase, harvests: HarvestLog) {
    this.db = db;
    this.harvests = harvests;
  }

  running(sourceId: string, listKey: string): PartitionPlan | undefined {
    const row = this.db
      .statement(`SELECT plan_id, full, windows_json FROM partition_plans WHERE source_id = ? AND list_key = ? AND status = 'running' ORDER BY created_at DESC LIMIT 1`)
      .get(sourceId, listKey);
    if (!row) return undefined;
    const windows = (JSON.parse(String(row['windows_json'])) as { from: string | null; until: string | null }[]).map((w) => ({
      from: w.from ?? undefined, until: w.until ?? undefined,
    }));
    return { sourceId, listKey, planId: String(row['plan_id']), full: Number(row['full']) === 1, windows };
  }

  start(plan: PartitionPlan): void {
    const windows = JSON.stringify(plan.windows.map((w) => ({ from: w.from ?? null, until: w.until ?? null })));
    this.db.transaction(() => {
      this.db.statement(`UPDATE partition_plans SET status = 'abandoned' WHERE source_id = ? AND list_key = ? AND status = 'running'`).run(plan.sourceId, plan.listKey);
      this.db
        .statement(`INSERT INTO partition_plans (source_id, list_key, plan_id, full, windows_json, status, created_at) VALUES (?, ?, ?, ?, ?, 'running', ?)`)
        .run(plan.sourceId, plan.listKey, plan.planId, plan.full ? 1 : 0, windows, new Date().toISOString());
    });
  }

  complete(plan: PartitionPlan): void {
    const keys = plan.windows.map((_, i) => windowListKey(plan, i));
    this.db.transaction(() => {
      this.harvests.markListComplete(plan.sourceId, plan.listKey, this.harvests.earliestComplete(plan.sourceId, keys), plan.planId);
      this.db.statement(`UPDATE partition_plans SET status = 'complete' WHERE source_id = ? AND list_key = ? AND plan_id = ?`).run(plan.sourceId, plan.listKey, plan.planId);
    });
  }
}
