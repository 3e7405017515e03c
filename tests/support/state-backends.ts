// Both state backends for one set of tests: SQLite in a temporary folder, PostgreSQL on a
// throwaway cluster started for the test file. Use with describe.each, so one test checks
// that both behave alike.
import { fork } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { StateStore } from '../../src/store/state.ts';
import { startPostgres, type PostgresCluster } from './postgres.ts';
import type { ContenderCall, ContenderReply } from './state-contender.ts';
import { tempDir } from './run.ts';

export interface StateBackend {
  name: 'sqlite' | 'postgres';
  /** Where a new, empty state can be opened. */
  newLocation(): string;
  /** Opens the state at `location` (a new one by default); it is closed after the test. */
  open(location?: string): StateStore;
}

export interface StateBackends {
  backends: StateBackend[];
  /** The PostgreSQL cluster, once the file's tests have started. */
  cluster(): PostgresCluster;
}

/** Call at the top of a test file: the cluster starts before its tests and stops after them. */
export function stateBackends(): StateBackends {
  let cluster: PostgresCluster | undefined;
  let databases = 0;
  const opened: StateStore[] = [];
  beforeAll(async () => {
    cluster = await startPostgres();
  });
  afterEach(() => {
    for (const state of opened.splice(0)) state.close();
  });
  afterAll(() => cluster?.stop());
  const backend = (name: StateBackend['name'], newLocation: () => string): StateBackend => ({
    name,
    newLocation,
    open(location = newLocation()) {
      const state = StateStore.open(location);
      opened.push(state);
      return state;
    },
  });
  const started = (): PostgresCluster => {
    if (!cluster) throw new Error('the PostgreSQL cluster starts in beforeAll: ask for it inside a test');
    return cluster;
  };
  return {
    backends: [
      backend('sqlite', () => join(tempDir(), 'state.sqlite')),
      backend('postgres', () => started().createDatabase(`state_${++databases}`)),
    ],
    cluster: started,
  };
}

const CONTENDER = new URL('./state-contender.ts', import.meta.url).pathname;

/** Starts a process that will make one call on the state at `location`; `go` makes it, at `at` if given. */
export async function contender(): Promise<{ go(call: ContenderCall): Promise<ContenderReply> }> {
  const child = fork(CONTENDER, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  await new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    child.once('error', reject);
  });
  return {
    go: (call) => new Promise((resolve, reject) => {
      child.once('message', (reply) => resolve(reply as ContenderReply));
      child.once('exit', (code) => reject(new Error(`the contender exited (${code}) without answering`)));
      child.send(call);
    }),
  };
}

/** Waits until `count` of the database's connections wait for a lock: the contenders are where the test wants them. */
export async function waitForLockWaiters(cluster: PostgresCluster, database: string, count: number): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const waiting = Number(cluster.psql(database, `SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`).trim());
    if (waiting >= count) return;
    if (Date.now() > deadline) throw new Error(`${waiting} of ${count} connections wait for a lock after 20 s`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
