/**
 * A bounded hand-over between the page fetcher and its consumer. `put` waits while the
 * queue is full; `take` waits while it is empty and returns undefined once closed and
 * drained; a failure is delivered after the pages fetched before it.
 */
export class PageQueue<T> {
  private readonly items: T[] = [];
  private failure: { error: unknown } | undefined;
  private closed = false;
  cancelled = false;
  private wakeTaker: (() => void) | undefined;
  private wakePutter: (() => void) | undefined;

  private readonly capacity: number;

  constructor(capacity: number) {
    this.capacity = capacity;
  }

  async put(item: T): Promise<void> {
    while (this.items.length >= this.capacity && !this.cancelled) {
      await new Promise<void>((resolve) => (this.wakePutter = resolve));
    }
    if (this.cancelled) return;
    this.items.push(item);
    this.wake('taker');
  }

  async take(): Promise<T | undefined> {
    for (;;) {
      if (this.items.length > 0) {
        const item = this.items.shift()!;
        this.wake('putter');
        return item;
      }
      if (this.failure) throw this.failure.error;
      if (this.closed) return undefined;
      await new Promise<void>((resolve) => (this.wakeTaker = resolve));
    }
  }

  close(): void {
    this.closed = true;
    this.wake('taker');
  }

  fail(error: unknown): void {
    this.failure = { error };
    this.wake('taker');
  }

  /** The consumer has gone: stop fetching and release a waiting producer. */
  cancel(): void {
    this.cancelled = true;
    this.items.length = 0;
    this.wake('putter');
  }

  private wake(who: 'taker' | 'putter'): void {
    const wake = who === 'taker' ? this.wakeTaker : this.wakePutter;
    if (who === 'taker') this.wakeTaker = undefined;
    else this.wakePutter = undefined;
    wake?.();
  }
}
