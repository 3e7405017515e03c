// The jq queries the README shows, run as written against a real output folder.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditedOutput } from '../support/audited-output.ts';

const README = resolve(import.meta.dirname, '../../README.md');
const run = promisify(execFile);

/** The ```sh blocks of the README's "Querying the output" section, in order. */
function readmeQueries(): string[] {
  const text = readFileSync(README, 'utf8');
  const section = /^## Querying the output\n([\s\S]*?)(?=^## )/m.exec(text)?.[1];
  if (!section) throw new Error('README has no "## Querying the output" section');
  return [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

let stop = async () => {};
let out = '';
const queries = readmeQueries();

beforeAll(async () => {
  const fixture = await auditedOutput();
  stop = fixture.stop;
  out = fixture.out;
}, 60_000);

afterAll(() => stop());

/** Runs a block with sh from the output folder, as a reader would, and parses its lines. */
async function rows(block: string): Promise<unknown[]> {
  const { stdout } = await run('sh', ['-c', block], { cwd: out });
  return stdout.split('\n').filter(Boolean).map((line) => JSON.parse(line) as unknown);
}

describe('the README jq queries', () => {
  it('are three', () => {
    expect(queries).toHaveLength(3);
  });

  it('works.jsonl: works held by more than one repository', async () => {
    expect(await rows(queries[0]!)).toEqual([
      {
        doi: '10.3399/bjgp.2020.0917',
        title: 'Primary care networks and the uneven advantages of collaboration: a qualitative study',
        copies: 2,
        repositories: ['kar', 'manchester'],
      },
    ]);
  });

  it('stats/downloads.jsonl: downloads per work and month', async () => {
    const found = (await rows(queries[1]!)) as { doi: string; month: string }[];
    const order = (r: { doi: string; month: string }) => `${r.doi} ${r.month}`;
    expect(found.sort((a, b) => order(a).localeCompare(order(b)))).toEqual([
      { doi: '10.3399/bjgp.2020.0917', month: '2024-01', downloads: 7 },
      { doi: '10.3399/bjgp.2020.0917', month: '2024-02', downloads: 12 },
      { doi: '10.3399/bjgp.2020.0917', month: '2024-03', downloads: 5 },
      { doi: '10.3399/late.2021.1', month: '2024-01', downloads: 3 },
      { doi: '10.3399/late.2021.1', month: '2024-03', downloads: 9 },
    ]);
  });

  it('stats/downloads.jsonl: prints nothing, and fails not, where no source has statistics', async () => {
    const { tempDir } = await import('../support/run.ts');
    const { stdout } = await run('sh', ['-c', queries[1]!], { cwd: tempDir() });
    expect(stdout).toBe('');
  });

  it('audit/deposit-audit.jsonl: compliance per repository and year', async () => {
    const found = (await rows(queries[2]!)) as { source: string; year: string }[];
    const order = (r: { source: string; year: string }) => `${r.source} ${r.year}`;
    expect(found.sort((a, b) => order(a).localeCompare(order(b)))).toEqual([
      { source: 'kar', year: '2021', on_time: 1, late: 1, unknown: 0, pct_on_time: 50 },
      { source: 'kar', year: 'unknown', on_time: 0, late: 0, unknown: 1, pct_on_time: 0 },
      { source: 'manchester', year: 'unknown', on_time: 0, late: 0, unknown: 1, pct_on_time: 0 },
    ]);
  });
});

/** The ```sql blocks of the README's "Parquet tables" section, in order. */
function readmeSql(): string[] {
  const text = readFileSync(README, 'utf8');
  const section = /^### Parquet tables\n([\s\S]*?)(?=^## )/m.exec(text)?.[1];
  if (!section) throw new Error('README has no "### Parquet tables" section');
  return [...section.matchAll(/```sql\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

describe('the README DuckDB queries over the Parquet tables', () => {
  const sql = readmeSql();

  /** Runs a query as a reader would from the output folder: relative paths are found there. */
  async function query(text: string): Promise<Record<string, unknown>[]> {
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const connection = await (await DuckDBInstance.create(':memory:')).connect();
    await connection.run(`SET file_search_path = '${out}'`);
    return (await connection.runAndReadAll(text)).getRowObjectsJS().map((row) =>
      Object.fromEntries(Object.entries(row).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v])));
  }

  it('are three', () => {
    expect(sql).toHaveLength(3);
  });

  it('works per repository', async () => {
    expect(await query(sql[0]!)).toEqual([{ repository: 'kar', works: 3 }, { repository: 'manchester', works: 1 }]);
  });

  it('compliance per year', async () => {
    expect(await query(sql[1]!)).toEqual([{ year: 2021, on_time: 1, late: 1, unknown: 0 }, { year: null, on_time: 0, late: 0, unknown: 2 }]);
  });

  it('downloads per work and month', async () => {
    expect(await query(sql[2]!)).toEqual([
      { doi: '10.3399/bjgp.2020.0917', month: '2024-01', downloads: 7 },
      { doi: '10.3399/bjgp.2020.0917', month: '2024-02', downloads: 12 },
      { doi: '10.3399/bjgp.2020.0917', month: '2024-03', downloads: 5 },
      { doi: '10.3399/late.2021.1', month: '2024-01', downloads: 3 },
      { doi: '10.3399/late.2021.1', month: '2024-03', downloads: 9 },
    ]);
  });
});
