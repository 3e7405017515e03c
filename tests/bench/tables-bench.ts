// Writing the Parquet tables at scale: N works (each with two copies, one source record per
// copy, and a year of monthly downloads for one work in ten), the tables written by a process
// of their own so its peak RSS is theirs alone. Prints one row per size and the ratio of
// the peak RSS at the largest size to that at the smallest: flat when row groups stream.
//   node tests/bench/tables-bench.ts [N…]     (default 100000 1000000)
//   node tests/bench/tables-bench.ts seed FILE N; … write FILE OUT   (one step, to profile it)
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mergeWork } from '../../src/dedupe/merge-work.ts';
import { COMMON_RECORD_SCHEMA_VERSION, emptyFields, type CommonRecord } from '../../src/formats/common-record.ts';
import { StateStore } from '../../src/store/state.ts';
import { writeTables } from '../../src/sinks/tables.ts';

const [mode, ...rest] = process.argv.slice(2);

function record(i: number, source: string): CommonRecord {
  const { doiCandidates: _unused, ...fields } = emptyFields();
  void _unused;
  const doi = `10.5555/work.${i}`;
  return {
    ...fields, schemaVersion: COMMON_RECORD_SCHEMA_VERSION, id: `${source}:oai:${source}:${i}`, source, identifier: `oai:${source}:${i}`, deleted: false,
    datestamp: '2024-01-01T00:00:00Z', sets: [], formats: ['oai_dc'], fieldSources: {}, title: `Title of work ${i}`, doi,
    doiInfo: { original: doi, field: 'dc:identifier', reason: 'a bare DOI', others: [] },
    creators: [{ name: `Family${i % 997}, Given`, family: `Family${i % 997}`, given: 'Given', orcid: null }],
    abstract: `Abstract of work ${i}, long enough to be realistic in size for a repository's record of a paper.`,
    landingPage: `https://${source}.example/${i}/`, type: { coar: 'http://purl.org/coar/resource_type/c_6501', label: 'journal article', original: ['article'] },
    container: { title: 'Journal of Examples', volume: String(i % 90), issue: String(i % 12), pages: '1-10', issn: ['1234-5678'], isbn: [] },
    dates: { ...fields.dates, published: { value: `20${10 + (i % 15)}-0${1 + (i % 9)}`, field: 'dc:date' }, deposited: { value: '2021-03-15', field: 'ep3 datestamp' } },
  };
}

/** Fills a state database with n works, directly: the tables read what a harvest leaves, however it got there. */
function seed(file: string, n: number): void {
  const state = StateStore.open(file);
  const policy = { sourcePriority: [] };
  for (let start = 0; start < n; start += 10_000) {
    state.transaction(() => {
      const rows = [];
      for (let i = start; i < Math.min(n, start + 10_000); i++) {
        const copies = [record(i, 'kar'), record(i, 'leeds')];
        const work = mergeWork(`doi:10.5555/work.${i}`, copies, policy);
        state.works.saveWork(work.id, work.status, JSON.stringify(work), 'seed');
        rows.push(...copies.map((r) => ({ sourceId: r.source, identifier: r.identifier, deleted: false, workId: work.id, recordJson: JSON.stringify(r) })));
      }
      state.records.save(rows);
    });
  }
  for (let month = 1; month <= 12; month++) {
    const m = `2024-${String(month).padStart(2, '0')}`;
    const rows = [];
    for (let i = 0; i < n; i += 10) rows.push({ identifier: `oai:kar:${i}`, metric: 'irstats2:downloads', count: (i + month) % 50 });
    state.downloads.saveMonth({ sourceId: 'kar', month: m, metrics: ['irstats2:downloads'], rows, outcome: 'ok' });
  }
  state.close();
}

if (mode === 'seed') {
  seed(rest[0]!, Number(rest[1]));
} else if (mode === 'write') {
  const [file, out] = rest as [string, string];
  const state = StateStore.open(file);
  const started = performance.now();
  const tables = writeTables(state, out);
  const seconds = (performance.now() - started) / 1000;
  state.close();
  const bytes = ['works', 'copies', 'records', 'downloads'].reduce((sum, t) => sum + statSync(join(out, 'tables', `${t}.parquet`)).size, 0);
  process.stdout.write(`${JSON.stringify({ ...tables, seconds: +seconds.toFixed(1), mb: +(bytes / 1e6).toFixed(1), peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024) })}\n`);
} else {
  const sizes = (mode ? [mode, ...rest] : ['100000', '1000000']).map(Number);
  const rows: Record<string, unknown>[] = [];
  for (const n of sizes) {
    const dir = mkdtempSync(join(tmpdir(), 'oai-tables-bench-'));
    try {
      const file = join(dir, 'state.sqlite');
      seed(file, n);
      execFileSync('sync');
      // Started as a library user would start it: no V8 flag.
      const row = await new Promise<string>((done, fail) => {
        const child = spawn(process.execPath, [import.meta.filename, 'write', file, join(dir, 'out')], { stdio: ['ignore', 'pipe', 'inherit'] });
        let text = '';
        child.stdout.on('data', (d) => (text += d));
        child.on('exit', (code) => (code === 0 ? done(text) : fail(new Error(`tables bench exited with ${code}`))));
      });
      const parsed = JSON.parse(row) as Record<string, unknown>;
      rows.push(parsed);
      console.log(JSON.stringify(parsed));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  console.table(rows.map(({ durationMs: _d, ...r }) => r));
  if (rows.length > 1) {
    const [first, last] = [rows[0]!, rows.at(-1)!];
    console.log(`tables: peak RSS at ${String(last['works'])} works / at ${String(first['works'])}: ${((last['peakRssMB'] as number) / (first['peakRssMB'] as number)).toFixed(2)}`);
  }
}
