// Each test file's directories go when it ends: a test run leaves nothing behind in the
// system's temporary directory (a harvest test's directory holds tens of megabytes).
import { rmSync } from 'node:fs';
import { afterAll } from 'vitest';
import { createdTempDirs } from './run.ts';

afterAll(() => {
  const dirs = createdTempDirs();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
});
