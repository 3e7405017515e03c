// Worker thread entry of harvestInWorker and scheduleInWorker: runs with the options it was
// given, and sends its log lines, progress and summary to the thread that started it.
import nodeModule from 'node:module';
import { parentPort, workerData } from 'node:worker_threads';
import { pino } from 'pino';
import { errorCode } from '../oai/errors.ts';
import { redactText, registerSecret } from '../oai/secrets.ts';
import type { WorkerJob, WorkerMessage } from './in-worker.ts';
import type { ProgressListener } from './progress.ts';

// A thread does not share its process's compile cache: enabled here, before the run's modules load.
nodeModule.enableCompileCache?.();
const port = parentPort!;
const send = (message: WorkerMessage) => port.postMessage(message);
const job = workerData as WorkerJob;
for (const secret of job.secrets) registerSecret(secret);
const stop = new AbortController();
port.on('message', (message: { type: string }) => {
  if (message.type === 'stop') stop.abort();
});
// The lines leave with their secrets replaced, as the caller's own logger writes them.
const logger = pino({ level: job.options.logLevel, base: { pid: process.pid }, hooks: { streamWrite: (line: string) => redactText(line) } },
  { write: (line: string) => send({ type: 'log', line }) });
const progress: ProgressListener = {
  list: (list) => send({ type: 'list', progress: { ...list } }),
  wait: (source, wait) => send({ type: 'wait', source, wait }),
};

try {
  const inThread = { logger, signal: stop.signal, progress };
  // Each kind loads only what it runs: a run does not load the scheduler's modules.
  const result = job.kind === 'run' ? await (await import('./harvest.ts')).harvest({ ...job.options, ...inThread })
    : await (await import('./schedule.ts')).runSchedule({ ...job.options, ...inThread });
  logger.flush();
  send({ type: 'done', result });
} catch (error) {
  const e = error as Error;
  send({ type: 'failed', error: { name: e.name, message: redactText(e.message ?? String(error)), code: errorCode(error) } });
}
port.close();
