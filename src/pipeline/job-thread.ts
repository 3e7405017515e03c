// Worker thread entry of a fleet worker's jobs (fleetWorkerInWorker): opens the state, the
// connection pool and the parser threads once, runs each job the queue's thread sends, and
// sends back its log lines and each job's result. The queue itself stays in that thread.
import { parentPort, workerData } from 'node:worker_threads';
import type { JobThreadData, JobThreadMessage, JobThreadRequest } from './in-worker.ts';
import type { JobRunner } from './job-runner.ts';
import { enterThread } from '../oai/threads.ts';
import { lineLogger, portableError } from './thread-port.ts';

const port = parentPort!;
const send = (message: JobThreadMessage) => port.postMessage(message);
const { options, secrets } = workerData as JobThreadData;
enterThread(secrets);
const logger = lineLogger(options.logLevel, (line) => send({ type: 'log', line }));

const runner = await openRunner();
if (runner) serve(runner);

/** The runner, or undefined when the state or threads could not be opened (the caller is told why). */
async function openRunner(): Promise<JobRunner | undefined> {
  try {
    return (await import('./job-runner.ts')).localJobRunner({ ...options, logger });
  } catch (error) {
    send({ type: 'failed', error: portableError(error) });
    port.close();
    return undefined;
  }
}

function serve(runner: JobRunner): void {
  const running = new Map<string, AbortController>();
  port.on('message', (request: JobThreadRequest) => {
    if (request.type === 'job') {
      const stop = new AbortController();
      running.set(request.job.id, stop);
      runner.run(request.job, stop.signal)
        .catch((error: unknown) => ({ status: 'failed' as const, message: portableError(error).message }))
        .then((result) => send({ type: 'job-done', id: request.job.id, result }))
        .finally(() => running.delete(request.job.id));
    } else if (request.type === 'abort') {
      running.get(request.id)?.abort();
    } else {
      void runner.close().finally(() => {
        logger.flush();
        send({ type: 'closed' });
        port.close();
      });
    }
  });
  send({ type: 'ready' });
}
