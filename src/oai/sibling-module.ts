// Where a worker thread's entry module is: beside its caller, with the caller's extension (.ts
// from the sources under a test, .js built). Its own module, so that finding a thread's entry
// loads nothing else.

/** A module next to the caller, with the caller's extension. */
export function siblingModule(name: string, callerUrl: string): URL {
  return new URL(`./${name}${callerUrl.endsWith('.ts') ? '.ts' : '.js'}`, callerUrl);
}
