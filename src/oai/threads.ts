// What the harvester's worker threads share: where a thread's entry module is, and a thread's
// first step. Its own module, so that starting a thread loads nothing else. Each kind of thread
// bounds its heap where it is started (page-parser.ts, pipeline/in-worker.ts).
import nodeModule from 'node:module';
import { registerSecret } from './secrets.ts';

/** A module next to the caller, with the caller's extension (.ts from the sources under a test, .js built). */
export function siblingModule(name: string, callerUrl: string): URL {
  return new URL(`./${name}${callerUrl.endsWith('.ts') ? '.ts' : '.js'}`, callerUrl);
}

/**
 * A thread's first step: the compile cache, which a thread does not share with its process
 * (before the thread's own modules load), and the secrets its starter knows (a source's
 * password was registered where its config was parsed).
 */
export function enterThread(secrets: readonly string[] = []): void {
  nodeModule.enableCompileCache?.();
  for (const secret of secrets) registerSecret(secret);
}
