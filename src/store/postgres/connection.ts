// A synchronous PostgreSQL connection, so that one store interface serves both backends: the
// store's callers (page commits, works recomputes) are synchronous, as node:sqlite is. The
// connection itself (node-postgres, asynchronous) lives in a thread of its own; each query is
// posted to it and this thread waits on a shared flag until the answer is on the port. One
// query at a time per connection, which is what a transaction needs anyway.
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { siblingModule } from '../../oai/threads.ts';
import { redactText } from '../../oai/secrets.ts';
import { StateDatabaseError } from '../errors.ts';

export type PgRow = Record<string, unknown>;
export type PgParam = string | number | boolean | null | readonly (string | null)[] | readonly (number | null)[] | readonly (boolean | null)[];

/** What the connection's thread answers: the rows, or the error PostgreSQL gave. */
export type PgAnswer =
  | { ok: true; rows: PgRow[]; rowCount: number }
  | { ok: false; message: string; sqlState: string | undefined; detail: string | undefined };

export interface PgRequest {
  sql: string;
  params: readonly PgParam[];
}

/** Longest wait for the server to take the connection, as a harvest's first request would. */
const CONNECT_TIMEOUT_MS = 30_000;
const THREAD_URL = siblingModule('connection-thread', import.meta.url);

export class PgConnection {
  /** The state's location with any password taken out, for messages. */
  readonly location: string;
  private readonly worker: Worker;
  private readonly port: MessagePort;
  private readonly answered = new Int32Array(new SharedArrayBuffer(4));
  private open = true;

  constructor(url: string) {
    this.location = redactText(url.replace(/(\/\/[^:/@]+):[^@/]*@/, '$1:***@'));
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    this.worker = new Worker(THREAD_URL, { workerData: { url, port: port2, answered: this.answered }, transferList: [port2] });
    // The thread ends with the connection; it never keeps the process alive on its own.
    this.worker.unref();
    const answer = this.await('connect', CONNECT_TIMEOUT_MS);
    if (!answer.ok) {
      this.open = false;
      throw new StateDatabaseError(this.location, `cannot connect: ${answer.message}`, answer.sqlState);
    }
  }

  /** Runs one statement; `$1`, `$2`… take `params`. */
  query(sql: string, params: readonly PgParam[] = []): PgRow[] {
    return this.request({ sql, params }).rows;
  }

  /** Runs one statement and tells how many rows it wrote. */
  run(sql: string, params: readonly PgParam[] = []): number {
    return this.request({ sql, params }).rowCount;
  }

  /** Runs `work` in one transaction; any throw rolls everything back. */
  transaction<T>(work: () => T): T {
    this.query('BEGIN');
    try {
      const result = work();
      this.query('COMMIT');
      return result;
    } catch (error) {
      if (this.open) this.query('ROLLBACK');
      throw error;
    }
  }

  /** Runs `read` in one read-only transaction that sees one moment, whatever commits meanwhile. */
  snapshot<T>(read: () => T): T {
    this.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    try {
      return read();
    } finally {
      this.query('COMMIT');
    }
  }

  close(): void {
    if (!this.open) return;
    this.open = false;
    this.port.postMessage('close');
    this.await('close', CONNECT_TIMEOUT_MS);
    this.port.close();
  }

  private request(request: PgRequest): { rows: PgRow[]; rowCount: number } {
    if (!this.open) throw new StateDatabaseError(this.location, 'the connection is closed', undefined);
    this.port.postMessage(request);
    const answer = this.await(request.sql);
    if (answer.ok) return answer;
    throw new StateDatabaseError(this.location, `${answer.message}${answer.detail ? ` (${answer.detail})` : ''}, in: ${request.sql.replace(/\s+/g, ' ').slice(0, 200)}`, answer.sqlState);
  }

  /** Blocks until the thread posts its answer; a statement may wait on another's locks, so no timeout but the connect's. */
  private await(what: string, timeoutMs?: number): PgAnswer {
    const started = Date.now();
    for (;;) {
      const outcome = Atomics.wait(this.answered, 0, 0, timeoutMs === undefined ? undefined : Math.max(0, timeoutMs - (Date.now() - started)));
      const message = receiveMessageOnPort(this.port);
      if (message) {
        Atomics.store(this.answered, 0, 0);
        return message.message as PgAnswer;
      }
      if (outcome === 'timed-out') {
        void this.worker.terminate();
        this.open = false;
        throw new StateDatabaseError(this.location, `no answer from PostgreSQL within ${timeoutMs} ms (${what})`, undefined);
      }
      Atomics.store(this.answered, 0, 0);
    }
  }
}
