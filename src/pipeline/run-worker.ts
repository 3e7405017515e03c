// Worker thread entry of harvestInWorker and scheduleInWorker: loads the config, runs, and sends
// its log lines, progress and summary to the thread that started it.
import { parentPort, workerData } from 'node:worker_threads';
import { pino } from 'pino';
import { errorCode } from '../oai/errors.ts';
import { redactText } from '../oai/secrets.ts';
import { loadConfig } from '../config/config.ts';
import { harvest } from './harvest.ts';
import type { WorkerJob, WorkerMessage } from './in-worker.ts';
import type { ProgressListener } from './progress.ts';
import { runSchedule } from './schedule.ts';

const port = parentPort!;
const send = (message: WorkerMessage) => port.postMessage(message);
const job = workerData as WorkerJob;
const stop = new AbortController();
port.on('message', (message: { type: string }) => {
  if (message.type === 'stop') stop.abort();
});
// The lines leave with their secrets replaced, as the caller's own logger writes them.
const logger = pino({ level: job.options.logLevel, base: { pid: process.pid }, hooks: { streamWrite: (line: string) => redactText(line) } },
  { write: (line: string) => send({ type: 'log', line }) });

try {
  const config = loadConfig(job.options.configFile);
  const listener: ProgressListener = {
    list: (progress) => send({ type: 'list', progress: { ...progress } }),
    wait: (source, wait) => send({ type: 'wait', source, wait }),
  };
  const common = { config, outDir: job.options.outDir, stateFile: job.options.stateFile, concurrency: job.options.concurrency, logger, signal: stop.signal, progress: listener };
  const result = job.kind === 'run'
    ? await harvest({ ...common, sourceIds: job.options.sourceIds, from: job.options.from, until: job.options.until, full: job.options.full, statsMonths: job.options.statsMonths })
    : await runSchedule(common);
  logger.flush();
  send({ type: 'done', result });
} catch (error) {
  const e = error as Error;
  send({ type: 'failed', error: { name: e.name, message: redactText(e.message ?? String(error)), code: errorCode(error) } });
}
port.close();
