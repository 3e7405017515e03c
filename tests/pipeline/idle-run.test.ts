import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { harvest } from '../../src/pipeline/harvest.ts';
import { captureLogger, tempDir, testConfig } from '../support/run.ts';

describe('a run that committed nothing', () => {
  it('against a server that is down fails, and writes no empty works.jsonl and no tables', async () => {
    const out = tempDir();
    // Port 9 (discard) refuses connections on loopback.
    const config = testConfig([{ id: 'down', baseUrl: 'http://127.0.0.1:9/oai', retry: { maxAttempts: 2, maxContentAttempts: 1, baseDelayMs: 10, maxDelayMs: 20, maxRetryAfterMs: 100, budgetMs: 200 } }]);
    const { logger, lines } = captureLogger();
    const summary = await harvest({ config, outDir: out, logger });
    expect(summary.ok).toBe(false);
    expect(summary.sources[0]).toMatchObject({ status: 'failed', pages: 0 });
    expect(existsSync(join(out, 'works.jsonl'))).toBe(false);
    expect(existsSync(join(out, 'tables'))).toBe(false);
    expect(lines).toContainEqual(expect.objectContaining({ msg: 'no source committed anything: works and tables left as they are' }));
    expect(existsSync(summary.summaryFile)).toBe(true);
  });
});
