import PQueue from 'p-queue';

/**
 * Politeness towards one host: at most `concurrency` requests at once, and at least
 * `minDelayMs` between the end of one request and the start of the next.
 */
export class HostGate {
  readonly host: string;
  private readonly queue: PQueue;
  private minDelayMs: number;
  private nextStartAt = 0;

  constructor(host: string, concurrency: number, minDelayMs: number) {
    this.host = host;
    this.queue = new PQueue({ concurrency });
    this.minDelayMs = minDelayMs;
  }

  /** Sources sharing a host share its gate; the most polite setting wins. */
  tighten(concurrency: number, minDelayMs: number): void {
    this.queue.concurrency = Math.min(this.queue.concurrency, concurrency);
    this.minDelayMs = Math.max(this.minDelayMs, minDelayMs);
  }

  run<T>(task: () => Promise<T>): Promise<T> {
    return this.queue.add(async () => {
      const wait = this.nextStartAt - Date.now();
      if (wait > 0) await sleep(wait);
      try {
        return await task();
      } finally {
        this.nextStartAt = Date.now() + this.minDelayMs;
      }
    });
  }
}

/** One gate per host for the whole process, so politeness holds across sources. */
export class HostGates {
  private readonly gates = new Map<string, HostGate>();

  for(url: URL, concurrency: number, minDelayMs: number): HostGate {
    const host = url.host;
    let gate = this.gates.get(host);
    if (gate) gate.tighten(concurrency, minDelayMs);
    else this.gates.set(host, (gate = new HostGate(host, concurrency, minDelayMs)));
    return gate;
  }
}

/** Waits `ms`, or less when `signal` aborts first (nothing is left waiting once a pool closes). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
