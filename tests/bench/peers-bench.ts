// Side by side, in one run, against one server: a bare HTTP walk (the limit), fast-xml-parser
// alone on the same pages, our harvester (default, default with parserThreads 0, raw), and every installed
// peer from ../shared/peers. Then the same with a fixed latency per page, to show that
// fetching and processing overlap. Prints figures; asserts nothing.
//   node tests/bench/peers-bench.ts
// Env: BENCH_RECORDS (20000), BENCH_PEERS ("curl node-oai-pmh catmandu http-oai"), BENCH_SIDE=0 (skip the side by side),
//      BENCH_LATENCY_MS (300; 0 skips that part), BENCH_LATENCY_PAGES (200), BENCH_MANY=0 (skip ten sources),
//      PEERS_DIR (../shared/peers), PEERS_WORK (/tmp/oai-peers), BENCH_LOCAL=1 (our server even if the provider is installed).
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { removeTempDirs, tempDir } from '../support/run.ts';
import { profileStages } from './stage-profile.ts';

const root = resolve(import.meta.dirname, '../..');
const N = Number(process.env['BENCH_RECORDS'] ?? 20_000);
const PAGE = 100;
const peersDir = resolve(process.env['PEERS_DIR'] ?? join(root, '../shared/peers'));
const peersWork = process.env['PEERS_WORK'] ?? join(tmpdir(), 'oai-peers');

// Every tool's output goes in a directory of its own, all removed when the bench exits.
process.on('exit', removeTempDirs);
const latencyMs = Number(process.env['BENCH_LATENCY_MS'] ?? 300);
const latencyPages = Number(process.env['BENCH_LATENCY_PAGES'] ?? 200);
const shebang = readFileSync(join(root, 'dist/cli/bin.js'), 'utf8').split('\n', 1)[0]!;
const binFlags = shebang.split(/\s+/).filter((w) => w.startsWith('--'));

interface Row {
  tool: string;
  received: number | string;
  wallS: number;
  cpuS: number;
  rssMB: number;
}

interface Usage { userUs: number; systemUs: number; maxRssKb: number }

function nodeVersion(path: string): string {
  try {
    return execFileSync('node', ['--version'], { env: { ...process.env, PATH: path }, encoding: 'utf8' }).trim().replace(/^v/, '');
  } catch {
    return 'none';
  }
}

function providerInstalled(): boolean {
  if (process.env['BENCH_LOCAL'] || !existsSync(join(peersDir, 'serve.sh'))) return false;
  try {
    execFileSync('perl', ['-MDancer::Plugin::Catmandu::OAI', '-e', '1'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

async function startServer(provider: boolean, records: number, latency = 0, address = '127.0.0.1', failing = false): Promise<{ url: string; failingUrl: string | null; stop: () => void; name: string }> {
  if (provider) {
    const port = String(5190 + Math.floor(Math.random() * 500));
    const out = execFileSync(join(peersDir, 'serve.sh'), [String(records), port], { env: { ...process.env, PAGE_SIZE: String(PAGE), PEERS_WORK: peersWork }, encoding: 'utf8' });
    const url = /^BASE_URL=(.+)$/m.exec(out)![1]!;
    return { url, failingUrl: null, name: 'Catmandu provider (Dancer::Plugin::Catmandu::OAI under Starman)', stop: () => execFileSync(join(peersDir, 'stop.sh'), [port], { env: { ...process.env, PEERS_WORK: peersWork }, stdio: 'ignore' }) };
  }
  const child = spawn(process.execPath, [join(root, 'tests/bench/bench-server.ts'), String(records), String(PAGE), String(latency), address, failing ? '503' : ''], { stdio: ['ignore', 'pipe', 'inherit'] });
  const { url, failingUrl } = await new Promise<{ url: string; failingUrl: string | null }>((ok, fail) => {
    child.stdout.once('data', (d) => ok(JSON.parse(String(d)) as { url: string; failingUrl: string | null }));
    child.once('exit', (code) => fail(new Error(`bench server exited with ${code}`)));
  });
  return { url, failingUrl, name: `our local server${latency ? `, ${latency} ms per response` : ''}`, stop: () => child.kill('SIGTERM') };
}

/** Runs a Node script under the usage hook: wall time, whole-process CPU and peak RSS. */
async function measured(args: string[]): Promise<{ wallS: number; usage: Usage; stdout: string }> {
  const dir = tempDir('oai-usage-');
  const usageFile = join(dir, 'usage.json');
  const started = performance.now();
  const child = spawn(process.execPath, ['--import', join(root, 'tests/bench/usage-hook.mjs'), ...args], {
    stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, BENCH_USAGE_FILE: usageFile },
  });
  let stdout = '';
  child.stdout.on('data', (d) => (stdout += d));
  const code = await new Promise<number | null>((done) => child.on('exit', done));
  const wallS = (performance.now() - started) / 1000;
  if (code !== 0) throw new Error(`${args.join(' ')} exited with ${code}`);
  return { wallS, usage: JSON.parse(readFileSync(usageFile, 'utf8')) as Usage, stdout };
}

const row = (tool: string, received: number | string, wallS: number, u: Usage): Row => ({
  tool, received, wallS, cpuS: (u.userUs + u.systemUs) / 1e6, rssMB: u.maxRssKb / 1024,
});

async function walk(url: string, mode: 'walk' | 'chosen'): Promise<Row> {
  const { wallS, usage, stdout } = await measured([join(root, 'tests/bench/parse-only.ts'), url, mode]);
  const r = JSON.parse(stdout) as { records: number };
  return row(mode === 'walk' ? 'bare HTTP walk (Node, undici)' : 'fast-xml-parser alone (walk + parse)', r.records, wallS, usage);
}

interface OursRun {
  start?: 'bin' | 'plain';
  /** The config's parserThreads (0: pages parsed in the run's own thread). */
  parserThreads?: number;
  afterLastPage?: Record<string, string>[];
}

/** One harvest: through the bin (its shebang's Node flags), or as `node dist/cli/bin.js` with none, as a systemd unit may start it. */
async function ours(url: string, commonRecord: boolean, { start = 'bin', parserThreads, afterLastPage }: OursRun = {}): Promise<Row> {
  const dir = tempDir('oai-bench-');
  const config = join(dir, 'sources.json');
  writeFileSync(config, JSON.stringify({ parserThreads, sources: [{ id: 'bench', baseUrl: url, minDelayMs: 0, commonRecord }] }));
  const out = join(dir, 'out');
  const flags = start === 'bin' ? binFlags : [];
  const { wallS, usage } = await measured([...flags, join(root, 'dist/cli/bin.js'), 'run', '--config', config, '--out', out, '--log-level', 'warn']);
  const ids = new Set<string>();
  let lines = 0;
  const recordsDir = join(out, 'records', 'bench');
  for (const f of readdirSync(recordsDir)) {
    for (const line of readFileSync(join(recordsDir, f), 'utf8').split('\n')) {
      if (!line) continue;
      lines++;
      ids.add((JSON.parse(line) as { identifier: string }).identifier);
    }
  }
  const received = lines === ids.size ? ids.size : `${ids.size} (${lines - ids.size} twice)`;
  const started = (start === 'plain' ? ', as node dist/cli/bin.js (no flags)' : '') + (parserThreads === 0 ? ', parserThreads 0' : '');
  if (commonRecord) afterLastPage?.push(tailOf(`oai-harvester, default${started}`, out));
  return row(`oai-harvester, ${commonRecord ? 'default (common record, works)' : 'raw (commonRecord: false)'}${started}`, received, wallS, usage);
}

interface RunSummaryTimes {
  durationMs: number;
  sources: { durationMs: number }[];
  works: { recomputeMs: number; snapshotMs: number; tables: { durationMs: number } | null };
}

/** What a default harvest did after its last page, from its run summary: the wall time past the walk is mostly this. */
function tailOf(tool: string, out: string): Record<string, string> {
  const [file] = readdirSync(join(out, 'runs')).filter((f) => f.endsWith('.json'));
  const run = JSON.parse(readFileSync(join(out, 'runs', file!), 'utf8')) as RunSummaryTimes;
  const harvestMs = Math.max(...run.sources.map((s) => s.durationMs));
  const tablesMs = run.works.tables?.durationMs ?? 0;
  const tailMs = run.durationMs - harvestMs;
  return {
    tool, 'harvest s': (harvestMs / 1000).toFixed(2), 'after the last page s': (tailMs / 1000).toFixed(2),
    'works recompute and change file ms': String(run.works.recomputeMs), 'works.jsonl and probable duplicates ms': String(run.works.snapshotMs - tablesMs),
    'Parquet tables ms': String(tablesMs), 'records/current and the rest ms': String(tailMs - run.works.recomputeMs - run.works.snapshotMs),
  };
}

/**
 * npm oai-pmh 2.0.3 loads through the `esm` package, which fails on Node 22 and later: the
 * peers run with the machine's own Node (the README's peer figures were taken with Node 20),
 * so the PATH entries that put Node 24 first are dropped for them.
 */
function peerPath(): string {
  return (process.env['PATH'] ?? '').split(':').filter((p) => !p.includes('node24')).join(':');
}

function peer(name: string, url: string): Row | undefined {
  const dir = tempDir(`oai-peer-${name}-`);
  const out = join(dir, name === 'curl' ? 'pages' : 'out');
  try {
    execFileSync(join(peersDir, 'peer-harvest.sh'), [name, url, out], { env: { ...process.env, PATH: peerPath(), PEERS_WORK: peersWork, EXPECT_N: String(N) }, stdio: ['ignore', 'ignore', 'inherit'] });
  } catch {
    process.stderr.write(`peer ${name} failed or is not installed (${join(peersDir, 'setup.sh')} installs the peers); left out\n`);
    return undefined;
  }
  const s = JSON.parse(readFileSync(`${out}.summary.json`, 'utf8')) as {
    wall_s: number; client_user_s: number; client_sys_s: number; peak_rss_kb: number; verify: { records: number; unique_identifiers?: number };
  };
  const tool = { curl: 'curl loop (peers/server-walk.sh)', 'node-oai-pmh': `npm oai-pmh 2.0.3 (Node ${nodeVersion(peerPath())})`, catmandu: 'Catmandu::OAI', 'http-oai': 'HTTP::OAI oai_pmh' }[name] ?? name;
  return { tool, received: s.verify.unique_identifiers ?? s.verify.records, wallS: s.wall_s, cpuS: s.client_user_s + s.client_sys_s, rssMB: s.peak_rss_kb / 1024 };
}

function print(title: string, rows: Row[], limit: Row, compareTo: Row[]): void {
  process.stdout.write(`\n${title}\n`);
  const table = rows.map((r) => {
    const cells: Record<string, string | number> = {
      tool: r.tool, received: r.received, 'wall s': r.wallS.toFixed(2), 'records/s': Math.round(N / r.wallS),
      'client CPU s': r.cpuS.toFixed(2), 'peak RSS MB': Math.round(r.rssMB), 'wall ÷ limit': (r.wallS / limit.wallS).toFixed(2),
    };
    for (const p of compareTo) if (p !== r) cells[`CPU ÷ ${p.tool.split(' ')[0]}`] = (r.cpuS / p.cpuS).toFixed(2);
    return cells;
  });
  console.table(table);
}

process.stdout.write(`oai-harvester side-by-side benchmark — ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}\n`);
if (process.env['BENCH_SIDE'] !== '0') await sideBySide();

async function sideBySide(): Promise<void> {
const provider = providerInstalled();
const server = await startServer(provider, N);
process.stdout.write(`server: ${server.name}, ${N} oai_dc records, ${PAGE} per page, ${server.url}\n`);
try {
  const limit = await walk(server.url, 'walk');
  const afterLastPage: Record<string, string>[] = [];
  const rows: Row[] = [
    limit, await walk(server.url, 'chosen'), await ours(server.url, true, { afterLastPage }), await ours(server.url, true, { start: 'plain', afterLastPage }),
    await ours(server.url, true, { parserThreads: 0, afterLastPage }), await ours(server.url, false),
  ];
  const wanted = (process.env['BENCH_PEERS'] ?? 'curl node-oai-pmh catmandu http-oai').split(/\s+/).filter(Boolean);
  const peerRows = (provider ? wanted : wanted.filter((p) => p === 'node-oai-pmh' || p === 'curl')).map((p) => peer(p, server.url)).filter((r): r is Row => r !== undefined);
  rows.push(...peerRows);
  print(`${N} records against ${server.name}; the limit is the bare HTTP walk`, rows, limit, [rows[1]!, ...peerRows.filter((p) => !p.tool.startsWith('curl'))]);
  process.stdout.write(`\nThe default pipeline after its last page (from each run's summary)\n`);
  console.table(afterLastPage);
  // Where the default pipeline's CPU goes (one more run, under the profiler, which slows it a little).
  process.stdout.write(`\nThe default pipeline's CPU by stage (${N} records, through the bin, every thread; idle time left out)\n`);
  console.table(await profileStages(server.url, binFlags));
} finally {
  server.stop();
}
}

if (latencyMs > 0) {
  const records = latencyPages * PAGE;
  const slow = await startServer(false, records, latencyMs);
  try {
    const limit = await walk(slow.url, 'walk');
    const harvested = await ours(slow.url, true);
    const floor = (latencyPages * latencyMs) / 1000;
    process.stdout.write(`\n${latencyPages} pages with ${latencyMs} ms added per response (${records} records): ${latencyPages} × ${latencyMs} ms = ${floor.toFixed(1)} s\n`);
    console.table([limit, harvested].map((r) => ({ tool: r.tool, received: r.received, 'wall s': r.wallS.toFixed(2), '÷ pages × latency': (r.wallS / floor).toFixed(3), 'client CPU s': r.cpuS.toFixed(2) })));
  } finally {
    slow.stop();
  }
}

// Ten sources on five hosts (127.0.0.1 … 127.0.0.5, 30 ms per response, each host one request
// at a time), one of them answering 503: the nine harvested with it, against the nine alone.
if (process.env['BENCH_MANY'] !== '0') {
  const hosts = await Promise.all([1, 2, 3, 4, 5].map((i) => startServer(false, 2_000, 30, `127.0.0.${i}`, i === 3)));
  try {
    const nine = hosts.flatMap((h, i) => (i === 2 ? [h.url] : [h.url, h.url])).map((baseUrl, k) => ({ id: `s${k + 1}`, baseUrl }));
    const failing = { id: 'failing', baseUrl: hosts[2]!.failingUrl! };
    const run = async (sources: { id: string; baseUrl: string }[]) => {
      const dir = tempDir('oai-many-');
      const config = join(dir, 'sources.json');
      const retry = { maxAttempts: 1000, baseDelayMs: 500, maxDelayMs: 2000, budgetMs: 20_000 };
      writeFileSync(config, JSON.stringify({ concurrency: 10, sources: sources.map((s) => ({ ...s, minDelayMs: 0, concurrency: 1, retry })) }));
      const started = performance.now();
      const child = spawn(process.execPath, [...binFlags, join(root, 'dist/cli/bin.js'), 'run', '--config', config, '--out', join(dir, 'out'), '--log-level', 'error'], { stdio: ['ignore', 'ignore', 'ignore'] });
      const code = await new Promise<number | null>((done) => child.on('exit', done));
      const summaries = readdirSync(join(dir, 'out', 'runs')).map((f) => JSON.parse(readFileSync(join(dir, 'out', 'runs', f), 'utf8')) as { sources: { source: string; status: string; durationMs: number; records: number }[] });
      return { code, wallS: (performance.now() - started) / 1000, sources: summaries[0]!.sources };
    };
    const alone = await run(nine);
    const withFailing = await run([...nine, failing]);
    const slowest = (r: typeof alone) => Math.max(...r.sources.filter((s) => s.source !== 'failing').map((s) => s.durationMs)) / 1000;
    process.stdout.write('\nTen sources on five hosts (two per host, 2,000 records each, 30 ms per response), one answering 503 until its 20 s retry budget is spent\n');
    console.table([
      { run: 'the nine alone', exit: alone.code, 'slowest of the nine s': slowest(alone).toFixed(2), 'whole run s': alone.wallS.toFixed(2), 'records of the nine': alone.sources.reduce((n, s) => n + s.records, 0) },
      {
        run: 'the nine and the failing one', exit: withFailing.code, 'slowest of the nine s': slowest(withFailing).toFixed(2), 'whole run s': withFailing.wallS.toFixed(2),
        'records of the nine': withFailing.sources.filter((s) => s.source !== 'failing').reduce((n, s) => n + s.records, 0),
      },
    ]);
  } finally {
    for (const h of hosts) h.stop();
  }
}
