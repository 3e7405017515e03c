// A process that contends for locks when the test says so: for each round it waits for the
// shared instant, tries the lock, reports, and holds what it got until told to release.
import { acquireLock } from '../../src/store/source-lock.ts';

const held = new Map<number, () => void>();
process.on('message', (message: { round: number; path?: string; at?: number; release?: boolean }) => {
  if (message.release) {
    held.get(message.round)?.();
    held.delete(message.round);
    process.send!({ round: message.round, released: true });
    return;
  }
  while (Date.now() < message.at!) {
    // Spin to the shared instant, so the contenders start within a millisecond of each other.
  }
  const result = acquireLock(message.path!);
  if (result.acquired) held.set(message.round, result.release);
  process.send!({ round: message.round, acquired: result.acquired, tookOver: result.acquired && result.tookOverFrom !== undefined });
});
process.send!({ ready: true });
