import { readdirSync, readFileSync } from 'node:fs';
import { DatabaseSync } from 'node:sqlite';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, describe, expect, it } from 'vitest';
import { harvest } from '../../src/pipeline/harvest.ts';
import { writeAudit } from '../../src/audit/write-audit.ts';
import { writeTables } from '../../src/sinks/tables.ts';
import { StateStore } from '../../src/store/state.ts';
import { worksDatabaseFile } from '../../src/store/schema.ts';
import { CrossrefServer, retractedWork, seedWork } from '../support/crossref-server.ts';
import { FixtureRepository } from '../support/fixture-repository.ts';
import { SAMPLES } from '../support/oai-server.ts';
import { captureLogger, withState, tempDir, testConfig } from '../support/run.ts';

const FIXTURES = join(import.meta.dirname, '../formats/fixtures');
const TABLES = ['works', 'copies', 'records', 'downloads', 'audit'];
const stops: (() => Promise<void>)[] = [];
afterAll(() => Promise.all(stops.map((s) => s())));

async function duck() {
  const connection = await (await DuckDBInstance.create(':memory:')).connect();
  return async (sql: string) => (await connection.runAndReadAll(sql)).getRowObjectsJS();
}

/** Kent's seed paper in oai_dc alone; or with its EPrints export, a BibTeX source and Crossref. */
async function harvested(enriched: boolean): Promise<string> {
  const kent = new FixtureRepository();
  kent.set('oai:kar.kent.ac.uk:89524', '2023-02-10T14:05:11Z', { metadata: FixtureRepository.metadataOf(join(FIXTURES, 'kar-89524-oai_dc.xml')) });
  kent.exports.set('/cgi/export/eprint/89524/XML/eprint-89524.xml', readFileSync(join(FIXTURES, 'kar-89524-ep3.xml')));
  kent.set('oai:kar.kent.ac.uk:300', '2023-01-01T00:00:00Z', {
    metadata: '<oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>Retracted elsewhere</dc:title><dc:identifier>10.7554/eLife.01567</dc:identifier></oai_dc:dc>',
  });
  const crossref = new CrossrefServer();
  crossref.add(seedWork());
  crossref.add(retractedWork());
  await crossref.start();
  stops.push(() => kent.stop(), () => crossref.stop());
  const sources: Record<string, unknown>[] = [{ id: 'kar', baseUrl: await kent.start(), ...(enriched ? { enrich: ['eprints-export'] } : {}) }];
  if (enriched) sources.push({ id: 'pure', type: 'bibtex', path: join(SAMPLES, 'crossref/bibtex-pure-export-phdthesis.bib') });
  const config = testConfig(sources, enriched ? { crossref: { mailto: 'a@example.org', baseUrl: crossref.url } } : {});
  const out = tempDir();
  const summary = await harvest({ config, outDir: out, logger: captureLogger().logger });
  expect(summary.ok).toBe(true);
  expect(summary.works.tables).toMatchObject({ works: enriched ? 3 : 2 });
  withState(summary.stateFile, (state) => {
    expect(writeAudit(state, out, { rule: 'ref2021' }).parquet).toBe(join(out, 'tables', 'audit.parquet'));
  });
  return out;
}

describe('the Parquet tables', () => {
  it('have the same column types in DuckDB for an oai_dc-only harvest and an enriched one', async () => {
    const [plain, rich] = [await harvested(false), await harvested(true)];
    const query = await duck();
    for (const table of TABLES) {
      const describe = (out: string) => query(`DESCRIBE SELECT * FROM read_parquet('${join(out, 'tables', `${table}.parquet`)}')`)
        .then((rows) => rows.map((r) => `${String(r['column_name'])} ${String(r['column_type'])}`));
      const [a, b] = [await describe(plain), await describe(rich)];
      expect(a.length, table).toBeGreaterThan(5);
      expect(b, table).toEqual(a);
    }
    // Dates are dates, with their precision beside them; flags are booleans.
    const [seed] = await query(`SELECT published::VARCHAR AS published, published_precision, accepted, accepted_precision, copies, repositories, volume, retracted
      FROM read_parquet('${join(rich, 'tables', 'works.parquet')}') WHERE doi = '10.3399/bjgp.2020.0917'`);
    expect(seed).toMatchObject({ published_precision: 'day', accepted_precision: 'day', copies: 2, repositories: 'crossref, kar', volume: '71', retracted: false });
    expect(String(seed!['published'])).toBe('2021-07-28');
    const [plainSeed] = await query(`SELECT published::VARCHAR AS published, published_precision, accepted FROM read_parquet('${join(plain, 'tables', 'works.parquet')}') WHERE doi = '10.3399/bjgp.2020.0917'`);
    expect(plainSeed).toMatchObject({ published_precision: 'month', accepted: null });
    expect(String(plainSeed!['published'])).toBe('2021-10-01');
    const flagged = await query(`SELECT doi FROM read_parquet('${join(rich, 'tables', 'works.parquet')}') WHERE retracted`);
    expect(flagged).toEqual([{ doi: '10.7554/elife.01567' }]);
    const records = await query(`SELECT source, count(*)::INT AS n FROM read_parquet('${join(rich, 'tables', 'records.parquet')}') GROUP BY source ORDER BY source`);
    expect(records).toEqual([{ source: 'crossref', n: 2 }, { source: 'kar', n: 2 }, { source: 'pure', n: 1 }]);
    const audit = await query(`SELECT verdict, reference_kind, reference::VARCHAR AS reference, lag_days FROM read_parquet('${join(rich, 'tables', 'audit.parquet')}') WHERE doi = '10.3399/bjgp.2020.0917'`);
    expect(audit).toEqual([{ verdict: 'on time', reference_kind: 'accepted', reference: '2021-07-06', lag_days: 24 }]);
  });
});

describe('writing the tables again', () => {
  const tablesOf = (out: string) => Object.fromEntries(TABLES.filter((t) => t !== 'audit').map((t) => [t, readFileSync(join(out, 'tables', `${t}.parquet`))]));

  /** Breaks one stored JSON value, writes the tables, and checks the last ones are left whole, with nothing beside them. */
  async function failsLeavingTheLast(breakIt: (stateFile: string) => void, file: string) {
    const out = await harvested(true);
    const stateFile = join(out, 'state.sqlite');
    const before = tablesOf(out);
    breakIt(stateFile);
    const state = StateStore.open(stateFile);
    try {
      expect(() => writeTables(state, out)).toThrow(`could not write ${file}`);
    } finally {
      state.close();
    }
    expect(tablesOf(out)).toEqual(before);
    expect(readdirSync(join(out, 'tables')).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  }

  const update = (file: string, sql: string) => {
    const db = new DatabaseSync(file);
    expect(Number(db.prepare(sql).run().changes)).toBeGreaterThan(0);
    db.close();
  };

  it('leaves the last four in place when the records side fails, after the works side was written', async () => {
    await failsLeavingTheLast((stateFile) => update(stateFile, `UPDATE source_records SET record_json = '{"broken' WHERE source_id = 'kar'`), 'tables/records.parquet');
  });

  it('leaves the last four in place when the works side fails', async () => {
    await failsLeavingTheLast((stateFile) => update(worksDatabaseFile(stateFile), `UPDATE works SET work_json = '{"broken'`), 'tables/works.parquet');
  });
});
