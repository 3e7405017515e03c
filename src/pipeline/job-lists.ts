// What a fleet job asks for, and a source's jobs: plain values and pure functions, apart from
// the queue (jobs.ts), so the thread that runs jobs does not load pg-boss.
import type { BibtexSourceConfig, SourceConfig } from '../config/config.ts';
import { listKeyOf } from './list-key.ts';

/** One list of an OAI-PMH source: a format, and a set when the source names sets. */
export interface JobList {
  metadataPrefix: string;
  set?: string | undefined;
}

/**
 * What a job asks: a source, one of its lists (the whole source without: a file source, or a
 * job queued before jobs were cut by list), a full or incremental harvest, and the cron slot
 * that queued it, if one did.
 */
export interface HarvestJob {
  sourceId: string;
  list?: JobList | undefined;
  /** The source's statistics are fetched by one of its jobs, the one of its first list. */
  stats?: boolean | undefined;
  full: boolean;
  slot?: string | undefined;
}

/** A job's list as the state keys it (`format` or `format|set`); `*` for a whole source. */
export function jobListKey(job: Pick<HarvestJob, 'list'>): string {
  return job.list ? listKeyOf(job.list.metadataPrefix, job.list.set) : '*';
}

/**
 * The jobs of a source: one per format and set, the richer formats after the configured ones
 * (a richer format the repository turns out not to offer makes an empty job), in the order a
 * `run` harvests them, so a record's formats merge as they do there. A file source is one job.
 */
export function sourceJobs(source: SourceConfig | BibtexSourceConfig): Omit<HarvestJob, 'full' | 'slot'>[] {
  if (!('baseUrl' in source)) return [{ sourceId: source.id }];
  const sets = source.sets.length > 0 ? source.sets : [undefined];
  const prefixes = [...new Set([...source.metadataPrefixes, ...source.richerFormats])];
  return prefixes.flatMap((metadataPrefix, p) => sets.map((set, s) => ({
    sourceId: source.id,
    list: set === undefined ? { metadataPrefix } : { metadataPrefix, set },
    ...(p === 0 && s === 0 && source.stats ? { stats: true } : {}),
  })));
}

/** Why a job's list is not one of its source's now (the config changed since it was queued); undefined when it is. */
export function unknownList(source: SourceConfig, list: JobList): string | undefined {
  if (!source.metadataPrefixes.includes(list.metadataPrefix) && !source.richerFormats.includes(list.metadataPrefix)) {
    return `format "${list.metadataPrefix}" is no longer among its metadataPrefixes or richerFormats`;
  }
  if (list.set === undefined ? source.sets.length > 0 : !source.sets.includes(list.set)) {
    return list.set === undefined ? `it now names sets (${source.sets.join(', ')})` : `set "${list.set}" is no longer among its sets`;
  }
  return undefined;
}
