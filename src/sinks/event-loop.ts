// Long writes and recomputes give the event loop a turn between batches: timers and I/O of
// the same thread go on meanwhile (a fleet job's heartbeats, log lines and progress leaving
// the run's thread, a prefetch's answer), where a loop over a million rows would hold them
// for minutes and a worker would look dead to its queue.

/** Resolves after whatever else is waiting in the event loop has had its turn. */
export function letOthersRun(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
