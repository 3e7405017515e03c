// The Crossref REST API: works by DOI, one at a time or several in one request
// (`filter=doi:A,doi:B`), in the polite pool, throttled by the limits each response states.
import { HarvestError, HttpStatusError, RetryBudgetExhaustedError, type ErrorCode } from '../oai/errors.ts';
import { HttpClient, type HttpOptions, type HttpPool, type HttpHooks, type HttpResponse, type RetryPolicy } from '../oai/http.ts';
import { registerSecret } from '../oai/secrets.ts';
import { limitsFrom, RateLimiter } from './rate-limit.ts';
import { readCrossrefWork, type CrossrefWork } from './work.ts';

/** What the client needs; the config stage reads these from "crossref" in sources.json. */
export interface CrossrefOptions {
  /** https://api.crossref.org, or a local server in tests. */
  baseUrl: string;
  /** The polite pool's contact, sent as `mailto` and in the User-Agent. */
  mailto: string;
  /** Metadata Plus token (from the environment); never logged. */
  token?: string | undefined;
  userAgent: string;
  retry: RetryPolicy;
  /** DOIs asked for in one request. */
  batchSize?: number | undefined;
}

/** Crossref could not be asked, or answered something that is not a work. */
export class CrossrefError extends HarvestError {
  override readonly code: ErrorCode = 'OAIH_CROSSREF';
}

/** Crossref kept answering 429 (too many requests) until the retry budget was spent. */
export class CrossrefRateLimitedError extends CrossrefError {
  override readonly code: ErrorCode = 'OAIH_CROSSREF_RATE_LIMITED';
}

export interface CrossrefAnswer {
  found: Map<string, CrossrefWork>;
  /** DOIs Crossref does not know: registered elsewhere (DataCite…), or not at all. */
  missing: string[];
}

const VERB = 'crossref';

export class CrossrefClient {
  private readonly http: HttpClient;
  private readonly options: CrossrefOptions;
  private readonly limiter = new RateLimiter();
  private readonly stop: AbortSignal | undefined;

  constructor(options: CrossrefOptions, pool: HttpPool, hooks: HttpHooks = {}) {
    registerSecret(options.token);
    this.options = options;
    this.stop = hooks.stop;
    const http: HttpOptions = {
      userAgent: options.userAgent.includes('mailto:') ? options.userAgent : `${options.userAgent.replace(/\)$/, '')}; mailto:${options.mailto})`,
      connectTimeoutMs: 30_000, readTimeoutMs: 60_000, requestTimeoutMs: 120_000, maxResponseBytes: 64 * 1024 * 1024, maxRedirects: 5,
      // The limiter spaces requests by what Crossref says; the host gate only must not be stricter.
      minDelayMs: 0, hostConcurrency: 16, retry: options.retry, accept: 'application/json',
      headers: options.token ? { 'crossref-plus-api-token': `Bearer ${options.token}` } : undefined,
    };
    this.http = new HttpClient(http, pool, hooks);
  }

  get requests(): number {
    return this.http.stats.requests;
  }

  get limits() {
    return this.limiter.current;
  }

  /** The works of these DOIs (lower case), in requests of `batchSize`. */
  async works(dois: readonly string[]): Promise<CrossrefAnswer> {
    const answer: CrossrefAnswer = { found: new Map(), missing: [] };
    const size = this.options.batchSize ?? 20;
    // A comma would split a filter value: such DOIs are asked for one by one.
    const listable = dois.filter((d) => !d.includes(','));
    const batches = [...chunks(listable, size), ...dois.filter((d) => d.includes(',')).map((d) => [d])];
    await Promise.all(batches.map((batch) => this.limiter.run(() => this.fetchBatch(batch, answer), this.stop)));
    return answer;
  }

  private async fetchBatch(batch: readonly string[], answer: CrossrefAnswer): Promise<void> {
    const url = batch.length === 1 ? this.workUrl(batch[0]!) : this.listUrl(batch);
    const items = await this.get(url);
    for (const work of items) if (batch.includes(work.doi)) answer.found.set(work.doi, work);
    for (const doi of batch) if (!answer.found.has(doi)) answer.missing.push(doi);
  }

  private workUrl(doi: string): URL {
    const url = new URL(`works/${encodeURIComponent(doi).replace(/%2F/gi, '/')}`, this.base());
    url.searchParams.set('mailto', this.options.mailto);
    return url;
  }

  private listUrl(dois: readonly string[]): URL {
    const url = new URL('works', this.base());
    url.searchParams.set('filter', dois.map((d) => `doi:${d}`).join(','));
    url.searchParams.set('rows', String(dois.length));
    url.searchParams.set('mailto', this.options.mailto);
    return url;
  }

  private base(): string {
    return this.options.baseUrl.endsWith('/') ? this.options.baseUrl : `${this.options.baseUrl}/`;
  }

  /** The works a response holds: one for /works/{doi}, the items of a list; none for a 404. */
  private async get(url: URL): Promise<CrossrefWork[]> {
    try {
      return await this.http.get(url, { verb: VERB }, (response) => {
        this.limiter.update(limitsFrom(response.headers, this.limiter.current));
        return worksOf(response);
      });
    } catch (error) {
      if (error instanceof CrossrefError) throw error;
      const last = error instanceof RetryBudgetExhaustedError ? error.cause : error;
      const context = { url: (error as HarvestError).url, verb: VERB };
      if (last instanceof HttpStatusError && last.status === 429) {
        throw new CrossrefRateLimitedError(`Crossref answered 429 (too many requests) until the retry budget was spent: ${(error as Error).message}`, context, { cause: error });
      }
      throw new CrossrefError(`Crossref could not be asked: ${(error as Error).message}`, context, { cause: error });
    }
  }
}

function worksOf(response: HttpResponse): CrossrefWork[] {
  const text = Buffer.from(response.body).toString('utf8');
  const context = { url: response.url, verb: VERB };
  // An unknown DOI: the plain text "Resource not found.", whatever the content type says.
  if (response.status === 404) return [];
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new CrossrefError(`Crossref sent HTTP ${response.status} and no JSON: ${text.slice(0, 120)}`, context);
  }
  const envelope = json as { status?: unknown; message?: unknown; 'message-type'?: unknown };
  if (response.status >= 400 || envelope.status !== 'ok') {
    throw new CrossrefError(`Crossref refused the request (HTTP ${response.status}): ${JSON.stringify(envelope.message ?? json).slice(0, 300)}`, context);
  }
  if (envelope['message-type'] === 'work-list') {
    const items = (envelope.message as { items?: unknown })?.items;
    return (Array.isArray(items) ? items : []).map(readCrossrefWork).filter((w): w is CrossrefWork => w !== null);
  }
  const work = readCrossrefWork(envelope.message);
  if (!work) throw new CrossrefError('Crossref sent a response that is not a work', context);
  return [work];
}

function* chunks<T>(values: readonly T[], size: number): Generator<T[]> {
  for (let i = 0; i < values.length; i += size) yield values.slice(i, i + size);
}
