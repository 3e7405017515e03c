// Worker thread entry of a fleet worker's jobs (fleetWorkerInWorker): opens the state, the
// connection pool and the parser threads once, runs each job the queue's thread sends, and
// sends back its log lines and each job's result. The queue itself stays in that thread.
import nodeModule from 'node:module';
import { parentPort, workerData } from 'node:worker_threads';
import { pino } from 'pino';
import { errorCode } from '../oai/errors.ts';
import { redactText, registerSecret } from '../oai/secrets.ts';
import type { JobThreadData, JobThreadMessage, JobThreadRequest } from './in-worker.ts';
import type { JobRunner } from './job-runner.ts';

// A thread does not share its process's compile cache: enabled here, before the jobs' modules load.
nodeModule.enableCompileCache?.();
const port = parentPort!;
const send = (message: JobThreadMessage) => port.postMessage(message);
const { options, secrets } = workerData as JobThreadData;
for (const secret of secrets) registerSecret(secret);
const logger = pino({ level: options.logLevel, base: { pid: process.pid }, hooks: { streamWrite: (line: string) => redactText(line) } },
  { write: (line: string) => send({ type: 'log', line }) });

const runner = await openRunner();
if (runner) serve(runner);

/** The runner, or undefined when the state or threads could not be opened (the caller is told why). */
async function openRunner(): Promise<JobRunner | undefined> {
  try {
    return (await import('./job-runner.ts')).localJobRunner({ ...options, logger });
  } catch (error) {
    const e = error as Error;
    send({ type: 'failed', error: { name: e.name, message: redactText(e.message ?? String(error)), code: errorCode(error) } });
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
        .catch((error: unknown) => ({ status: 'failed' as const, message: redactText((error as Error).message ?? String(error)) }))
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
