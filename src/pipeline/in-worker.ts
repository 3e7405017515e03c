// A run, or a schedule, in a worker thread of its own whose young generation is bounded: the
// peak memory is the same however the process was started, with V8 flags or without (a
// systemd unit, `node dist/cli/bin.js`, a library user). The caller's thread keeps the
// terminal, the signals and the log output; the worker sends it log lines, progress and the
// summary.
import { Worker } from 'node:worker_threads';
import { HarvestError, type ErrorCode } from '../oai/errors.ts';
import { registeredSecrets } from '../oai/secrets.ts';
import { ConfigError } from '../config/config.ts';
import type { HarvestOptions } from './context.ts';
import type { RunSummary } from './summary.ts';
import type { ListProgress, ProgressListener, SourceWait } from './progress.ts';
import type { ScheduleOptions, ScheduleSummary } from './schedule.ts';
import type { FleetWorkerOptions, FleetWorkerSummary } from './fleet-worker.ts';

/**
 * The young generation's limit: three semi-spaces of 8 MB, as `--max-semi-space-size=8` gives.
 * V8's default lets it grow to 64 MB, and a harvest's main thread then peaks about 110 MB higher.
 */
export const RUN_YOUNG_GENERATION_MB = 24;

/** Options that hold a logger, a signal, callbacks or shared resources stay in the caller's thread: the hooks stand in for them. */
type InThread = 'logger' | 'signal' | 'progress' | 'resources' | 'onRun';

/** What a run in a worker is given: the run's options that are plain values (the config is one), and the log level. */
export type PortableRun = Omit<HarvestOptions, InThread> & { logLevel: string };

export type PortableSchedule = Omit<ScheduleOptions, InThread> & { logLevel: string };

export type PortableFleetWorker = Omit<FleetWorkerOptions, InThread> & { logLevel: string };

/** A job, and the secrets the caller's thread knows (a source's password was registered where its config was parsed). */
export type WorkerJob = ({ kind: 'run'; options: PortableRun } | { kind: 'schedule'; options: PortableSchedule } | { kind: 'fleet'; options: PortableFleetWorker }) & { secrets: string[] };

/** Messages from the worker, in the order it sent them. */
export type WorkerMessage =
  | { type: 'log'; line: string }
  | { type: 'list'; progress: ListProgress }
  | { type: 'wait'; source: string; wait: SourceWait | null }
  | { type: 'done'; result: RunSummary | ScheduleSummary | FleetWorkerSummary }
  | { type: 'failed'; error: { name: string; message: string; code: ErrorCode } };

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

/** A fleet worker, taking jobs until `hooks.signal` aborts (or, with `exitWhenIdle`, none is left). */
export function fleetWorkerInWorker(options: PortableFleetWorker, hooks: WorkerHooks): Promise<FleetWorkerSummary> {
  return inWorker({ kind: 'fleet', options }, hooks) as Promise<FleetWorkerSummary>;
}

function inWorker(job: Omit<WorkerJob, 'secrets'>, hooks: WorkerHooks): Promise<RunSummary | ScheduleSummary | FleetWorkerSummary> {
  const url = new URL(`./run-worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url);
  const worker = new Worker(url, { workerData: { ...job, secrets: registeredSecrets() }, resourceLimits: { maxYoungGenerationSizeMb: RUN_YOUNG_GENERATION_MB } });
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
  constructor(error: { name: string; message: string; code: ErrorCode }) {
    super(error.message);
    this.code = error.code;
    this.name = error.name;
  }
}

/** Configuration errors keep their class, which the command line answers with exit 2; the rest keep their code. */
function rebuiltError(error: { name: string; message: string; code: ErrorCode }): Error {
  return error.name === 'ConfigError' ? new ConfigError(error.message) : new RunWorkerError(error);
}
