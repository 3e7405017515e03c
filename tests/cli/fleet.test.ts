// The fleet: three worker processes on one PostgreSQL state harvest ten sources on five hosts,
// one worker SIGKILLed in the middle of a harvest. Every record is in the output and the store
// once, no host is ever asked two things at once, the dead worker's job is resumed from its last
// committed page by another, and works.jsonl written from PostgreSQL is the one a single SQLite
// run over the same servers writes.
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Feed } from '../support/feed.ts';
import { startOaiServer, type TestServer } from '../support/oai-server.ts';
import { startPostgres, type PostgresCluster } from '../support/postgres.ts';
import { outputLines, tempDir } from '../support/run.ts';

const MAIN = resolve(import.meta.dirname, '../../src/cli/bin.ts');
const HOSTS = 5;
const LATENCY_MS = 120;
/** Short waits, so a dead worker's job is taken over within seconds (10 s is pg-boss's least heartbeat). */
const FLEET_ENV = { OAI_HARVESTER_HEARTBEAT_SECONDS: '10', OAI_HARVESTER_SUPERVISE_SECONDS: '1', OAI_HARVESTER_POLL_SECONDS: '0.5', OAI_HARVESTER_RETRY_DELAY_SECONDS: '1' };

let cluster: PostgresCluster;
const servers: TestServer[] = [];
const feeds = new Map<string, Feed>();
let config = '';

beforeAll(async () => {
  cluster = await startPostgres();
  const sources: Record<string, unknown>[] = [];
  for (let h = 0; h < HOSTS; h++) {
    // Two sources a host, sharing DOIs across every feed (10.5555/test.<id>): works with several copies.
    // The last host's first source offers RIOXX too, and its second names two sets: their lists are jobs of their own.
    const hostFeeds = { a: new Feed({ records: 160 + h * 10, pageSize: 16, latencyMs: LATENCY_MS, repositoryId: `h${h}a.example`, deletedEvery: 23, ...(h === HOSTS - 1 ? { formats: ['oai_dc', 'rioxx'] } : {}) }),
      b: new Feed({ records: 120 + h * 5, pageSize: 16, latencyMs: LATENCY_MS, repositoryId: `h${h}b.example` }) };
    const server = await startOaiServer({ feeds: hostFeeds, address: `127.0.0.${21 + h}` });
    servers.push(server);
    for (const [name, feed] of Object.entries(hostFeeds)) {
      feeds.set(`h${h}${name}`, feed);
      const lists = h < HOSTS - 1 ? {} : name === 'a' ? { richerFormats: ['rioxx'] } : { sets: ['7374617475733D707562', 'driver'] };
      sources.push({ id: `h${h}${name}`, baseUrl: server.feedUrl(name), minDelayMs: 0, retry: { maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 50 }, ...lists });
    }
  }
  config = join(tempDir(), 'sources.json');
  writeFileSync(config, JSON.stringify({ sources }));
}, 60_000);

afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  cluster?.stop();
});

interface Cli {
  child: ChildProcess;
  lines: Record<string, unknown>[];
  stderr: string;
  exited: Promise<number | null>;
}

function cli(args: string[], env: Record<string, string> = {}): Cli {
  const child = spawn(process.execPath, [MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  const handle: Cli = { child, lines: [], stderr: '', exited: new Promise((done) => child.on('close', done)) };
  let partial = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    handle.stderr += chunk.toString();
    const text = partial + chunk.toString();
    const lines = text.split('\n');
    partial = lines.pop()!;
    for (const line of lines) {
      try {
        handle.lines.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        // A plain line (a usage error): kept in stderr.
      }
    }
  });
  child.stdout!.resume();
  return handle;
}

async function until(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const started = Date.now();
  while (!check()) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('a fleet of workers on PostgreSQL', () => {
  it('harvests every record once with one request per host at a time, takes over a killed worker\'s job from its last page, and writes the works a single run writes', async () => {
    const stateUrl = cluster.createDatabase('fleet');
    const fleetOut = tempDir();
    const enqueue = cli(['enqueue', '--config', config, '--state', stateUrl], FLEET_ENV);
    expect(await enqueue.exited, enqueue.stderr).toBe(0);

    const workers = [0, 1, 2].map(() => cli(['worker', '--config', config, '--out', fleetOut, '--state', stateUrl, '--exit-when-idle'], FLEET_ENV));
    // Worker 0 is killed once it has committed two pages of its first job, while it waits for the third.
    const victim = workers[0]!;
    await until(() => victim.lines.some((l) => l['msg'] === 'job started'), 30_000, 'the first worker to take a job');
    const killedJob = victim.lines.find((l) => l['msg'] === 'job started')!;
    const killedSource = String(killedJob['source']);
    await until(() => pagesCommitted(killedSource) >= 2, 30_000, `two pages of ${killedSource}`);
    await new Promise((r) => setTimeout(r, LATENCY_MS / 2));
    victim.child.kill('SIGKILL');
    const codes = await Promise.all(workers.map((w) => w.exited));
    expect(codes[0]).toBe(null);
    expect(codes.slice(1), workers.map((w) => w.stderr.slice(-3000)).join('\n')).toEqual([0, 0]);

    // One job per list: ten sources, two of them with two lists each.
    expect(cluster.psql('fleet', `SELECT data->>'sourceId' || ' ' || COALESCE(data->'list'->>'metadataPrefix', '') || ' ' || COALESCE(data->'list'->>'set', '') FROM pgboss.job
      WHERE state = 'completed' AND data->>'sourceId' LIKE 'h${HOSTS - 1}_' ORDER BY 1`).trim().split('\n'))
      .toEqual([`h${HOSTS - 1}a oai_dc `, `h${HOSTS - 1}a rioxx `, `h${HOSTS - 1}b oai_dc 7374617475733D707562`, `h${HOSTS - 1}b oai_dc driver`]);
    expect(cluster.psql('fleet', `SELECT count(*) FROM pgboss.job WHERE state = 'completed'`).trim()).toBe('12');
    // Every record of every source once in the output (twice where its RIOXX list, merged in, changed it) and once in the store.
    const listsOf = (id: string): number => (id === `h${HOSTS - 1}a` ? 2 : 1);
    for (const [id, feed] of feeds) {
      const lines = outputLines(fleetOut, id);
      expect(lines.map((l) => l.identifier).sort(), id).toEqual(feed.records.flatMap((r) => Array<string>(listsOf(id)).fill(feed.identifier(r.id))).sort());
      // A record deleted before it was ever harvested leaves nothing to keep but its output line.
      expect(Number(cluster.psql('fleet', `SELECT count(*) FROM source_records WHERE source_id = '${id}'`).trim()), id).toBe(feed.records.filter((r) => !r.deleted).length);
    }
    // No host ever answered two requests at once, by each server's own count.
    expect(servers.map((s) => s.maxInFlight())).toEqual(servers.map(() => 1));
    // The killed worker's job went to another worker, which went on from the committed pages: one first request of the list, not two.
    const survivors = workers.slice(1).flatMap((w) => w.lines);
    expect(survivors.some((l) => l['msg'] === 'job started' && l['source'] === killedSource && l['attempt'] === 2)).toBe(true);
    expect(survivors.some((l) => l['msg'] === 'resuming the interrupted harvest from its last committed page' && l['source'] === killedSource)).toBe(true);
    const host = servers[Number(killedSource[1])]!;
    const feedPath = `/feed/${killedSource[2]}`;
    const [killedFormat, killedSet] = String(killedJob['list']).split('|');
    const firstRequests = host.requests.filter((r) => r.path === feedPath && r.params['verb'] === 'ListRecords' && !r.params['resumptionToken']);
    expect(firstRequests.filter((r) => r.params['metadataPrefix'] === killedFormat && r.params['set'] === killedSet)).toHaveLength(1);

    // works.jsonl from PostgreSQL, against a single SQLite run over the same servers.
    const snapshot = cli(['works', 'snapshot', '--out', fleetOut, '--state', stateUrl]);
    expect(await snapshot.exited, snapshot.stderr).toBe(0);
    const singleOut = tempDir();
    const single = cli(['run', '--config', config, '--out', singleOut, '--log-level', 'warn']);
    expect(await single.exited, single.stderr).toBe(0);
    const fleetWorks = readFileSync(join(fleetOut, 'works.jsonl'), 'utf8').split('\n');
    const singleWorks = readFileSync(join(singleOut, 'works.jsonl'), 'utf8').split('\n');
    expect(fleetWorks.length).toBeGreaterThan(150);
    expect(fleetWorks).toEqual(singleWorks);
  }, 240_000);

  it('takes the state from the config\'s "state", and its password appears in no output, summary or log line', async () => {
    const url = cluster.createDatabase('fromconfig').replace('harvester@', 'harvester:S3cretPassw0rd@');
    const dir = tempDir();
    const withState = join(dir, 'sources.json');
    writeFileSync(withState, JSON.stringify({ ...JSON.parse(readFileSync(config, 'utf8')) as object, state: url }));
    const out = join(dir, 'out');
    // One after another: the run finds the worker's harvest done.
    const commands = [
      ['enqueue', '--config', withState, '--source', 'h1b'],
      ['worker', '--config', withState, '--out', out, '--exit-when-idle', '--log-level', 'debug'],
      ['run', '--config', withState, '--out', out, '--source', 'h1b', '--log-level', 'debug'],
    ];
    let printed = '';
    const runs: Cli[] = [];
    for (const args of commands) {
      const run = cli(args, FLEET_ENV);
      runs.push(run);
      run.child.stdout!.removeAllListeners('data').on('data', (chunk: Buffer) => (printed += chunk.toString()));
      expect(await run.exited, run.stderr.slice(-2000)).toBe(0);
    }
    const status = cli(['status', '--json', '--config', withState, '--out', out]);
    status.child.stdout!.removeAllListeners('data').on('data', (chunk: Buffer) => (printed += chunk.toString()));
    await status.exited;
    expect(printed).toContain('"stateFile": "postgresql://harvester:***@127.0.0.1');
    // The worker harvested into the config's database: the run after it found nothing new.
    expect(Number(cluster.psql('fromconfig', `SELECT count(*) FROM source_records WHERE source_id = 'h1b'`).trim())).toBe(feeds.get('h1b')!.records.length);
    const summaries = readdirSync(join(out, 'runs')).map((f) => readFileSync(join(out, 'runs', f), 'utf8'));
    expect(summaries.length).toBeGreaterThanOrEqual(2);
    for (const text of [printed, ...runs.map((r) => r.stderr), status.stderr, ...summaries]) expect(text).not.toContain('S3cretPassw0rd');
  }, 120_000);

  it('on SIGTERM, commits the page in hand, puts the job back for the next worker, and exits 143; status lists the jobs', async () => {
    const stateUrl = cluster.createDatabase('stopped');
    const out = tempDir();
    const enqueue = cli(['enqueue', '--config', config, '--state', stateUrl, '--source', 'h3b'], FLEET_ENV);
    expect(await enqueue.exited, enqueue.stderr).toBe(0);
    const server = servers[3]!;
    const asked = server.requests.length;
    const first = cli(['worker', '--config', config, '--out', out, '--state', stateUrl], FLEET_ENV);
    await until(() => pagesCommitted('h3b', 'stopped') >= 2, 30_000, 'two pages of h3b');
    first.child.kill('SIGTERM');
    expect(await first.exited, first.stderr.slice(-3000)).toBe(143);
    expect(first.lines.find((l) => l['msg'] === 'job finished')).toMatchObject({ source: 'h3b', status: 'interrupted' });
    const status = cli(['status', '--json', '--config', config, '--out', out, '--state', stateUrl]);
    let statusJson = '';
    status.child.stdout!.removeAllListeners('data').on('data', (chunk: Buffer) => (statusJson += chunk.toString()));
    await status.exited;
    const h3b = (JSON.parse(statusJson) as { sources: { source: string; jobs: unknown; health: string }[] }).sources.find((s) => s.source === 'h3b')!;
    expect(h3b).toMatchObject({ health: 'interrupted' });
    expect([{ queued: 0, retrying: 1, active: 0, failed: 0 }, { queued: 1, retrying: 0, active: 0, failed: 0 }]).toContainEqual(h3b.jobs);

    const second = cli(['worker', '--config', config, '--out', out, '--state', stateUrl, '--exit-when-idle'], FLEET_ENV);
    expect(await second.exited, second.stderr.slice(-3000)).toBe(0);
    expect(second.lines.find((l) => l['msg'] === 'job started')).toMatchObject({ source: 'h3b', attempt: 2 });
    const feed = feeds.get('h3b')!;
    expect(outputLines(out, 'h3b').map((l) => l.identifier).sort()).toEqual(feed.records.map((r) => feed.identifier(r.id)).sort());
    const firstRequests = server.requests.slice(asked).filter((r) => r.path === '/feed/b' && r.params['verb'] === 'ListRecords' && !r.params['resumptionToken']);
    expect(firstRequests).toHaveLength(1);
  }, 120_000);
});

describe('a worker whose job waits on the database', () => {
  it('keeps its job while a page commit waits on a lock for longer than the heartbeat: the queue beats in a thread of its own', async () => {
    const stateUrl = cluster.createDatabase('blocked');
    const out = tempDir();
    const enqueue = cli(['enqueue', '--config', config, '--state', stateUrl, '--source', 'h2a'], FLEET_ENV);
    expect(await enqueue.exited, enqueue.stderr).toBe(0);
    // Two workers: the second one would take the job if the first one's heartbeats stopped.
    const workers = [0, 1].map(() => cli(['worker', '--config', config, '--out', out, '--state', stateUrl, '--exit-when-idle'], FLEET_ENV));
    await until(() => pagesCommitted('h2a', 'blocked') >= 2, 30_000, 'two pages of h2a');
    // Writes to source_records wait for 16 s, more than the 10 s heartbeat: the job's next page commit blocks its thread as long.
    const holder = new pg.Client({ connectionString: stateUrl });
    await holder.connect();
    await holder.query('BEGIN');
    await holder.query('LOCK TABLE source_records IN EXCLUSIVE MODE');
    await new Promise((r) => setTimeout(r, 16_000));
    await holder.query('COMMIT');
    await holder.end();
    const codes = await Promise.all(workers.map((w) => w.exited));
    expect(codes, workers.map((w) => w.stderr.slice(-3000)).join('\n')).toEqual([0, 0]);
    const started = workers.flatMap((w) => w.lines).filter((l) => l['msg'] === 'job started');
    expect(started.map((l) => l['attempt'])).toEqual([1]);
    const feed = feeds.get('h2a')!;
    expect(Number(cluster.psql('blocked', `SELECT count(*) FROM source_records WHERE source_id = 'h2a'`).trim())).toBe(feed.records.filter((r) => !r.deleted).length);
    expect(cluster.psql('blocked', `SELECT state FROM pgboss.job WHERE data->>'sourceId' = 'h2a'`).trim()).toBe('completed');
  }, 120_000);
});

/** Pages committed so far by the running or finished harvests of a source, read from PostgreSQL. */
function pagesCommitted(sourceId: string, database = 'fleet'): number {
  // The job's run creates the tables when it opens the state: until then, nothing is committed.
  if (cluster.psql(database, `SELECT to_regclass('harvests') IS NOT NULL`).trim() !== 't') return 0;
  return Number(cluster.psql(database, `SELECT COALESCE(SUM(pages), 0) FROM harvests WHERE source_id = '${sourceId}'`).trim());
}
