// Each test file's directories go when it ends: a test run leaves nothing behind in the
// system's temporary directory (a harvest test's directory holds tens of megabytes).
import { afterAll } from 'vitest';
import { removeTempDirs } from './run.ts';

afterAll(removeTempDirs);
