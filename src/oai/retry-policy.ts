// How often and how long a request is retried: plain data, read by the configuration without
// loading the HTTP client itself.

export interface RetryPolicy {
  /** Attempts per request for network errors, timeouts, 429 and 5xx. */
  maxAttempts: number;
  /** Attempts per request when the body is broken (truncated or not OAI-PMH). */
  maxContentAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** A Retry-After longer than this is waited for this long only. */
  maxRetryAfterMs: number;
  /** Total time a source may spend waiting to retry, over the whole run. */
  budgetMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = {
  maxAttempts: 6,
  maxContentAttempts: 3,
  baseDelayMs: 2_000,
  maxDelayMs: 60_000,
  maxRetryAfterMs: 600_000,
  budgetMs: 900_000,
};
