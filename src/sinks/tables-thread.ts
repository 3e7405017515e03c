// Worker thread entry of writeTables: one side of the tables, completed on a connection of its
// own to the SQLite state, its row counts (or its error) sent back. The caller publishes them.
import { parentPort, workerData } from 'node:worker_threads';
import { errorToJson } from '../oai/errors.ts';
import { enterThread } from '../oai/threads.ts';
import type { StateStore } from '../store/state.ts';
import type { TableSideJob, TableSideReply } from './tables.ts';

enterThread();
// Loaded once the compile cache is on.
const { StateStore: Store } = await import('../store/state.ts');
const { completeTableSide } = await import('./tables.ts');
const job = workerData as TableSideJob;
let reply: TableSideReply;
let state: StateStore | undefined;
try {
  state = Store.open(job.stateFile);
  reply = { counts: completeTableSide(job.side, state, job.outDir) };
} catch (error) {
  reply = { error: errorToJson(error) };
} finally {
  state?.close();
}
parentPort!.postMessage(reply);
