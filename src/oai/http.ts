// HTTP for one source: politeness, timeouts, retries within a budget, decompression and
// a size cap. Knows nothing of OAI-PMH beyond "is this body worth retrying".
import { Agent, interceptors, request, type Dispatcher } from 'undici';
import {
  ForbiddenError, HarvestError, HttpStatusError, NetworkError, NoAnswerError, NotOaiResponseError, RequestDeadlineError,
  RetryBudgetExhaustedError, StoppedError, XmlError, type ErrorCode, type ErrorContext,
} from './errors.ts';
import { HostGates, sleep, type HostGate } from './host-gate.ts';
import { backoffDelay, parseRetryAfter } from './retry-after.ts';
import type { RetryPolicy } from './retry-policy.ts';
import { decompress, readBody, type RequestWatch } from './response-body.ts';
import { quoteStart } from './xml.ts';
import { redactUrl } from './secrets.ts';

export { DEFAULT_RETRY, type RetryPolicy } from './retry-policy.ts';

export interface HttpOptions {
  userAgent: string;
  /** Contact e-mail, sent as the From header (OAI-PMH harvester guidelines §2.1). */
  from?: string | undefined;
  connectTimeoutMs: number;
  /** The longest wait for the headers, and between two chunks of the body. */
  readTimeoutMs: number;
  /** The longest a whole request may take, however steadily its body trickles in. */
  requestTimeoutMs: number;
  maxResponseBytes: number;
  maxRedirects: number;
  minDelayMs: number;
  hostConcurrency: number;
  retry: RetryPolicy;
  /** Query parameters whose values never appear in errors or logs (e.g. api_key). */
  redactParams?: readonly string[];
  /** Basic credentials (from a base URL's userinfo), sent only to that URL's origin. */
  basicAuth?: { origin: string; header: string } | undefined;
  /** More request headers (an API token: register it as a secret first). */
  headers?: Readonly<Record<string, string>> | undefined;
  /** Accept header; OAI-PMH XML by default. */
  accept?: string | undefined;
}

/** Attempts at a host that never answered and cannot be reached, or does not answer. */
const NEVER_ANSWERED_ATTEMPTS = 2;
const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

/** A failure to reach the host at all: its name does not resolve, or nothing listens. */
function unreachable(error: NetworkError): boolean {
  return causeCodes(error.cause).some((code) => UNREACHABLE_CODES.has(code));
}

export interface HttpResponse {
  status: number;
  body: Uint8Array;
  url: string;
  /** Bytes as received, before decompression. */
  wireBytes: number;
  /** Response headers, names in lower case. */
  headers: Record<string, string | string[] | undefined>;
}

export interface RetryEvent {
  url: string;
  verb: string | undefined;
  /** The attempt that failed, of `attempts` this request may have. */
  attempt: number;
  attempts: number;
  delayMs: number;
  /** When the next attempt starts (ms since the epoch). */
  retryAt: number;
  reason: string;
  /** The failure's stable code. */
  code: ErrorCode;
}

/** A request still without its answer, reported every WAIT_NOTICE_MS. */
export interface WaitEvent {
  url: string;
  verb: string | undefined;
  attempt: number;
  /** 'headers' until the server starts answering, then 'body' while it is read. */
  phase: RequestWatch['phase'];
  waitedMs: number;
  /** Bytes of the body read so far. */
  bytes: number;
  /** When the request gives up if nothing more comes (ms since the epoch). */
  givesUpAt: number;
}

/** What a client tells its caller while it works, and the signal that stops it. */
export interface HttpHooks {
  onRetry?: ((event: RetryEvent) => void) | undefined;
  onWaiting?: ((event: WaitEvent) => void) | undefined;
  /** A request reported waiting has its answer. */
  onAnswered?: (() => void) | undefined;
  stop?: AbortSignal | undefined;
}

/** How often a request without its answer is reported: a silent server is never silent to the user. */
export const WAIT_NOTICE_MS = 30_000;

export interface HttpStats {
  requests: number;
  retries: number;
  wireBytes: number;
  retryWaitMs: number;
}

/** Shared connection pool and host gates; one per process. */
export class HttpPool {
  readonly gates = new HostGates();
  private readonly agents = new Map<string, Dispatcher>();
  private readonly closing = new AbortController();

  /** Aborted when the pool closes: requests still retrying then stop instead of waiting. */
  get signal(): AbortSignal {
    return this.closing.signal;
  }

  dispatcher(connectTimeoutMs: number, maxRedirects: number): Dispatcher {
    const key = `${connectTimeoutMs}/${maxRedirects}`;
    let agent = this.agents.get(key);
    if (!agent) {
      agent = new Agent({ connect: { timeout: connectTimeoutMs }, connections: 8 }).compose(
        interceptors.redirect({ maxRedirections: maxRedirects }),
      );
      this.agents.set(key, agent);
    }
    return agent;
  }

  /** Ends every connection; a request still in flight (a prefetch nobody waits for) is abandoned. */
  async close(): Promise<void> {
    this.closing.abort();
    await Promise.all([...this.agents.values()].map((a) => a.destroy()));
    this.agents.clear();
  }
}

/**
 * Fetches URLs for one source. `accept` turns a response into a value or throws; when
 * it throws an XmlError or NotOaiResponseError the request is retried a few times,
 * because servers under load send truncated pages and HTML error pages transiently.
 */
export class HttpClient {
  readonly stats: HttpStats = { requests: 0, retries: 0, wireBytes: 0, retryWaitMs: 0 };
  private readonly dispatcher: Dispatcher;
  private readonly options: HttpOptions;
  private readonly pool: HttpPool;
  private readonly hooks: HttpHooks;
  /** Aborted when the pool closes or the caller stops: no new attempt, no more waiting. */
  private readonly ended: AbortSignal;
  private readonly stop: AbortSignal | undefined;
  /** Whether the host ever answered this client: until it has, a host that cannot be reached fails fast. */
  private answered = false;

  constructor(options: HttpOptions, pool: HttpPool, hooks: HttpHooks = {}) {
    this.options = options;
    this.pool = pool;
    this.hooks = hooks;
    this.stop = hooks.stop;
    this.ended = hooks.stop ? AbortSignal.any([pool.signal, hooks.stop]) : pool.signal;
    this.dispatcher = pool.dispatcher(options.connectTimeoutMs, options.maxRedirects);
  }

  async get<T>(url: URL, context: ErrorContext, accept: (response: HttpResponse) => T | Promise<T>): Promise<T> {
    const gate = this.pool.gates.for(url, this.options.hostConcurrency, this.options.minDelayMs);
    const shown = redactUrl(url, this.options.redactParams);
    const ctx: ErrorContext = { ...context, url: shown };
    const retry = this.options.retry;
    for (let attempt = 1; ; attempt++) {
      // A closed pool means the caller has stopped (a finished or interrupted run): no retry.
      if (this.ended.aborted) throw this.endedError(ctx, undefined);
      let failure: HarvestError;
      let delay: number | undefined;
      let limit = retry.maxAttempts;
      try {
        const response = await this.fetchOnce(gate, url, ctx, attempt);
        this.answered = true;
        const { status } = response;
        if (status === 403) {
          throw new ForbiddenError(status, quoteStart(Buffer.from(response.body).toString('utf8'), 120), ctx);
        }
        if (status === 429 || status >= 500) {
          failure = new HttpStatusError(status, quoteStart(Buffer.from(response.body).toString('utf8'), 120), ctx);
          if (status === 429 || status === 503) {
            const after = parseRetryAfter(response.retryAfter);
            if (after !== undefined) delay = Math.min(after, retry.maxRetryAfterMs) + Math.round(Math.random() * 250);
          }
        } else {
          // 2xx, and 4xx that may carry an OAI-PMH error document (Zenodo answers 422).
          try {
            return await accept(response);
          } catch (error) {
            if (!(error instanceof XmlError || error instanceof NotOaiResponseError)) throw error;
            if (status >= 400 && error instanceof NotOaiResponseError) {
              throw new HttpStatusError(status, quoteStart(Buffer.from(response.body).toString('utf8'), 120), ctx);
            }
            failure = error;
            limit = retry.maxContentAttempts;
          }
        }
      } catch (error) {
        if (!(error instanceof NetworkError)) throw error;
        failure = error;
        // A server that takes the whole deadline is tried as often as one sending broken pages.
        if (error instanceof RequestDeadlineError) limit = retry.maxContentAttempts;
        // A host that never answered, and cannot be reached (no such name, connection refused) or
        // takes a connection and says nothing, is wrong or down: two tries, not the whole budget.
        if (!this.answered && (unreachable(error) || error instanceof NoAnswerError)) limit = Math.min(limit, NEVER_ANSWERED_ATTEMPTS);
      }
      if (attempt >= limit) throw failure;
      delay ??= backoffDelay(attempt, retry.baseDelayMs, retry.maxDelayMs);
      if (this.stats.retryWaitMs + delay > retry.budgetMs) {
        throw new RetryBudgetExhaustedError(
          `retry budget of ${Math.round(retry.budgetMs / 1000)} s spent after ${attempt} attempt(s); last failure: ${failure.message}`,
          ctx,
          { cause: failure },
        );
      }
      this.stats.retries++;
      this.stats.retryWaitMs += delay;
      if (this.ended.aborted) throw this.endedError(ctx, failure);
      this.hooks.onRetry?.({ url: shown, verb: context.verb, attempt, attempts: limit, delayMs: delay, retryAt: Date.now() + delay, reason: failure.message, code: failure.code });
      await sleep(delay, this.ended);
      if (this.ended.aborted) throw this.endedError(ctx, failure);
    }
  }

  private endedError(ctx: ErrorContext, failure: HarvestError | undefined): HarvestError {
    if (this.stop?.aborted && !this.pool.signal.aborted) {
      // With no failure before it, the stop came while the request was on its way (a page
      // prefetched), not during a retry's wait.
      const what = failure ? `stopped while waiting to retry (last failure: ${failure.message})` : 'stopped before this request was answered';
      return new StoppedError(`${what}; the next run resumes here`, { ...ctx, stage: 'http' }, failure ? { cause: failure } : undefined);
    }
    return failure ?? new NetworkError('the HTTP connections are closed; the request was abandoned', { ...ctx, stage: 'http' });
  }

  private async fetchOnce(gate: HostGate, url: URL, ctx: ErrorContext, attempt: number): Promise<HttpResponse & { retryAfter?: string }> {
    return gate.run(async () => {
      this.stats.requests++;
      // A deadline for the whole request beside the idle timeouts, and the stop signal: a body
      // that trickles a byte at a time never trips an idle timeout.
      const deadline = AbortSignal.timeout(this.options.requestTimeoutMs);
      const signal = AbortSignal.any([deadline, this.ended]);
      const reading = this.watchRequest(ctx, attempt);
      const ended = (error: unknown): HarvestError => {
        if (this.ended.aborted) return this.endedError(ctx, undefined);
        if (deadline.aborted) {
          return new RequestDeadlineError(`the response took longer than ${Math.round(this.options.requestTimeoutMs / 1000)} s in all (requestTimeoutMs)`, { ...ctx, stage: 'http' }, { cause: error });
        }
        return new NetworkError(`reading the body failed: ${describeNetworkError(error)}`, { ...ctx, stage: 'http' }, { cause: error });
      };
      try {
        let response: Dispatcher.ResponseData;
        try {
          response = await this.send(url, signal);
        } catch (error) {
          if (signal.aborted) throw ended(error);
          if (causeCodes(error).includes('UND_ERR_HEADERS_TIMEOUT')) {
            throw new NoAnswerError(`the server took the connection but sent no answer within ${Math.round(this.options.readTimeoutMs / 1000)} s (readTimeoutMs)`, { ...ctx, stage: 'http' }, { cause: error });
          }
          throw new NetworkError(`request failed: ${describeNetworkError(error)}`, { ...ctx, stage: 'http' }, { cause: error });
        }
        reading.phase = 'body';
        const { raw, size, cutShort } = await readBody(response, { ctx, ended, reading, maxResponseBytes: this.options.maxResponseBytes });
        this.stats.wireBytes += size;
        const encoding = String(response.headers['content-encoding'] ?? '').toLowerCase();
        // The start of a compressed error page cut short may not inflate: its raw bytes serve the quote.
        const inflated = () => decompress(raw, { encoding, ctx, maxOutputLength: this.options.maxResponseBytes });
        const body = cutShort ? await inflated().catch(() => raw) : await inflated();
        const retryAfter = response.headers['retry-after'];
        const result: HttpResponse & { retryAfter?: string } = { status: response.statusCode, body, url: ctx.url ?? url.href, wireBytes: size, headers: response.headers };
        if (typeof retryAfter === 'string') result.retryAfter = retryAfter;
        return result;
      } finally {
        reading.stop();
      }
    });
  }

  /** Reports a request every WAIT_NOTICE_MS until it is answered and read. */
  private watchRequest(ctx: ErrorContext, attempt: number): RequestWatch {
    const started = Date.now();
    const { readTimeoutMs, requestTimeoutMs } = this.options;
    let reported = false;
    const watch: RequestWatch = {
      phase: 'headers', bytes: 0, lastByteAt: started,
      stop: () => {
        clearInterval(timer);
        if (reported) this.hooks.onAnswered?.();
      },
    };
    const timer = setInterval(() => {
      reported = true;
      const now = Date.now();
      // Headers must come within readTimeoutMs of sending; body chunks within it of each other.
      const idleLimit = watch.phase === 'headers' ? started + readTimeoutMs : watch.lastByteAt + readTimeoutMs;
      this.hooks.onWaiting?.({
        url: ctx.url ?? '', verb: ctx.verb, attempt, phase: watch.phase, waitedMs: now - started, bytes: watch.bytes,
        givesUpAt: Math.min(idleLimit, started + requestTimeoutMs),
      });
    }, WAIT_NOTICE_MS);
    timer.unref();
    return watch;
  }

  private send(url: URL, signal: AbortSignal): Promise<Dispatcher.ResponseData> {
    return request(url, {
      signal,
      dispatcher: this.dispatcher,
      method: 'GET',
      headersTimeout: this.options.readTimeoutMs,
      bodyTimeout: this.options.readTimeoutMs,
      headers: {
        ...(this.options.basicAuth && url.origin === this.options.basicAuth.origin ? { authorization: this.options.basicAuth.header } : {}),
        'user-agent': this.options.userAgent,
        ...(this.options.from ? { from: this.options.from } : {}),
        'accept-encoding': 'gzip, deflate',
        accept: this.options.accept ?? 'text/xml, application/xml;q=0.9, */*;q=0.1',
        ...this.options.headers,
      },
    });
  }

}


/** The `code`s of an error and of the errors it wraps (undici's, Node's), outermost first. */
function causeCodes(error: unknown): string[] {
  const codes: string[] = [];
  for (let e: unknown = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') codes.push(code);
  }
  return codes;
}

function describeNetworkError(error: unknown): string {
  const code = causeCodes(error)[0];
  const message = (error as { message?: string }).message ?? String(error);
  return code && !message.includes(code) ? `${code} ${message}` : message;
}
