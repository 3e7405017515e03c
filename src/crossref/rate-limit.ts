// Crossref's limits, as each response states them: `x-rate-limit-limit` requests per
// `x-rate-limit-interval`, at most `x-concurrency-limit` at once. Never fixed numbers: the
// pools and their limits changed three times between 2022 and 2026 (crossref-and-bibtex.md §2).
import { sleep } from '../oai/host-gate.ts';

export interface RateLimits {
  limit: number;
  intervalMs: number;
  concurrency: number;
}

/** Until a response says otherwise: the public pool's single-work limits of 2026, the strictest seen. */
export const STARTING_LIMITS: RateLimits = { limit: 5, intervalMs: 1000, concurrency: 1 };

/** The limits a response states; the ones it leaves out stay as they were. */
export function limitsFrom(headers: Record<string, string | string[] | undefined>, current: RateLimits): RateLimits {
  const header = (name: string) => {
    const v = headers[name];
    return Array.isArray(v) ? v[0] : v;
  };
  const limit = Number(header('x-rate-limit-limit'));
  const interval = /^(\d+(?:\.\d+)?)\s*(ms|s|m)?$/.exec(header('x-rate-limit-interval')?.trim() ?? '');
  const concurrency = Number(header('x-concurrency-limit'));
  const unit = interval?.[2] === 'ms' ? 1 : interval?.[2] === 'm' ? 60_000 : 1000;
  return {
    limit: Number.isInteger(limit) && limit > 0 ? limit : current.limit,
    intervalMs: interval ? Math.max(1, Number(interval[1]) * unit) : current.intervalMs,
    concurrency: Number.isInteger(concurrency) && concurrency > 0 ? concurrency : current.concurrency,
  };
}

/** Starts requests no faster than the limits allow, and no more at once; the limits follow the responses. */
export class RateLimiter {
  private limits: RateLimits;
  private active = 0;
  private lastStartAt = -Infinity;
  private readonly waiting: (() => void)[] = [];

  constructor(limits: RateLimits = STARTING_LIMITS) {
    this.limits = limits;
  }

  get current(): RateLimits {
    return this.limits;
  }

  update(limits: RateLimits): void {
    this.limits = limits;
    this.wake();
  }

  async run<T>(task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    while (this.active >= this.limits.concurrency) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.active++;
    try {
      await this.spaced(signal);
      return await task();
    } finally {
      this.active--;
      this.wake();
    }
  }

  /**
   * Spaced evenly over the interval, so a burst never exceeds the limit within one. Checked
   * again on waking: limits lowered while a start waited hold for it too.
   */
  private async spaced(signal: AbortSignal | undefined): Promise<void> {
    for (;;) {
      const start = this.lastStartAt + this.limits.intervalMs / this.limits.limit;
      if (start <= Date.now()) break;
      await sleep(start - Date.now(), signal);
    }
    this.lastStartAt = Date.now();
  }

  /** Waiters check the limit again when they wake: only as many as it allows go on. */
  private wake(): void {
    for (const next of this.waiting.splice(0)) next();
  }
}
