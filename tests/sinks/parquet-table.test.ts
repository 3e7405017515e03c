import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import { ParquetTable } from '../../src/sinks/parquet-table.ts';
import { tempDir } from '../support/run.ts';

async function rowGroups(file: string): Promise<number[]> {
  const connection = await (await DuckDBInstance.create(':memory:')).connect();
  const rows = (await connection.runAndReadAll(`SELECT DISTINCT row_group_id, row_group_num_rows FROM parquet_metadata('${file}') ORDER BY row_group_id`)).getRowObjectsJS();
  return rows.map((r) => Number(r['row_group_num_rows']));
}

async function column(file: string, sql: string): Promise<unknown[]> {
  const connection = await (await DuckDBInstance.create(':memory:')).connect();
  return (await connection.runAndReadAll(sql.replace('$file', `'${file}'`))).getRowObjectsJS().map((r) => Object.values(r)[0]);
}

describe('a Parquet table', () => {
  it('ends a row group at 2,500 rows of short cells', async () => {
    const file = join(tempDir(), 'short.parquet');
    const table = new ParquetTable(file, [{ name: 'id', kind: 'string' }, { name: 'n', kind: 'int32' }]);
    for (let i = 0; i < 6_000; i++) table.add([`id-${i}`, i]);
    expect(table.finish()).toBe(6_000);
    expect(await rowGroups(file)).toEqual([2_500, 2_500, 1_000]);
  });

  it('ends a row group early once its text is large, and keeps every row in order', async () => {
    const file = join(tempDir(), 'abstracts.parquet');
    const table = new ParquetTable(file, [{ name: 'id', kind: 'int32' }, { name: 'abstract', kind: 'string', freeText: true }]);
    const abstract = (i: number) => `${i} `.padEnd(3_000, 'x');
    for (let i = 0; i < 4_000; i++) table.add([i, abstract(i)]);
    table.finish();
    const groups = await rowGroups(file);
    // 3,000 characters a row: a group holds what fits in 1 MiB of text.
    expect(groups.length).toBeGreaterThan(2);
    expect(Math.max(...groups)).toBeLessThanOrEqual(Math.ceil((1024 * 1024) / 3_000));
    expect(groups.reduce((a, b) => a + b, 0)).toBe(4_000);
    const ids = await column(file, 'SELECT list(id ORDER BY file_row_number) FROM read_parquet($file, file_row_number = true)');
    expect(ids[0]).toEqual(Array.from({ length: 4_000 }, (_, i) => i));
    const wrong = await column(file, `SELECT count(*) FROM read_parquet($file) WHERE abstract <> rpad(id::VARCHAR || ' ', 3000, 'x')`);
    expect(Number(wrong[0])).toBe(0);
  });
});
