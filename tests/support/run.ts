import { mkdtempSync, readdirSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { parseConfig, type HarvestConfig } from '../../src/config/config.ts';
import type { RecordLine } from '../../src/sinks/record-line.ts';
import { StateStore } from '../../src/store/state.ts';

/** Opens a state database for `use`, and closes it whatever happens. */
export function withState<T>(file: string, use: (state: StateStore) => T): T {
  const state = StateStore.open(file);
  try {
    return use(state);
  } finally {
    state.close();
  }
}

/** Every line of a JSONL file, parsed. */
export function jsonlRows(file: string): Record<string, unknown>[] {
  return readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** A directory of its own, removed by `removeTempDirs` (after each test file: tests/support/remove-temp-dirs.ts). */
export function tempDir(prefix = 'oai-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  createdTempDirs().push(dir);
  return dir;
}

/** Removes every directory `tempDir` made so far. */
export function removeTempDirs(): void {
  for (const dir of createdTempDirs().splice(0)) rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
}

/** Kept on globalThis: the setup file that removes them may load its own copy of this module. */
function createdTempDirs(): string[] {
  const holder = globalThis as { [TEMP_DIRS]?: string[] };
  return (holder[TEMP_DIRS] ??= []);
}
const TEMP_DIRS = Symbol.for('oai-harvester.tests.tempDirs');

/** A config for test servers: fast retries, no politeness delay. */
export function testConfig(sources: Record<string, unknown>[], extra: Record<string, unknown> = {}): HarvestConfig {
  return parseConfig(
    {
      // File sources ask no server.
      sources: sources.map((s) => (s['type'] === 'bibtex' ? s : {
        minDelayMs: 0,
        retry: { maxAttempts: 3, maxContentAttempts: 2, baseDelayMs: 10, maxDelayMs: 50, maxRetryAfterMs: 2000, budgetMs: 5000 },
        ...s,
      })),
      ...extra,
    },
    'test-config.json',
  );
}

export function captureLogger() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split('\n')) if (line) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { logger: pino({ level: 'debug' }, stream), lines };
}

/** Every record line written under an output folder, over all runs and harvests. */
export function outputLines(outDir: string, source?: string): RecordLine[] {
  const root = join(outDir, 'records');
  if (!existsSync(root)) return [];
  const files = readdirSync(root, { recursive: true, encoding: 'utf8' })
    // records/current/ is the view of the current records, not the log of changes.
    .filter((f) => f.endsWith('.jsonl') && !f.startsWith('current/') && (!source || f.startsWith(`${source}/`)))
    .sort();
  return files.flatMap((f) =>
    readFileSync(join(root, f), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as RecordLine),
  );
}
