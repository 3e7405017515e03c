// The DuckDB queries the README shows, run as written against a real output folder.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditedOutput } from '../support/audited-output.ts';

const README = resolve(import.meta.dirname, '../../README.md');

/** The ```sql blocks of the README's "Querying the output" section, in order. */
function readmeQueries(): string[] {
  const text = readFileSync(README, 'utf8');
  const section = /^## Querying the output\n([\s\S]*?)(?=^## )/m.exec(text)?.[1];
  if (!section) throw new Error('README has no "## Querying the output" section');
  return [...section.matchAll(/```sql\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

let stop = async () => {};
let db: DuckDBConnection;
let instance: DuckDBInstance;
const queries = readmeQueries();

beforeAll(async () => {
  const fixture = await auditedOutput();
  stop = fixture.stop;
  instance = await DuckDBInstance.create(':memory:');
  db = await instance.connect();
  // The README runs them from the output folder.
  await db.run(`SET file_search_path = '${fixture.out.replaceAll("'", "''")}'`);
}, 60_000);

afterAll(async () => {
  db?.closeSync();
  instance?.closeSync();
  await stop();
});

const rows = async (sql: string) => (await db.runAndReadAll(sql)).getRowObjectsJson();

describe('the README DuckDB queries', () => {
  it('are three', () => {
    expect(queries).toHaveLength(3);
  });

  it('works.jsonl: works held by more than one repository', async () => {
    expect(await rows(queries[0]!)).toEqual([
      {
        doi: '10.3399/bjgp.2020.0917',
        title: 'Primary care networks and the uneven advantages of collaboration: a qualitative study',
        copies: '2',
        repositories: ['kar', 'manchester'],
      },
    ]);
  });

  it('stats/downloads.jsonl: downloads per work and month', async () => {
    expect(await rows(queries[1]!)).toEqual([
      { doi: '10.3399/bjgp.2020.0917', month: '2024-01', downloads: '7' },
      { doi: '10.3399/bjgp.2020.0917', month: '2024-02', downloads: '12' },
      { doi: '10.3399/bjgp.2020.0917', month: '2024-03', downloads: '5' },
      { doi: '10.3399/late.2021.1', month: '2024-01', downloads: '3' },
      { doi: '10.3399/late.2021.1', month: '2024-03', downloads: '9' },
    ]);
  });

  it('audit/deposit-audit.jsonl: compliance per repository and year', async () => {
    expect(await rows(queries[2]!)).toEqual([
      { source: 'kar', year: '2021', on_time: '1', late: '1', unknown: '0', pct_on_time: 50 },
      { source: 'kar', year: null, on_time: '0', late: '0', unknown: '1', pct_on_time: 0 },
      { source: 'manchester', year: null, on_time: '0', late: '0', unknown: '1', pct_on_time: 0 },
    ]);
  });
});
