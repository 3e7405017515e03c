// Where list pages are parsed: inline, or in worker threads so that parsing overlaps the
// main thread's state and output work. Errors cross the thread boundary with their class.
import { availableParallelism } from 'node:os';
import { Worker, type MessagePort } from 'node:worker_threads';
import { errorFromJson, errorToJson, type ErrorContext, type SerializedError } from './errors.ts';
import { parseListPage, type ItemOf, type ListKind, type ParsedListPage } from './list-page.ts';
import { siblingModule } from './threads.ts';
import type { Verb } from './types.ts';

/**
 * The young generation of a parser thread, bounded so that its memory does not depend on how
 * Node was started. A page's records stay alive while it is parsed and normalised, so a
 * young generation too small for them copies them at every scavenge: at 8 MB a parser
 * thread spent 0.8 s of a 20,000-record harvest in 560 scavenges, at 32 MB 0.2 s in 150 (the
 * harvest's CPU 9.6 s against 8.4 s, three runs each, alternately), for 3 MB more peak RSS at
 * 20,000 records and none at 200,000. At 64 MB the peak rose by 20-30 MB for no less CPU.
 */
const PARSER_YOUNG_GENERATION_MB = 32;

/** How one list page's bytes become items: given to the list iterator, which knows nothing else of them. */
export type PageReader<T> = (body: Uint8Array, context: ErrorContext) => Promise<ParsedListPage<T>>;

export interface PageParser {
  parse<K extends ListKind>(body: Uint8Array, verb: Verb, kind: K, context: ErrorContext): Promise<ParsedListPage<ItemOf<K>>>;
  close(): Promise<void>;
}

export const inlinePageParser: PageParser = {
  parse: async (body, verb, kind, context) => parseListPage(body, verb, kind, context),
  close: async () => {},
};

/** What every page job carries to a worker thread; a worker entry may ask for more. */
export interface PageJob {
  body: Uint8Array;
  verb: Verb;
  context: ErrorContext;
}

/** The job of the protocol's own worker (parse-worker.ts). */
export interface ListPageJob extends PageJob {
  kind: ListKind;
}

export type PageReply<T> = { id: number; page: ParsedListPage<T> } | { id: number; error: SerializedError };

interface Pending {
  resolve: (page: ParsedListPage<unknown>) => void;
  reject: (error: unknown) => void;
  worker: number;
}

/**
 * Page jobs run in `size` threads of one worker entry, round robin; `Job` is what the entry
 * reads and `Item` what its pages hold. Idle workers do not keep the process alive.
 */
export class PageWorkers<Job extends PageJob, Item> {
  private readonly workers: (Worker | undefined)[];
  private readonly pending = new Map<number, Pending>();
  private readonly workerUrl: URL;
  private nextId = 0;
  private turn = 0;

  constructor(workerUrl: URL, size: number = Math.max(1, Math.min(availableParallelism() - 1, 4))) {
    this.workers = new Array<Worker | undefined>(size).fill(undefined);
    this.workerUrl = workerUrl;
  }

  run(job: Job): Promise<ParsedListPage<Item>> {
    if (this.workers.length === 0) return Promise.reject(new Error('a pool of no threads runs no page jobs: read the pages in place'));
    const slot = this.turn++ % this.workers.length;
    const worker = this.workers[slot] ?? this.start(slot);
    const id = this.nextId++;
    // Transfer, don't copy; a view into a shared pool is copied out first.
    const { body } = job;
    const owned = body.byteOffset === 0 && body.byteLength === body.buffer.byteLength && body.buffer instanceof ArrayBuffer ? body : new Uint8Array(body);
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as Pending['resolve'], reject, worker: slot });
      worker.ref();
      worker.postMessage({ ...job, id, body: owned }, [owned.buffer as ArrayBuffer]);
    });
  }

  /** How many of the threads are started (each starts with its first job). */
  get started(): number {
    return this.workers.filter((w) => w !== undefined).length;
  }

  async close(): Promise<void> {
    const running = this.workers.filter((w): w is Worker => w !== undefined);
    this.workers.fill(undefined);
    await Promise.all(running.map((w) => w.terminate()));
  }

  private start(slot: number): Worker {
    const worker = new Worker(this.workerUrl, { resourceLimits: { maxYoungGenerationSizeMb: PARSER_YOUNG_GENERATION_MB } });
    worker.on('message', (reply: PageReply<Item>) => {
      const job = this.pending.get(reply.id);
      if (!job) return;
      this.pending.delete(reply.id);
      if (![...this.pending.values()].some((p) => p.worker === slot)) worker.unref();
      if ('error' in reply) job.reject(errorFromJson(reply.error));
      else job.resolve(reply.page);
    });
    const fail = (error: Error) => {
      // A dead worker (e.g. out of memory on a huge page) fails its jobs; the next job starts a new one.
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

const PARSE_WORKER_URL = siblingModule('parse-worker', import.meta.url);

/** Parses protocol pages in worker threads. */
export class WorkerPageParser implements PageParser {
  private readonly workers: PageWorkers<ListPageJob, unknown>;

  constructor(size?: number) {
    this.workers = new PageWorkers(PARSE_WORKER_URL, size);
  }

  parse<K extends ListKind>(body: Uint8Array, verb: Verb, kind: K, context: ErrorContext): Promise<ParsedListPage<ItemOf<K>>> {
    return this.workers.run({ body, verb, kind, context }) as Promise<ParsedListPage<ItemOf<K>>>;
  }

  close(): Promise<void> {
    return this.workers.close();
  }
}

/** A worker entry's loop: each job answered with its page (moving the buffers `transferOf` names, not copying them), or its error as it was thrown. */
export function answerPageJobs<Job extends PageJob, Item>(port: MessagePort, read: (job: Job) => ParsedListPage<Item>, transferOf: (page: ParsedListPage<Item>) => ArrayBuffer[] = () => []): void {
  port.on('message', (job: Job & { id: number }) => {
    let reply: PageReply<Item>;
    let transfer: ArrayBuffer[] = [];
    try {
      const page = read(job);
      reply = { id: job.id, page };
      transfer = transferOf(page);
    } catch (error) {
      reply = { id: job.id, error: errorToJson(error) };
    }
    port.postMessage(reply, transfer);
  });
}
