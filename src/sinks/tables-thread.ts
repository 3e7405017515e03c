// Worker thread entry of writeTables: one side of the tables, completed on a connection of its
// own to the SQLite state, its row counts (or its error) sent back. The caller publishes them.
import nodeModule from 'node:module';
import { parentPort, workerData } from 'node:worker_threads';
import { errorToJson } from '../oai/errors.ts';
import { StateStore } from '../store/state.ts';
import { completeTableSide, type TableSideJob, type TableSideReply } from './tables.ts';

// A thread does not share its process's compile cache.
nodeModule.enableCompileCache?.();
const job = workerData as TableSideJob;
let reply: TableSideReply;
let state: StateStore | undefined;
try {
  state = StateStore.open(job.stateFile);
  reply = { counts: completeTableSide(job.side, state, job.outDir) };
} catch (error) {
  reply = { error: errorToJson(error) };
} finally {
  state?.close();
}
parentPort!.postMessage(reply);
