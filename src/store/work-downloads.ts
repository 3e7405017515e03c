// Downloads per month of one work: the sum over its live copies, per metric.
import type { StateStore } from './state.ts';

export interface MonthlyDownloads {
  metric: string;
  month: string;
  count: number;
}

export function workMonthlyDownloads(state: StateStore, workId: string): MonthlyDownloads[] {
  return state
    .statement(`SELECT d.metric AS metric, d.month AS month, SUM(d.count) AS count
                FROM downloads d JOIN source_records s ON s.source_id = d.source_id AND s.identifier = d.identifier
                WHERE s.work_id = ? AND s.deleted = 0 GROUP BY d.metric, d.month ORDER BY d.metric, d.month`)
    .all(workId)
    .map((r) => ({ metric: String(r['metric']), month: String(r['month']), count: Number(r['count']) }));
}
