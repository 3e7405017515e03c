// The thread behind a PgSession: one PgConnection and the store modules on it, running each
// call it is sent. A call that waits on a lock blocks only this thread, so the test's thread
// can go on, commit the transaction it waits for, and watch what happens.
import { parentPort, workerData } from 'node:worker_threads';
import { PgConnection } from '../../../src/store/postgres/connection.ts';
import { PgSnapshotLog } from '../../../src/store/postgres/snapshot-log.ts';
import { PgSourceRecords } from '../../../src/store/postgres/source-records.ts';
import { PgWorkStore } from '../../../src/store/postgres/works.ts';
import type { SessionCall } from './session.ts';

const db = new PgConnection((workerData as { url: string }).url);
const targets: Record<SessionCall['target'], object> = {
  db, records: new PgSourceRecords(db), works: new PgWorkStore(db), snapshots: new PgSnapshotLog(db),
};

parentPort!.on('message', (call: SessionCall | 'close') => {
  if (call === 'close') {
    db.close();
    parentPort!.close();
    return;
  }
  try {
    const target = targets[call.target] as Record<string, (...args: unknown[]) => unknown>;
    parentPort!.postMessage({ ok: true, value: target[call.method]!.apply(target, call.args) });
  } catch (error) {
    parentPort!.postMessage({ ok: false, message: (error as Error).message, code: (error as { code?: string }).code });
  }
});
parentPort!.postMessage({ ok: true, value: 'ready' });
