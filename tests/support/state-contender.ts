// A process that opens a state and makes one call on it when a test says so, so a test can
// have several workers act on one PostgreSQL database at once (a PgConnection blocks its
// thread while it waits on a lock). It waits for the shared instant, if given, so the
// contenders start within a millisecond of each other.
import { StateStore } from '../../src/store/state.ts';

export interface ContenderCall {
  location: string;
  /** A method of the store (`commitPage`) or of a family (`plans.start`), or `open` to open and close only. */
  call: string;
  args?: unknown[];
  at?: number;
}

export type ContenderReply = { ok: true; result: unknown } | { ok: false; name: string; message: string };

function perform({ location, call, args = [] }: ContenderCall): unknown {
  const state = StateStore.open(location);
  try {
    if (call === 'open') return state.file;
    const path = call.split('.');
    const method = path.pop()!;
    const target = path.reduce((on: Record<string, unknown>, name) => on[name] as Record<string, unknown>, state as unknown as Record<string, unknown>);
    return (target[method] as (...a: unknown[]) => unknown).apply(target, args);
  } finally {
    state.close();
  }
}

process.once('message', (message: ContenderCall) => {
  while (message.at !== undefined && Date.now() < message.at) {
    // Spin to the shared instant.
  }
  let reply: ContenderReply;
  try {
    reply = { ok: true, result: perform(message) ?? null };
  } catch (error) {
    reply = { ok: false, name: (error as Error).name, message: (error as Error).message };
  }
  process.send!(reply, () => process.exit(0));
});
process.send!({ ready: true });
