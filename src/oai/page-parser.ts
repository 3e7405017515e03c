// Where list pages are parsed: inline, or in worker threads so that parsing overlaps the
// main thread's state and output work. Errors cross the thread boundary with their class.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { errorFromJson, errorToJson, type ErrorContext, type SerializedError } from './errors.ts';
import { parseListPage, type ItemOf, type ListKind, type ParsedListPage } from './list-page.ts';
import type { Verb } from './types.ts';

export interface PageParser {
  /** `options` travel to the worker untouched, for worker entries that do more than parse. */
  parse<K extends ListKind>(body: Uint8Array, verb: Verb, kind: K, context: ErrorContext, options?: unknown): Promise<ParsedListPage<ItemOf<K>>>;
  close(): Promise<void>;
}

export const inlinePageParser: PageParser = {
  parse: async (body, verb, kind, context) => parseListPage(body, verb, kind, context),
  close: async () => {},
};

export interface ParseRequest {
  id: number;
  body: Uint8Array;
  verb: Verb;
  kind: ListKind;
  context: ErrorContext;
  options?: unknown;
}

export type ParseReply = { id: number; page: ParsedListPage<unknown> } | { id: number; error: SerializedError };

interface Pending {
  resolve: (page: ParsedListPage<unknown>) => void;
  reject: (error: unknown) => void;
}

/** A module next to the caller, with the caller's extension (.ts from source, .js built). */
export function siblingModule(name: string, callerUrl: string): URL {
  return new URL(`./${name}${callerUrl.endsWith('.ts') ? '.ts' : '.js'}`, callerUrl);
}

const WORKER_URL = siblingModule('parse-worker', import.meta.url);

/** Parses pages in `size` worker threads, round robin. Idle workers do not keep the process alive. */
export class WorkerPageParser implements PageParser {
  private readonly workers: (Worker | undefined)[];
  private readonly pending = new Map<number, Pending & { worker: number }>();
  private nextId = 0;
  private turn = 0;

  private readonly workerUrl: URL;

  /** `workerUrl`: another entry point that answers ParseRequests (formats/harvest-worker). */
  constructor(size: number = Math.max(1, Math.min(availableParallelism() - 1, 4)), workerUrl: URL = WORKER_URL) {
    this.workers = new Array<Worker | undefined>(size).fill(undefined);
    this.workerUrl = workerUrl;
  }

  parse<K extends ListKind>(body: Uint8Array, verb: Verb, kind: K, context: ErrorContext, options?: unknown): Promise<ParsedListPage<ItemOf<K>>> {
    const slot = this.turn++ % this.workers.length;
    const worker = this.workers[slot] ?? this.start(slot);
    const id = this.nextId++;
    // Transfer, don't copy; a view into a shared pool is copied out first.
    const owned = body.byteOffset === 0 && body.byteLength === body.buffer.byteLength && body.buffer instanceof ArrayBuffer ? body : new Uint8Array(body);
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as Pending['resolve'], reject, worker: slot });
      worker.ref();
      worker.postMessage({ id, body: owned, verb, kind, context, options } satisfies ParseRequest, [owned.buffer as ArrayBuffer]);
    });
  }

  async close(): Promise<void> {
    const running = this.workers.filter((w): w is Worker => w !== undefined);
    this.workers.fill(undefined);
    await Promise.all(running.map((w) => w.terminate()));
  }

  private start(slot: number): Worker {
    // A small young generation keeps the thread's heap from ballooning between collections:
    // measured, peak RSS stops depending on how long the harvest runs, for ~10% of speed.
    const worker = new Worker(this.workerUrl, { resourceLimits: { maxYoungGenerationSizeMb: 8 } });
    worker.on('message', (reply: ParseReply) => {
      const job = this.pending.get(reply.id);
      if (!job) return;
      this.pending.delete(reply.id);
      if (![...this.pending.values()].some((p) => p.worker === slot)) worker.unref();
      if ('error' in reply) job.reject(errorFromJson(reply.error));
      else job.resolve(reply.page);
    });
    const fail = (error: Error) => {
      // A dead worker (e.g. out of memory on a huge page) fails its jobs; the next parse starts a new one.
      if (this.workers[slot] === worker) this.workers[slot] = undefined;
      for (const [id, job] of this.pending) {
        if (job.worker !== slot) continue;
        this.pending.delete(id);
        job.reject(new Error(`the page parser thread stopped: ${error.message}`, { cause: error }));
      }
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`exit code ${code}`)));
    this.workers[slot] = worker;
    return worker;
  }
}

export { errorToJson };
