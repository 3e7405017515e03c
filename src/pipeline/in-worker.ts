// A run, a schedule, or a fleet worker's jobs, in a worker thread of its own whose young
// generation is bounded: the peak memory is the same however the process was started, with V8
// flags or without (a systemd unit, `node dist/cli/bin.js`, a library user). The caller's
// thread keeps the terminal, the signals and the log output (and a fleet worker's queue); the
// worker sends it log lines, progress and the summary (or each job's result).
import { Worker } from 'node:worker_threads';
import { HarvestError, type ErrorCode } from '../oai/errors.ts';
import { registeredSecrets } from '../oai/secrets.ts';
import { siblingModule } from '../oai/threads.ts';
import { ConfigError } from '../config/config.ts';
import type { HarvestOptions } from './context.ts';
import type { RunSummary } from './summary.ts';
import type { ListProgress, ProgressListener, SourceWait } from './progress.ts';
import type { ScheduleOptions, ScheduleSummary } from './schedule.ts';
import type { FleetWorkerOptions, FleetWorkerSummary } from './fleet-worker.ts';
import type { JobRequest, JobResult, JobRunner, JobRunnerOptions } from './job-runner.ts';
import { lineLogger, type PortableError } from './thread-port.ts';

/**
 * The young generation's limit: three semi-spaces of 8 MB, as `--max-semi-space-size=8` gives.
 * V8's default lets it grow to 64 MB, and a harvest's main thread then peaks about 110 MB higher.
 */
export const RUN_YOUNG_GENERATION_MB = 24;

/**
 * The old generation's limit of the run's and the jobs' threads. V8 scales how far
 * it lets the heap grow past what a collection kept by this limit: from 2 GB up (the default on
 * a machine of 16 GB) to four times the live heap, at 1 GB to 1.6 times. The run's thread keeps
 * about 20–30 MB live; measured at 200,000 records, its peak RSS fell from 325 to 268 MB at the
 * same CPU. A thread that ever held 1 GB would be a bug: it stops with an out-of-memory error,
 * and what was committed stays. (On the parser thread the same limit cost 15% more CPU.)
 */
export const RUN_OLD_GENERATION_MB = 1024;

/** The bounds of the run's and the jobs' thread. */
const RUN_LIMITS = { maxYoungGenerationSizeMb: RUN_YOUNG_GENERATION_MB, maxOldGenerationSizeMb: RUN_OLD_GENERATION_MB };

/** Options that hold a logger, a signal, callbacks or shared resources stay in the caller's thread: the hooks stand in for them. */
type InThread = 'logger' | 'signal' | 'progress' | 'resources' | 'onRun';

/** What a run in a worker is given: the run's options that are plain values (the config is one), and the log level. */
export type PortableRun = Omit<HarvestOptions, InThread> & { logLevel: string };

export type PortableSchedule = Omit<ScheduleOptions, InThread> & { logLevel: string };

export type PortableFleetWorker = Omit<FleetWorkerOptions, InThread> & { logLevel: string };

export type PortableJobRunner = Omit<JobRunnerOptions, 'logger'> & { logLevel: string };

/** A job, and the secrets the caller's thread knows (a source's password was registered where its config was parsed). */
export type WorkerJob = ({ kind: 'run'; options: PortableRun } | { kind: 'schedule'; options: PortableSchedule }) & { secrets: string[] };

/** What the jobs' thread is given. */
export interface JobThreadData {
  options: PortableJobRunner;
  secrets: string[];
}

/** Messages to the jobs' thread: a job to run, a job to stop, and the end (once no job runs). */
export type JobThreadRequest = { type: 'job'; job: JobRequest } | { type: 'abort'; id: string } | { type: 'close' };

/** Messages from the jobs' thread. */
export type JobThreadMessage =
  | { type: 'log'; line: string }
  | { type: 'ready' }
  | { type: 'job-done'; id: string; result: JobResult }
  | { type: 'failed'; error: PortableError }
  | { type: 'closed' };

/** Messages from the worker, in the order it sent them. */
export type WorkerMessage =
  | { type: 'log'; line: string }
  | { type: 'list'; progress: ListProgress }
  | { type: 'wait'; source: string; wait: SourceWait | null }
  | { type: 'done'; result: RunSummary | ScheduleSummary }
  | { type: 'failed'; error: PortableError };

export interface WorkerHooks {
  /** Each log line (pino JSON, secrets already replaced), as the worker wrote it. */
  onLog: (line: string) => void;
  progress?: ProgressListener | undefined;
  /** Aborted: the worker finishes the page in hand, commits it and stops, as a run in this thread would. */
  signal?: AbortSignal | undefined;
}

/** A harvest run in a worker thread; resolves with its summary. */
export function harvestInWorker(options: PortableRun, hooks: WorkerHooks): Promise<RunSummary> {
  return inWorker({ kind: 'run', options }, hooks) as Promise<RunSummary>;
}

/** A schedule in a worker thread, until `hooks.signal` aborts. */
export function scheduleInWorker(options: PortableSchedule, hooks: WorkerHooks): Promise<ScheduleSummary> {
  return inWorker({ kind: 'schedule', options }, hooks) as Promise<ScheduleSummary>;
}

/**
 * A fleet worker, taking jobs until `hooks.signal` aborts (or, with `exitWhenIdle`, none is
 * left). The queue is this thread's and the jobs run in a worker thread: a job's store calls
 * block their thread while the database answers (a lock wait can be long), and the queue's
 * heartbeats and supervision go on meanwhile, so a live worker's job is never taken for a dead one's.
 */
export async function fleetWorkerInWorker(options: PortableFleetWorker, hooks: WorkerHooks): Promise<FleetWorkerSummary> {
  // Loaded here, not by every command: pg-boss and its scheduling libraries.
  const { runFleetWorker } = await import('./fleet-worker.ts');
  const { logLevel, ...rest } = options;
  const logger = lineLogger(logLevel, hooks.onLog);
  const runner = await startJobThread({ config: options.config, outDir: options.outDir, stateUrl: options.stateUrl, parserThreads: options.parserThreads, logLevel }, hooks.onLog);
  return runFleetWorker({ ...rest, logger, signal: hooks.signal ?? new AbortController().signal }, runner);
}

/** The jobs' thread, once it has opened the state and its threads; rejects when it could not. */
function startJobThread(options: PortableJobRunner, onLog: (line: string) => void): Promise<JobRunner> {
  const data: JobThreadData = { options, secrets: registeredSecrets() };
  const worker = new Worker(siblingModule('job-thread', import.meta.url), { workerData: data, resourceLimits: RUN_LIMITS });
  const send = (request: JobThreadRequest) => worker.postMessage(request);
  const pending = new Map<string, (result: JobResult) => void>();
  let gone: Error | undefined;
  let closed: (() => void) | undefined;
  const lost = (error: Error): void => {
    gone ??= error;
    for (const [id, done] of pending) done({ status: 'failed', message: `${gone.message} (job ${id})` });
    pending.clear();
    closed?.();
  };
  return new Promise((resolve, reject) => {
    const runner: JobRunner = {
      run: (job, signal) => new Promise((done) => {
        if (gone) return done({ status: 'failed', message: gone.message });
        pending.set(job.id, done);
        const abort = () => send({ type: 'abort', id: job.id });
        if (signal.aborted) abort();
        else signal.addEventListener('abort', abort, { once: true });
        send({ type: 'job', job });
      }),
      close: () => new Promise<void>((done) => {
        if (gone) return done();
        closed = done;
        send({ type: 'close' });
      }),
    };
    worker.on('message', (message: JobThreadMessage) => {
      if (message.type === 'log') onLog(message.line);
      else if (message.type === 'ready') resolve(runner);
      else if (message.type === 'job-done') {
        pending.get(message.id)?.(message.result);
        pending.delete(message.id);
      } else if (message.type === 'failed') {
        const error = rebuiltError(message.error);
        lost(error);
        reject(error);
      } else closed?.();
    });
    worker.on('error', (error) => {
      lost(error);
      reject(error);
    });
    worker.on('exit', (code) => {
      const error = new HarvestError(`the jobs' thread stopped (exit code ${code})`);
      lost(error);
      reject(error);
    });
  });
}

function inWorker(job: Omit<WorkerJob, 'secrets'>, hooks: WorkerHooks): Promise<RunSummary | ScheduleSummary> {
  const worker = new Worker(siblingModule('run-worker', import.meta.url), { workerData: { ...job, secrets: registeredSecrets() }, resourceLimits: RUN_LIMITS });
  const stop = () => worker.postMessage({ type: 'stop' });
  if (hooks.signal?.aborted) stop();
  hooks.signal?.addEventListener('abort', stop, { once: true });
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = (finish: () => void) => {
      if (settled) return;
      settled = true;
      hooks.signal?.removeEventListener('abort', stop);
      finish();
    };
    worker.on('message', (message: WorkerMessage) => {
      if (message.type === 'log') hooks.onLog(message.line);
      else if (message.type === 'list') hooks.progress?.list(message.progress);
      else if (message.type === 'wait') hooks.progress?.wait(message.source, message.wait);
      else if (message.type === 'done') settle(() => resolve(message.result));
      else settle(() => reject(rebuiltError(message.error)));
    });
    worker.on('error', (error) => settle(() => reject(error)));
    worker.on('exit', (code) => settle(() => reject(new HarvestError(`the run's worker thread stopped (exit code ${code}) before it reported`))));
  });
}

/** An error the run's worker thread threw, with its class's name and its stable code. */
export class RunWorkerError extends HarvestError {
  override readonly code: ErrorCode;
  constructor(error: PortableError) {
    super(error.message);
    this.code = error.code;
    this.name = error.name;
  }
}

/** Configuration errors keep their class, which the command line answers with exit 2; the rest keep their code. */
function rebuiltError(error: PortableError): Error {
  return error.name === 'ConfigError' ? new ConfigError(error.message) : new RunWorkerError(error);
}
