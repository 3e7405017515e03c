// A whole list cut into datestamp windows, each harvested as a list of its own and several at
// once; the list is complete when every window is, so an interrupted harvest resumes the
// same windows.
import { randomBytes } from 'node:crypto';
import PQueue from 'p-queue';
import { toProtocolDate } from '../oai/dates.ts';
import type { Identify } from '../oai/types.ts';
import { datestampWindows } from '../oai/windows.ts';
import { windowListKey, type PartitionPlan } from '../store/partition-plans.ts';
import type { HarvestKey } from '../store/harvest-log.ts';
import { listKeyOf, type ListSpec, type SourceContext } from './context.ts';
import { InterruptedError } from './errors.ts';
import { harvestList } from './list.ts';
import { configError, describeError, emptyList, type ListSummary } from './summary.ts';

/**
 * A list is cut into windows when the source asks for it and the harvest would be a whole
 * one (first, or --full), or when a cut harvest was interrupted. Never with --from/--until,
 * nor while an ordinary harvest of the list waits to be resumed.
 */
export function partitioned(ctx: SourceContext, metadataPrefix: string, set: string | undefined): boolean {
  const { source, run } = ctx;
  const { state } = run.resources;
  if (source.partitions < 2 || run.options.from !== undefined || run.options.until !== undefined) return false;
  const key = listKeyOf(metadataPrefix, set);
  if (state.plans.running(source.id, key)) return true;
  if (state.harvests.runningHarvest(source.id, key)) return false;
  return run.options.full === true || state.harvests.lastCompleteResponseDate(source.id, key) === undefined;
}

/** The windows of a whole list, harvested `source.concurrency` at a time. */
export async function harvestPartitioned(ctx: SourceContext, spec: ListSpec, identify: Identify): Promise<ListSummary[]> {
  const { source, run } = ctx;
  const { metadataPrefix, set } = spec;
  const listKey = listKeyOf(metadataPrefix, set);
  let plan = run.resources.state.plans.running(source.id, listKey);
  if (!plan || (run.options.full === true && !plan.full)) {
    try {
      plan = newPlan(ctx, listKey, identify);
    } catch (error) {
      return [emptyList(listKey, metadataPrefix, set, configError(new Error(`cannot cut the list into windows: ${(error as Error).message}`)))];
    }
    run.resources.state.plans.start(plan);
    ctx.log.info({ list: listKey, plan: plan.planId, windows: plan.windows }, 'harvesting the list in datestamp windows');
  }
  const current = plan;
  const recordKey: HarvestKey = { sourceId: source.id, metadataPrefix, harvestId: current.planId, full: current.full };
  const queue = new PQueue({ concurrency: source.concurrency });
  const lists = await Promise.all(
    current.windows.map((w, i) =>
      queue.add(() =>
        run.options.signal?.aborted
          ? emptyList(windowListKey(current, i), metadataPrefix, set, describeError(new InterruptedError('stopped before this window started')))
          : harvestList(ctx, { ...spec, window: { key: windowListKey(current, i), from: w.from, until: w.until, recordKey } }),
      ),
    ),
  );
  if (lists.every((l) => l.status === 'complete')) run.resources.state.plans.complete(current);
  return lists;
}

/** Windows from the repository's earliest datestamp (or the configured `from`) to now (or `until`). */
function newPlan(ctx: SourceContext, listKey: string, identify: Identify): PartitionPlan {
  const { source, run } = ctx;
  const { granularity } = identify;
  const start = source.from ? toProtocolDate(source.from, granularity, 'from') : identify.earliestDatestamp;
  const end = source.until ? toProtocolDate(source.until, granularity, 'until') : new Date().toISOString();
  const windows = datestampWindows(start, end, source.partitions, granularity);
  // Configured bounds stay bounds: the open ends are only for the repository's own range.
  if (source.from) windows[0]!.from = toProtocolDate(source.from, granularity, 'from');
  if (source.until) windows.at(-1)!.until = toProtocolDate(source.until, granularity, 'until');
  return { sourceId: source.id, listKey, planId: `p${Date.now().toString(36)}${randomBytes(2).toString('hex')}`, full: run.options.full === true, windows };
}
