// npm run bench: one worker against three over 30 sources on 10 hosts, each response 100 ms
// late, on one throwaway PostgreSQL cluster. Each host takes one request at a time, so three
// workers can keep three hosts busy where one keeps one. Twice: small sources (a job of seven
// requests, where the workers' start-up weighs) and larger ones (26 requests a job).
// The wall time runs from the workers' start to their exit; the jobs' time from the first job
// started to the last one finished. Prints figures; asserts nothing.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { Feed } from '../support/feed.ts';
import { startOaiServer, type TestServer } from '../support/oai-server.ts';
import { startPostgres } from '../support/postgres.ts';
import { removeTempDirs, tempDir } from '../support/run.ts';

const BIN = resolve(import.meta.dirname, '../../dist/cli/bin.js');
const HOSTS = 10;
const SOURCES_PER_HOST = 3;
const SIZES = (process.env['FLEET_BENCH_RECORDS'] ?? '120,500').split(',').map(Number);
const PAGE_SIZE = 20;
const LATENCY_MS = 100;
const ENV = { OAI_HARVESTER_POLL_SECONDS: '0.5', OAI_HARVESTER_SUPERVISE_SECONDS: '5' };

/** Runs a command; resolves with the times (ms since the epoch) of its job log lines. */
function cli(args: string[]): Promise<{ started: number[]; finished: number[] }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [BIN, ...args, '--log-level', 'info'], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...ENV } });
    const times = { started: [] as number[], finished: [] as number[] };
    let partial = '';
    child.stderr.on('data', (chunk: Buffer) => {
      const lines = (partial + chunk.toString()).split('\n');
      partial = lines.pop()!;
      for (const line of lines) {
        const entry = JSON.parse(line) as { msg: string; time: number };
        if (entry.msg === 'job started') times.started.push(entry.time);
        if (entry.msg === 'job finished') times.finished.push(entry.time);
      }
    });
    child.on('close', (code) => (code === 0 ? done(times) : fail(new Error(`oai-harvester ${args[0]} exited with ${code}`))));
  });
}

/**
 * A source's DOIs: its own, but for every fifth record's, which every source holds, so works
 * gather copies from many workers. (Every record in every source, the test feeds' default,
 * would make all 30 jobs write the same 120 works, as no aggregator's sources do.)
 */
function sharedFifth(source: string): (id: number) => string {
  return (id) => (id % 5 === 0 ? `10.5555/shared.${id}` : `10.5555/${source}.${id}`);
}

interface FleetResult { seconds: number; jobSeconds: number; records: number }

async function fleetRun(cluster: Awaited<ReturnType<typeof startPostgres>>, config: string, workers: number): Promise<FleetResult> {
  const name = `bench_${workers}_${Date.now()}`;
  const stateUrl = cluster.createDatabase(name);
  const out = tempDir('oai-fleet-bench-');
  await cli(['enqueue', '--config', config, '--state', stateUrl]);
  const started = performance.now();
  const times = await Promise.all(Array.from({ length: workers }, () => cli(['worker', '--config', config, '--out', out, '--state', stateUrl, '--exit-when-idle'])));
  const seconds = (performance.now() - started) / 1000;
  const jobSeconds = (Math.max(...times.flatMap((t) => t.finished)) - Math.min(...times.flatMap((t) => t.started))) / 1000;
  return { seconds, jobSeconds, records: Number(cluster.psql(name, 'SELECT count(*) FROM source_records').trim()) };
}

async function benchSize(cluster: Awaited<ReturnType<typeof startPostgres>>, records: number, first: number): Promise<void> {
  const servers: TestServer[] = [];
  try {
    const sources: Record<string, unknown>[] = [];
    for (let h = 0; h < HOSTS; h++) {
      const feeds = Object.fromEntries(Array.from({ length: SOURCES_PER_HOST }, (_, s) => [`s${s}`, new Feed({ records, pageSize: PAGE_SIZE, latencyMs: LATENCY_MS, repositoryId: `h${h}s${s}.example`, doiOf: sharedFifth(`h${h}s${s}`) })]));
      const server = await startOaiServer({ feeds, address: `127.0.0.${first + h}` });
      servers.push(server);
      for (const name of Object.keys(feeds)) sources.push({ id: `h${h}${name}`, baseUrl: server.feedUrl(name), minDelayMs: 0 });
    }
    const config = join(tempDir('oai-fleet-bench-'), 'sources.json');
    writeFileSync(config, JSON.stringify({ sources }));
    const results: Record<number, FleetResult> = {};
    for (const workers of [1, 3]) results[workers] = await fleetRun(cluster, config, workers);
    console.log(`\n${HOSTS * SOURCES_PER_HOST} sources on ${HOSTS} hosts, ${records} records each (${Math.ceil(records / PAGE_SIZE) + 1} requests a job), ${PAGE_SIZE} a page, ${LATENCY_MS} ms a response; a fifth of the DOIs in every source`);
    console.log('| workers | wall | records/s | jobs (first start to last end) | records/s |');
    console.log('| --- | --- | --- | --- | --- |');
    for (const [workers, r] of Object.entries(results)) {
      console.log(`| ${workers} | ${r.seconds.toFixed(1)} s | ${(r.records / r.seconds).toFixed(0)} | ${r.jobSeconds.toFixed(1)} s | ${(r.records / r.jobSeconds).toFixed(0)} |`);
    }
    const [one, three] = [results[1]!, results[3]!];
    console.log(`3 workers / 1 worker throughput: ${(one.seconds / three.seconds).toFixed(2)}x by wall time, ${(one.jobSeconds / three.jobSeconds).toFixed(2)}x over the jobs (ideal 3x)`);
    console.log(`most requests one host answered at once: ${Math.max(...servers.map((s) => s.maxInFlight()))}`);
  } finally {
    await Promise.all(servers.map((s) => s.close()));
  }
}

const cluster = await startPostgres();
try {
  console.log(`Fleet (PostgreSQL ${cluster.psql('postgres', 'SHOW server_version').trim()}, ${cpus().length} cores, every worker and server on this machine)`);
  for (const [i, records] of SIZES.entries()) await benchSize(cluster, records, 41 + i * HOSTS);
} finally {
  cluster.stop();
  removeTempDirs();
}
