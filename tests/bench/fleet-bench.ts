// npm run bench: one worker against three over 30 sources on 10 hosts, each response 100 ms
// late, on one throwaway PostgreSQL cluster. Each host takes one request at a time, so three
// workers can keep three hosts busy where one keeps one. Prints figures; asserts nothing.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Feed } from '../support/feed.ts';
import { startOaiServer, type TestServer } from '../support/oai-server.ts';
import { startPostgres } from '../support/postgres.ts';
import { removeTempDirs, tempDir } from '../support/run.ts';

const BIN = resolve(import.meta.dirname, '../../dist/cli/bin.js');
const HOSTS = 10;
const SOURCES_PER_HOST = 3;
const RECORDS = 120;
const PAGE_SIZE = 20;
const LATENCY_MS = 100;
const ENV = { OAI_HARVESTER_POLL_SECONDS: '0.5', OAI_HARVESTER_SUPERVISE_SECONDS: '5' };

function cli(args: string[]): Promise<void> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [BIN, ...args, '--log-level', 'warn'], { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, ...ENV } });
    child.on('close', (code) => (code === 0 ? done() : fail(new Error(`oai-harvester ${args[0]} exited with ${code}`))));
  });
}

async function fleetRun(cluster: Awaited<ReturnType<typeof startPostgres>>, config: string, workers: number): Promise<{ seconds: number; recordsPerS: number }> {
  const stateUrl = cluster.createDatabase(`bench_${workers}_${Date.now()}`);
  const out = tempDir('oai-fleet-bench-');
  await cli(['enqueue', '--config', config, '--state', stateUrl]);
  const started = performance.now();
  await Promise.all(Array.from({ length: workers }, () => cli(['worker', '--config', config, '--out', out, '--state', stateUrl, '--exit-when-idle'])));
  const seconds = (performance.now() - started) / 1000;
  const records = Number(cluster.psql(new URL(stateUrl).pathname.slice(1), 'SELECT count(*) FROM source_records').trim());
  return { seconds, recordsPerS: records / seconds };
}

const cluster = await startPostgres();
const servers: TestServer[] = [];
try {
  const sources: Record<string, unknown>[] = [];
  for (let h = 0; h < HOSTS; h++) {
    const feeds = Object.fromEntries(Array.from({ length: SOURCES_PER_HOST }, (_, s) => [`s${s}`, new Feed({ records: RECORDS, pageSize: PAGE_SIZE, latencyMs: LATENCY_MS, repositoryId: `h${h}s${s}.example` })]));
    const server = await startOaiServer({ feeds, address: `127.0.0.${41 + h}` });
    servers.push(server);
    for (const name of Object.keys(feeds)) sources.push({ id: `h${h}${name}`, baseUrl: server.feedUrl(name), minDelayMs: 0 });
  }
  const config = join(tempDir('oai-fleet-bench-'), 'sources.json');
  writeFileSync(config, JSON.stringify({ sources }));
  const results: Record<number, Awaited<ReturnType<typeof fleetRun>>> = {};
  for (const workers of [1, 3]) results[workers] = await fleetRun(cluster, config, workers);
  console.log(`\nFleet: ${HOSTS * SOURCES_PER_HOST} sources on ${HOSTS} hosts, ${RECORDS} records each, ${PAGE_SIZE} a page, ${LATENCY_MS} ms a response (PostgreSQL ${cluster.psql('postgres', 'SHOW server_version').trim()})`);
  console.log('| workers | wall | records/s |');
  console.log('| --- | --- | --- |');
  for (const [workers, r] of Object.entries(results)) console.log(`| ${workers} | ${r.seconds.toFixed(1)} s | ${r.recordsPerS.toFixed(0)} |`);
  console.log(`3 workers / 1 worker throughput: ${(results[3]!.recordsPerS / results[1]!.recordsPerS).toFixed(2)}x (ideal 3x: each host answers one request at a time)`);
  console.log(`most requests one host answered at once: ${Math.max(...servers.map((s) => s.maxInFlight()))}`);
} finally {
  await Promise.all(servers.map((s) => s.close()));
  cluster.stop();
  removeTempDirs();
}
