// What a run tells whoever watches it (a terminal display) while it works, and the HTTP hooks
// that log each retry and each long wait and pass them on.
import type { Logger } from 'pino';
import type { ErrorCode } from '../oai/errors.ts';
import type { HttpHooks } from '../oai/http.ts';

/** One list of a source, as far as it has come. */
export interface ListProgress {
  source: string;
  list: string;
  state: 'running' | 'complete' | 'failed';
  pages: number;
  /** Records received over the whole list, earlier runs of a resumed harvest included. */
  received: number;
  /** Of `received`, those before this run: a rate counts this run's only. */
  receivedBefore: number;
  /** The server's list size, when its resumption tokens tell it. */
  completeListSize: number | null;
  startedAt: number;
}

/** A source waiting: before another attempt, or for a request's answer. */
export interface SourceWait {
  source: string;
  kind: 'retry' | 'answer';
  verb: string | undefined;
  /** For a retry, what failed; for an answer, what is awaited. */
  reason: string;
  attempt: number;
  /** Attempts the request may have; null when it is not retrying. */
  attempts: number | null;
  /** When the retry starts, or when the request gives up (ms since the epoch). */
  until: number;
}

export interface ProgressListener {
  list(progress: Readonly<ListProgress>): void;
  /** A source starts waiting, or (null) stops. */
  wait(source: string, wait: SourceWait | null): void;
}

/** Logs every retry and long wait of a source's requests (with source, verb and URL), and tells the listener. */
export function httpHooks(context: { log: Logger; source: string; progress: ProgressListener | undefined; stop: AbortSignal | undefined }): HttpHooks {
  const { log, source, progress } = context;
  return {
    stop: context.stop,
    onRetry: (e) => {
      log.warn({ verb: e.verb, url: e.url, attempt: e.attempt, attempts: e.attempts, delayMs: e.delayMs, retryAt: new Date(e.retryAt).toISOString(), reason: e.reason }, 'retrying request');
      progress?.wait(source, { source, kind: 'retry', verb: e.verb, reason: shortReason(e.code, e.reason), attempt: e.attempt, attempts: e.attempts, until: e.retryAt });
    },
    onWaiting: (e) => {
      const what = e.phase === 'headers' ? 'waiting for an answer' : 'still reading the answer';
      log.info({ verb: e.verb, url: e.url, attempt: e.attempt, waitedS: Math.round(e.waitedMs / 1000), bytes: e.bytes, givesUpAt: new Date(e.givesUpAt).toISOString() }, what);
      progress?.wait(source, { source, kind: 'answer', verb: e.verb, reason: e.phase === 'headers' ? 'no answer yet' : `${e.bytes} bytes read`, attempt: e.attempt, attempts: null, until: e.givesUpAt });
    },
    onAnswered: () => progress?.wait(source, null),
  };
}

/** A failure in a few words, enough for one line: "503", "ECONNRESET", "no answer". */
function shortReason(code: ErrorCode, reason: string): string {
  if (code === 'OAIH_HTTP_STATUS') return /\bHTTP (\d{3})\b/.exec(reason)?.[1] ?? reason;
  if (code === 'OAIH_NO_ANSWER') return 'no answer';
  if (code === 'OAIH_REQUEST_DEADLINE') return 'a response too slow';
  if (code === 'OAIH_XML') return 'a broken page';
  if (code === 'OAIH_NOT_OAI') return 'a page that is not OAI-PMH';
  const network = /\b(E[A-Z]{3,}|UND_ERR_[A-Z_]+)\b/.exec(reason)?.[1];
  if (network) return network;
  return reason.length > 40 ? `${reason.slice(0, 39)}…` : reason;
}
