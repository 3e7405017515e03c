// Worker thread entry of harvestInWorker and scheduleInWorker: runs with the options it was
// given, and sends its log lines, progress and summary to the thread that started it.
import { parentPort, workerData } from 'node:worker_threads';
import type { WorkerJob, WorkerMessage } from './in-worker.ts';
import type { ProgressListener } from './progress.ts';
import { enterThread } from '../oai/threads.ts';
import { lineLogger, portableError } from './thread-port.ts';

const port = parentPort!;
const send = (message: WorkerMessage) => port.postMessage(message);
const job = workerData as WorkerJob;
enterThread(job.secrets);
const stop = new AbortController();
port.on('message', (message: { type: string }) => {
  if (message.type === 'stop') stop.abort();
});
const logger = lineLogger(job.options.logLevel, (line) => send({ type: 'log', line }));
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
  send({ type: 'failed', error: portableError(error) });
}
port.close();
