// The publisher's copy of every work with a DOI: after the sources, each run asks Crossref
// about the DOIs it has not asked about yet and those whose answer is older than the refresh
// interval, and keeps each answer as a source record of the work (source `crossref`).
import type { Logger } from 'pino';
import { errorCode } from '../oai/errors.ts';
import { CrossrefClient, type CrossrefAnswer } from '../crossref/client.ts';
import type { RateLimits } from '../crossref/rate-limit.ts';
import { crossrefRecord, CROSSREF_SOURCE } from '../crossref/to-record.ts';
import type { CrossrefConfig } from '../config/crossref.ts';
import { DEFAULT_USER_AGENT } from '../config/config.ts';
import type { SourceRecordRow } from '../store/source-records.ts';
import type { RunContext } from './context.ts';
import { STOPPED_CODES } from './errors.ts';
import { httpHooks } from './progress.ts';
import { describeError, type ErrorSummary } from './summary.ts';

export interface CrossrefSummary {
  status: 'ok' | 'failed' | 'interrupted';
  requests: number;
  /** DOIs asked about this run. */
  asked: number;
  found: number;
  /** Not Crossref DOIs (registered with DataCite, mEDRA…, or not at all): asked again after `missingDays`. */
  missing: number;
  /** Found DOIs whose Crossref record differed from the one held (new ones included). */
  changed: number;
  /** Wanted and not asked yet: the next run asks first. */
  pending: number;
  /** The limits Crossref stated last. */
  limits: RateLimits;
  error?: ErrorSummary;
}

/** DOIs taken from the cache at a time: each batch is asked and committed before the next. */
const BATCH = 1000;
const DAY_MS = 86_400_000;

/** Enriches the run's works from Crossref; undefined when the config has no "crossref". */
export async function enrichFromCrossref(run: RunContext): Promise<CrossrefSummary | undefined> {
  const config = run.options.config.crossref;
  if (!config) return undefined;
  const log = run.options.logger.child({ source: CROSSREF_SOURCE });
  const client = crossrefClient(run, config, log);
  const cache = run.resources.state.crossref;
  cache.wantWorks();
  const now = run.options.now ?? new Date();
  const cutoffs = { found: daysBefore(now, config.refreshDays), missing: daysBefore(now, config.missingDays) };
  const summary: CrossrefSummary = { status: 'ok', requests: 0, asked: 0, found: 0, missing: 0, changed: 0, pending: 0, limits: client.limits };
  try {
    // Each answer is noted as checked at the run's time, after both cutoffs: a DOI asked
    // about is not due again in this run, so the loop ends when none is left.
    for (let dois = cache.due(BATCH, cutoffs); dois.length > 0; dois = cache.due(BATCH, cutoffs)) {
      const answer = await client.works(dois);
      keepAnswer(run, { answer, at: now.toISOString() }, summary);
      summary.asked += dois.length;
      log.info({ asked: summary.asked, found: summary.found, missing: summary.missing }, 'crossref records fetched');
    }
  } catch (error) {
    const described = describeError(error);
    summary.status = STOPPED_CODES.has(errorCode(error)) ? 'interrupted' : 'failed';
    summary.error = described;
    log.error({ err: error, code: described.code, verb: described.verb, url: described.url }, `crossref enrichment stopped: ${described.message}`);
  }
  summary.requests = client.requests;
  summary.limits = client.limits;
  summary.pending = cache.counts().pending;
  return summary;
}

function crossrefClient(run: RunContext, config: CrossrefConfig, log: Logger): CrossrefClient {
  const token = config.tokenEnv ? process.env[config.tokenEnv] : undefined;
  if (config.tokenEnv && !token) log.warn({ tokenEnv: config.tokenEnv }, 'the Metadata Plus token variable is not set: asking the public pool');
  return new CrossrefClient(
    { baseUrl: config.baseUrl, mailto: config.mailto, token: token || undefined, userAgent: DEFAULT_USER_AGENT, retry: config.retry },
    run.resources.pool, httpHooks({ log, source: CROSSREF_SOURCE, progress: run.options.progress, stop: run.options.signal }),
  );
}

/** One answer's records and cache rows, in one transaction: the works they change are marked for recomputing. */
function keepAnswer(run: RunContext, { answer, at }: { answer: CrossrefAnswer; at: string }, summary: CrossrefSummary): void {
  const { state } = run.resources;
  const rows: SourceRecordRow[] = [];
  state.transaction(() => {
    for (const [doi, work] of answer.found) {
      const workJson = JSON.stringify(work);
      summary.found++;
      const unchanged = state.crossref.get(doi)?.workJson === workJson;
      state.crossref.saveFound(doi, workJson, at);
      if (unchanged) continue;
      summary.changed++;
      rows.push({ sourceId: CROSSREF_SOURCE, identifier: doi, deleted: false, workId: `doi:${doi}`, recordJson: JSON.stringify(crossrefRecord(work)) });
    }
    for (const doi of answer.missing) {
      // A DOI Crossref knew before and no longer does: its copy goes, like a deleted record.
      rows.push({ sourceId: CROSSREF_SOURCE, identifier: doi, deleted: true, workId: null, recordJson: null });
      state.crossref.saveMissing(doi, at);
      summary.missing++;
    }
    state.records.save(rows);
  });
}

function daysBefore(now: Date, days: number): string {
  return new Date(now.getTime() - days * DAY_MS).toISOString();
}
