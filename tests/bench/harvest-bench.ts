// npm run bench [-- N...]: full harvests from a local server against the parse-only
// ceiling of fast-xml-parser on the same pages. Prints figures; asserts nothing.
import { spawn } from 'node:child_process';
import { createReadStream, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '../..');
const sizes = process.argv.slice(2).map(Number).filter((n) => n > 0);
const runs = sizes.length > 0 ? sizes : [20_000, 200_000];

// Run the harvester with the same Node flags its bin script gives it.
const shebang = readFileSync(join(root, 'dist/cli/bin.js'), 'utf8').split('\n', 1)[0]!;
const binFlags = shebang.split(/\s+/).filter((w) => w.startsWith('--'));

interface Usage { userUs: number; systemUs: number; maxRssKb: number }

async function startServer(records: number): Promise<{ url: string; stop: () => void }> {
  const child = spawn(process.execPath, [join(root, 'tests/bench/bench-server.ts'), String(records)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((ok, fail) => {
    child.stdout.once('data', (d) => ok((JSON.parse(String(d)) as { url: string }).url));
    child.once('exit', (code) => fail(new Error(`bench server exited with ${code}`)));
  });
  return { url, stop: () => child.kill('SIGTERM') };
}

interface WalkResult { mode: string; records: number; bytes: number; wallS: number; parseRecPerS: number }

/** Runs a measuring script in a fresh process and reads the JSON line it prints. */
function runJson<T>(script: string, args: string[]): Promise<T> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [join(root, script), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('exit', (code) => (code === 0 ? done(JSON.parse(out) as T) : fail(new Error(`${script} exited with ${code}`))));
  });
}

/** A fresh process walks the whole list: bare HTTP only, or parsing each page once. */
function walk(url: string, mode: 'walk' | 'chosen' | 'defaults'): Promise<WalkResult> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [join(root, 'tests/bench/parse-only.ts'), url, mode], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('exit', (code) => (code === 0 ? done(JSON.parse(out) as WalkResult) : fail(new Error(`parse-only exited with ${code}`))));
  });
}

async function harvestOnce(url: string, commonRecord: boolean): Promise<{ wallS: number; usage: Usage; lines: number; bytes: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'oai-bench-'));
  const config = join(dir, 'sources.json');
  writeFileSync(config, JSON.stringify({ sources: [{ id: 'bench', baseUrl: url, minDelayMs: 0, commonRecord }] }));
  const usageFile = join(dir, 'usage.json');
  const started = performance.now();
  const code = await new Promise<number | null>((done) => {
    const child = spawn(
      process.execPath,
      [...binFlags, '--import', join(root, 'tests/bench/usage-hook.mjs'), join(root, 'dist/cli/bin.js'), 'run', '--config', config, '--out', join(dir, 'out'), '--log-level', 'warn'],
      { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, BENCH_USAGE_FILE: usageFile } },
    );
    child.on('exit', done);
  });
  const wallS = (performance.now() - started) / 1000;
  if (code !== 0) throw new Error(`the harvest exited with ${code}`);
  const outDir = join(dir, 'out', 'records', 'bench');
  const files = readdirSync(outDir);
  let lines = 0;
  let bytes = 0;
  for (const f of files) {
    bytes += statSync(join(outDir, f)).size;
    // Counted by streaming: the output of a large harvest is larger than a string can be.
    for await (const chunk of createReadStream(join(outDir, f)) as AsyncIterable<Buffer>) {
      for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines++;
    }
  }
  const summary = JSON.parse(readFileSync(join(dir, 'out', 'runs', readdirSync(join(dir, 'out', 'runs'))[0]!), 'utf8')) as { sources: { wireBytes: number }[] };
  const usage = JSON.parse(readFileSync(usageFile, 'utf8')) as Usage;
  rmSync(dir, { recursive: true, force: true });
  return { wallS, usage, lines, bytes: summary.sources[0]!.wireBytes };
}

console.log(`oai-harvester benchmark — ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}`);
const results: Record<string, unknown>[] = [];
for (const n of runs) {
  const server = await startServer(n);
  try {
    const bare = await walk(server.url, 'walk');
    const fxpDefault = (await walk(server.url, 'defaults')).parseRecPerS;
    const fxpOurs = (await walk(server.url, 'chosen')).parseRecPerS;
    const normalize = await runJson<{ recPerS: number }>('tests/bench/normalize-only.ts', [server.url]);
    // Both pipelines: raw (fetch, parse, state, JSONL) and with the common record.
    for (const commonRecord of [false, true]) {
      const run = await harvestOnce(server.url, commonRecord);
      const cpuS = (run.usage.userUs + run.usage.systemUs) / 1e6;
      const row = {
        records: n,
        pipeline: commonRecord ? 'with common record' : 'raw',
        received: run.lines,
        wallS: +run.wallS.toFixed(2),
        recordsPerS: Math.round(n / run.wallS),
        MBperS: +(run.bytes / 1e6 / run.wallS).toFixed(1),
        clientCpuS: +cpuS.toFixed(2),
        peakRssMB: Math.round(run.usage.maxRssKb / 1024),
        bareWalkRecPerS: Math.round(bare.records / bare.wallS),
        fxpDefaultRecPerS: Math.round(fxpDefault),
        fxpChosenRecPerS: Math.round(fxpOurs),
        vsParseOnly: `${Math.round(((n / run.wallS) / fxpOurs) * 100)}%`,
        normalizeRecPerS: Math.round(normalize.recPerS),
      };
      results.push(row);
      console.log(JSON.stringify(row));
    }
  } finally {
    server.stop();
  }
}
for (const pipeline of ['raw', 'with common record']) {
  const rows = results.filter((r) => r['pipeline'] === pipeline);
  if (rows.length < 2) continue;
  const first = rows[0]!;
  const last = rows.at(-1)!;
  console.log(`${pipeline}: peak RSS at ${last['records']} / at ${first['records']}: ${((last['peakRssMB'] as number) / (first['peakRssMB'] as number)).toFixed(2)}`);
}
console.table(results);

// The works step at scale, with the Node flags the bin runs with.
const dedupeN = Number(process.env['BENCH_DEDUPE'] ?? 1_000_000);
if (dedupeN > 0) {
  const dedupe = await new Promise<string>((done, fail) => {
    const child = spawn(process.execPath, [...binFlags, join(root, 'tests/bench/dedupe-bench.ts'), String(dedupeN)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('exit', (code) => (code === 0 ? done(out.trim()) : fail(new Error(`dedupe bench exited with ${code}`))));
  });
  console.log(`works: ${dedupe}`);
}
