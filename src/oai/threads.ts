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
 * The young generation of a parser thread, bounded so that its memory does not depend on how
 * Node was started. A page's records stay alive while it is parsed and normalised, so a
 * young generation too small for them copies them at every scavenge: at 8 MB a parser
 * thread spent 0.8 s of a 20,000-record harvest in 560 scavenges, at 32 MB 0.2 s in 150 (the
 * harvest's CPU 9.6 s against 8.4 s, three runs each, alternately), for 3 MB more peak RSS at
 * 20,000 records and none at 200,000. At 64 MB the peak rose by 20-30 MB for no less CPU.
 */
export const PARSER_YOUNG_GENERATION_MB = 32;

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
