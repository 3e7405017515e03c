import { readFileSync, writeFileSync, appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { JsonlAppender } from '../../src/sinks/jsonl-appender.ts';
import { writeFileAtomic } from '../../src/sinks/atomic.ts';
import { tempDir } from '../support/run.ts';

describe('JsonlAppender', () => {
  it('drops bytes written after the last committed offset, as after a crash', async () => {
    const file = join(tempDir(), 'h.jsonl');
    const first = new JsonlAppender(file, 0);
    const committed = await first.append(['{"a":1}', '{"a":2}']);
    first.close();
    appendFileSync(file, '{"a":3}\n{"a":');
    const resumed = new JsonlAppender(file, committed);
    await resumed.append(['{"a":3}']);
    resumed.close();
    expect(readFileSync(file, 'utf8')).toBe('{"a":1}\n{"a":2}\n{"a":3}\n');
  });

  it('refuses a file shorter than the committed offset', () => {
    const file = join(tempDir(), 'h.jsonl');
    writeFileSync(file, '{"a":1}\n');
    expect(() => new JsonlAppender(file, 100)).toThrow(/holds 8 bytes but the state says 100/);
  });
});

describe('writeFileAtomic', () => {
  it('replaces a file whole', () => {
    const file = join(tempDir(), 'sub', 'summary.json');
    writeFileAtomic(file, 'one');
    writeFileAtomic(file, 'two');
    expect(readFileSync(file, 'utf8')).toBe('two');
  });
});
