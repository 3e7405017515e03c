// What the harvester's worker threads share: where a thread's entry module is, the heap limits
// that bound each kind of thread (so a run's memory is the same however Node was started), and
// a thread's first step. Its own module, so that starting a thread loads nothing else.
import nodeModule from 'node:module';
import { registerSecret } from './secrets.ts';

/** A module next to the caller, with the caller's extension (.ts from the sources under a test, .js built). */
export function siblingModule(name: string, callerUrl: string): URL {
  return new URL(`./${name}${callerUrl.endsWith('.ts') ? '.ts' : '.js'}`, callerUrl);
}

/**
 * The young generation of a thread that parses in bulk (a page's records): small, so its heap does not balloon between collections. Measured, a parser thread's
 * peak RSS stops depending on how long the harvest runs, for about 10% of its speed.
 */
export const SMALL_YOUNG_GENERATION_MB = 8;

/**
 * The old generation's limit of the run's and the jobs' threads. V8 scales how far
 * it lets the heap grow past what a collection kept by this limit: from 2 GB up (the default on
 * a machine of 16 GB) to four times the live heap, at 1 GB to 1.6 times. The run's thread keeps
 * about 20–30 MB live; measured at 200,000 records, its peak RSS fell from 325 to 268 MB at the
 * same CPU. A thread that ever held 1 GB would be a bug: it stops with an out-of-memory error,
 * and what was committed stays. (On the parser thread the same limit cost 15% more CPU.)
 */
export const THREAD_OLD_GENERATION_MB = 1024;

/**
 * A thread's first step: the compile cache, which a thread does not share with its process
 * (before the thread's own modules load), and the secrets its starter knows (a source's
 * password was registered where its config was parsed).
 */
export function enterThread(secrets: readonly string[] = []): void {
  nodeModule.enableCompileCache?.();
  for (const secret of secrets) registerSecret(secret);
}
