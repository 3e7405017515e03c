// A second worker for the concurrency tests: a PgConnection in a thread of its own, called
// asynchronously. PgConnection blocks its thread while a statement waits on a lock; two
// transactions that must overlap cannot both be driven from one thread.
import { Worker } from 'node:worker_threads';
import type { PgConnection } from '../../../src/store/postgres/connection.ts';

export interface SessionCall {
  target: 'db' | 'records' | 'works' | 'snapshots';
  method: string;
  args: unknown[];
}

type Reply = { ok: true; value: unknown } | { ok: false; message: string; code: string | undefined };

export class PgSession {
  private readonly worker: Worker;
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(worker: Worker) {
    this.worker = worker;
  }

  static async open(url: string): Promise<PgSession> {
    const session = new PgSession(new Worker(new URL('./session-thread.ts', import.meta.url), { workerData: { url } }));
    await session.reply();
    return session;
  }

  /** Starts a call; the promise settles once the thread has run it (it may wait on locks). */
  call(target: SessionCall['target'], method: string, ...args: unknown[]): Promise<unknown> {
    const answer = this.queue.then(() => {
      this.worker.postMessage({ target, method, args } satisfies SessionCall);
      return this.reply();
    });
    this.queue = answer.catch(() => undefined);
    return answer;
  }

  sql(sql: string, params: unknown[] = []): Promise<unknown> {
    return this.call('db', 'query', sql, params);
  }

  async close(): Promise<void> {
    await this.queue;
    this.worker.postMessage('close');
    await new Promise((resolve) => this.worker.once('exit', resolve));
  }

  private reply(): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.worker.once('message', (reply: Reply) => {
        if (reply.ok) resolve(reply.value);
        else reject(Object.assign(new Error(reply.message), { code: reply.code }));
      });
    });
  }
}

/** Waits until `count` backends of this database wait on a lock: the overlap the test forces is in place. */
export async function lockWaiters(monitor: PgConnection, count: number, timeoutMs = 10_000): Promise<void> {
  const started = Date.now();
  for (;;) {
    const [row] = monitor.query(`SELECT COUNT(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`);
    if (Number(row!['n']) >= count) return;
    if (Date.now() - started > timeoutMs) throw new Error(`fewer than ${count} transactions waiting on a lock after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Resolves to 'pending' if `promise` has not settled within `ms`: the call is still waiting. */
export async function stillPending(promise: Promise<unknown>, ms = 200): Promise<unknown> {
  return Promise.race([promise, new Promise((resolve) => setTimeout(() => resolve('pending'), ms))]);
}
