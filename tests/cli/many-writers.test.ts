// Ten processes harvesting ten sources into one output folder at once, over and over: every
// DOI with a live record has its work, and works.jsonl is what one run over them all writes.
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Feed } from '../support/feed.ts';
import { startOaiServer, type TestServer } from '../support/oai-server.ts';
import { tempDir } from '../support/run.ts';

const MAIN = resolve(import.meta.dirname, '../../src/cli/bin.ts');
const SOURCES = 10;
const ROUNDS = Number(process.env['MANY_WRITERS_ROUNDS'] ?? 20);
let server: TestServer;
let config = '';

beforeAll(async () => {
  // Every feed holds the same DOIs (10.5555/test.<id>), so each work has a copy from each source.
  const feeds = Object.fromEntries(Array.from({ length: SOURCES }, (_, i) => [`s${i}`, new Feed({ records: 120 + i * 7, pageSize: 40, repositoryId: `repo${i}.example` })]));
  server = await startOaiServer({ feeds });
  config = join(tempDir(), 'sources.json');
  writeFileSync(config, JSON.stringify({ sources: Object.keys(feeds).map((id) => ({ id, baseUrl: server.feedUrl(id), minDelayMs: 0 })) }));
});
afterAll(() => server.close());

/** A run's exit code; a failed run's error lines are kept, so a failure says what went wrong. */
const failures: string[] = [];
function run(args: string[]): Promise<number | null> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [MAIN, 'run', '--config', config, '--log-level', 'error', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (code) => {
      if (code !== 0) failures.push(`${args.join(' ')} exited ${code}: ${stderr.slice(-2000)}`);
      done(code);
    });
  });
}

function worksLines(out: string): string[] {
  return readFileSync(join(out, 'works.jsonl'), 'utf8').trim().split('\n').sort();
}

function doisWithoutWork(out: string): string[] {
  const db = new DatabaseSync(join(out, 'state.sqlite'));
  db.exec(`ATTACH DATABASE '${join(out, 'state.sqlite-works')}' AS workdb`);
  const rows = db.prepare(`SELECT DISTINCT s.work_id AS id FROM source_records s WHERE s.deleted = 0 AND s.work_id LIKE 'doi:%'
    AND NOT EXISTS (SELECT 1 FROM workdb.works w WHERE w.work_id = s.work_id AND w.status = 'active')`).all() as { id: string }[];
  db.close();
  return rows.map((r) => r.id);
}

describe('many writers on one output folder', () => {
  it(`leave every DOI its work, and works.jsonl as one run writes it (${ROUNDS} rounds)`, async () => {
    const single = join(tempDir(), 'out');
    expect(await run(['--out', single])).toBe(0);
    const expected = worksLines(single);
    for (let round = 0; round < ROUNDS; round++) {
      const out = join(tempDir(), 'out');
      const codes = await Promise.all(Array.from({ length: SOURCES }, (_, i) => run(['--out', out, '--source', `s${i}`])));
      expect(codes, `round ${round}: ${failures.join('\n')}`).toEqual(Array(SOURCES).fill(0));
      expect(doisWithoutWork(out), `round ${round}`).toEqual([]);
      // The last process to finish may have written works.jsonl before another's works: one more run brings it up to date.
      expect(worksLines(out).length, `round ${round}`).toBe(expected.length);
      expect(worksLines(out), `round ${round}`).toEqual(expected);
    }
  }, 600_000);
});
