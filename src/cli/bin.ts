#!/usr/bin/env -S node --max-semi-space-size=8
// The program's entry, and the only module that runs on import. `run` and `schedule` bound
// their memory themselves (a worker thread with a small young generation), started this way or
// not; the flag keeps the other commands that read the whole store (works snapshot, audit) small too.
// The version is checked before anything that needs Node.js 24 (node:sqlite) is loaded.
import nodeModule from 'node:module';
import { nodeVersionProblem } from './program.ts';

// Modules compiled once are read back from V8's code cache (in NODE_COMPILE_CACHE, or the
// system's temporary folder) on the next start: a cron run or a fleet worker starts sooner.
nodeModule.enableCompileCache?.();

const problem = nodeVersionProblem(process.version);
if (problem) {
  process.stderr.write(problem);
  process.exitCode = 2;
} else {
  const { main } = await import('./main.ts');
  process.exitCode = await main(process.argv.slice(2));
}
