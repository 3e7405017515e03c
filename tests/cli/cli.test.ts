import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Feed } from '../support/feed.ts';
import { startOaiServer, type TestServer } from '../support/oai-server.ts';
import { outputLines, tempDir } from '../support/run.ts';

const MAIN = resolve(import.meta.dirname, '../../src/cli/bin.ts');

interface Result {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

function cli(args: string[], options: { killWhen?: () => boolean } = {}): Promise<Result> {
  return new Promise((done) => {
    const started = Date.now();
    const child = spawn(process.execPath, [MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const poll = options.killWhen
      ? setInterval(() => {
          if (options.killWhen!()) child.kill('SIGKILL');
        }, 2)
      : undefined;
    child.on('close', (code, signal) => {
      clearInterval(poll);
      done({ code, signal, stdout, stderr, ms: Date.now() - started });
    });
  });
}

/** A 2,000-record feed served 50 a page with a pause between requests, long enough to interrupt. */
async function slowHarvest(latencyMs = 0) {
  const N = 2000;
  server = await startOaiServer({ feeds: { kar: new Feed({ records: N, pageSize: 50, latencyMs }) } });
  const dir = tempDir();
  const config = writeConfig(dir, [{ id: 'kar', baseUrl: server.feedUrl('kar'), minDelayMs: 25 }]);
  const pagesServed = () => server!.requests.filter((r) => r.params['verb'] === 'ListRecords').length;
  return { N, out: join(dir, 'out'), config, pagesServed };
}

function writeConfig(dir: string, sources: Record<string, unknown>[]): string {
  const file = join(dir, 'sources.json');
  const retry = { maxAttempts: 3, maxContentAttempts: 2, baseDelayMs: 50, maxDelayMs: 200, maxRetryAfterMs: 1000, budgetMs: 1500 };
  writeFileSync(file, JSON.stringify({ sources: sources.map((s) => ({ minDelayMs: 0, retry, ...s })) }));
  return file;
}

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('oai-harvester command line', () => {
  it('exits 0 and prints a table when every source succeeds', async () => {
    server = await startOaiServer({ feeds: { kar: new Feed({ records: 150 }) } });
    const dir = tempDir();
    const config = writeConfig(dir, [{ id: 'kar', baseUrl: server.feedUrl('kar') }]);
    const result = await cli(['run', '--config', config, '--out', join(dir, 'out')]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^source\s+status\s+records/m);
    expect(result.stdout).toMatch(/^kar\s+ok\s+150\b/m);
    // JSON logs on stderr when it is not a terminal.
    const logs = result.stderr.trim().split('\n').map((l) => JSON.parse(l) as { msg: string; source?: string; time: number });
    const finished = logs.find((l) => l.msg === 'source finished' && l.source === 'kar');
    expect(finished).toBeDefined();
    // works/snapshot.json is stamped when works.jsonl was written: after the harvest, before the run's end.
    const run = JSON.parse(readFileSync(/^summary: (.+)$/m.exec(result.stdout)![1]!, 'utf8')) as { startedAt: string; finishedAt: string };
    const writtenAt = Date.parse(JSON.parse(readFileSync(join(dir, 'out', 'works', 'snapshot.json'), 'utf8')).writtenAt);
    expect(writtenAt).toBeGreaterThanOrEqual(finished!.time);
    expect(writtenAt).toBeLessThanOrEqual(Date.parse(run.finishedAt));
    expect(writtenAt).toBeGreaterThan(Date.parse(run.startedAt));

    // The next run finds nothing new: it changed no work, so works.jsonl and its manifest stay as they were.
    const manifest = readFileSync(join(dir, 'out', 'works', 'snapshot.json'), 'utf8');
    const works = statSync(join(dir, 'out', 'works.jsonl'));
    const again = await cli(['run', '--config', config, '--out', join(dir, 'out')]);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/^kar\s+ok\s+0\b/m);
    expect(readFileSync(join(dir, 'out', 'works', 'snapshot.json'), 'utf8')).toBe(manifest);
    expect(statSync(join(dir, 'out', 'works.jsonl'))).toMatchObject({ size: works.size, mtimeMs: works.mtimeMs });
  });

  it('exits 2 on usage and configuration errors, naming file, source and field', async () => {
    const dir = tempDir();
    expect((await cli(['frobnicate'])).code).toBe(2);
    expect((await cli(['run', '--from', 'yesterday', '--config', writeConfig(dir, [{ id: 'a', baseUrl: 'http://127.0.0.1:9/' }])])).code).toBe(2);
    const bad = writeConfig(dir, [{ id: 'kar', baseUrl: 'ftp://example.org/', minDelayMs: -1 }]);
    const result = await cli(['run', '--config', bad]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`${bad}: source "kar" field "baseUrl": must be an http(s) URL`);
    const unknownSource = await cli(['run', '--config', writeConfig(dir, [{ id: 'a', baseUrl: 'http://127.0.0.1:9/' }]), '--source', 'zzz']);
    expect(unknownSource.code).toBe(2);
    expect(unknownSource.stderr).toContain('no source with id "zzz"');
  });

  it('exits 2 when the configured format is not offered', async () => {
    server = await startOaiServer({ feeds: { kar: new Feed({ records: 5 }) } });
    const dir = tempDir();
    const config = writeConfig(dir, [{ id: 'kar', baseUrl: server.feedUrl('kar'), metadataPrefix: 'rioxx' }]);
    const result = await cli(['run', '--config', config, '--out', join(dir, 'out')]);
    expect(result.code).toBe(2);
    expect(result.stdout).toContain('kar: OAI-PMH error cannotDisseminateFormat');
    expect(result.stdout).toContain('the server offers: oai_dc');
  });

  it('exits 1 within the retry budget when the server is down, then carries on from the last committed page', async () => {
    const feed = new Feed({ records: 350, faults: { html200: { page: 2, times: 99 } } });
    server = await startOaiServer({ feeds: { kar: feed } });
    const port = Number(new URL(server.url).port);
    const dir = tempDir();
    const out = join(dir, 'out');
    const config = writeConfig(dir, [{ id: 'kar', baseUrl: server.feedUrl('kar') }, { id: 'other', baseUrl: `http://127.0.0.1:${port}/feed/none` }]);

    const partial = await cli(['run', '--config', config, '--out', out, '--source', 'kar']);
    expect(partial.code).toBe(1);
    expect(outputLines(out)).toHaveLength(200);

    await server.close();
    const down = await cli(['run', '--config', config, '--out', out]);
    expect(down.code).toBe(1);
    // Budget 1.5 s per source; both sources are tried, in parallel.
    expect(down.ms).toBeLessThan(8_000);
    const reasons = down.stdout.split('\n').filter((l) => /^(kar|other): /.test(l));
    expect(reasons).toHaveLength(2);
    expect(reasons[0]).toMatch(/^kar: .*ECONNREFUSED.* \[Identify http:\/\/127\.0\.0\.1:\d+\/feed\/kar\?verb=Identify\]$/);

    feed.faults.html200 = undefined;
    server = await startOaiServer({ feeds: { kar: feed }, port });
    const resumed = await cli(['run', '--config', config, '--out', out, '--source', 'kar']);
    expect(resumed.code).toBe(0);
    const first = server.requests.find((r) => r.params['verb'] === 'ListRecords')!;
    expect(first.params['resumptionToken']).toBeDefined();
    const ids = outputLines(out).map((l) => l.identifier);
    expect(ids).toHaveLength(350);
    expect(new Set(ids).size).toBe(350);
  });

  it('inspects a repository: identify, formats, and sets with EPrints setSpecs decoded', async () => {
    server = await startOaiServer({ feeds: { kar: new Feed({ formats: ['oai_dc', 'rioxx'] }) } });
    const identify = await cli(['identify', server.feedUrl('kar')]);
    expect(identify.code).toBe(0);
    expect(JSON.parse(identify.stdout)).toMatchObject({ repositoryName: 'Test feed', granularity: 'YYYY-MM-DDThh:mm:ssZ', deletedRecord: 'persistent' });
    const formats = await cli(['formats', server.feedUrl('kar')]);
    expect(formats.stdout.split('\n').filter(Boolean).map((l) => l.split('\t')[0])).toEqual(['oai_dc', 'rioxx']);
    const sets = await cli(['sets', server.feedUrl('kar')]);
    expect(sets.stdout).toContain('7374617475733D707562\tstatus=pub\tStatus = Published');
    expect(sets.stdout).toContain('driver\t\tOpen access');
    const down = await cli(['identify', 'http://127.0.0.1:9/oai']);
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/^oai-harvester identify: .*ECONNREFUSED.*\[Identify http:\/\/127\.0\.0\.1:9\/oai\?verb=Identify\]/m);
  }, 60_000);

  it.each([
    ['a 503 storm with Retry-After', { status503: { times: 2, retryAfter: 'date' as const } }, 0, 350, undefined],
    ['a connection reset mid-body', { resetMidBody: { page: 1, times: 1 } }, 0, 350, undefined],
    ['truncated XML once', { truncated: { page: 2, times: 1 } }, 0, 350, undefined],
    ['a refused token', { badResumptionToken: { page: 3, times: 2 } }, 0, 350, undefined],
    ['undeclared gzip', { gzipUndeclared: true }, 0, 350, undefined],
    ['control characters', { controlChars: true }, 0, 350, undefined],
    ['503 on every try', { status503: { times: 999, retryAfter: 'none' as const } }, 1, 0, /^kar: HTTP 503: <html><body>Service Unavailable.* \[Identify /],
    ['a reset on every try', { resetMidBody: { page: 1, times: 999 } }, 1, 100, /request failed|reading the body failed|cut off/],
    ['truncated XML on every try', { truncated: { page: 2, times: 999 } }, 1, 200, /the XML is truncated/],
    ['an HTML page with status 200', { html200: { page: 1, times: 999 } }, 1, 100, /not OAI-PMH XML: "<!DOCTYPE html><html><head><title>Maintenance/],
    ['a token loop', { tokenLoop: { page: 2 } }, 1, 300, /repeated resumptionToken/],
    ['403 Forbidden', { forbidden: true }, 1, 0, /HTTP 403/],
  ])('on %s: exit %i, every record once', async (_name, faults, exitCode, expected, reason) => {
    server = await startOaiServer({ feeds: { kar: new Feed({ records: 350, faults }) } });
    const dir = tempDir();
    const file = join(dir, 'sources.json');
    // Budget above two HTTP-date waits (one-second resolution, so up to ~1.75 s each).
    const retry = { maxAttempts: 4, maxContentAttempts: 2, baseDelayMs: 50, maxDelayMs: 200, maxRetryAfterMs: 2000, budgetMs: 6000 };
    writeFileSync(file, JSON.stringify({ sources: [{ id: 'kar', baseUrl: server.feedUrl('kar'), minDelayMs: 0, retry }] }));
    const result = await cli(['run', '--config', file, '--out', join(dir, 'out')]);
    expect(result.code).toBe(exitCode);
    const ids = outputLines(join(dir, 'out')).map((l) => l.identifier);
    expect(ids).toHaveLength(expected);
    expect(new Set(ids).size).toBe(ids.length);
    if (reason) expect(result.stdout.split('\n').find((l) => l.startsWith('kar: '))).toMatch(reason);
  }, 30_000);

  it('lets one run harvest a source at a time, and takes over the lock of a run killed with -9', async () => {
    // Every page takes 150 ms: a second process (about two seconds to start on a loaded
    // machine) finds the first still at work, as its 40 pages take 6 s.
    const { N, out, config, pagesServed } = await slowHarvest(150);

    // A harvests; B, started while A holds the lock, is turned away at once.
    const a = spawn(process.execPath, [MAIN, 'run', '--config', config, '--out', out], { stdio: 'ignore' });
    const aDone = new Promise<NodeJS.Signals | null>((done) => a.on('close', (_code, signal) => done(signal)));
    while (pagesServed() < 3) await new Promise((r) => setTimeout(r, 10));
    const b = await cli(['run', '--config', config, '--out', out]);
    expect(b.code).toBe(3);
    expect(b.stdout).toMatch(new RegExp(`^kar: source "kar" is being harvested by process ${a.pid} on .+ since .+; skipped$`, 'm'));
    // Turned away, not made to wait: A is still harvesting. B, which did nothing, wrote nothing.
    expect(a.exitCode).toBeNull();
    expect(existsSync(join(out, 'works.jsonl'))).toBe(false);
    expect(existsSync(join(out, 'tables'))).toBe(false);

    a.kill('SIGKILL');
    expect(await aDone).toBe('SIGKILL');
    const c = await cli(['run', '--config', config, '--out', out]);
    expect(c.code).toBe(0);
    expect(c.stderr).toContain('took over a lock left by a process that is gone');
    const ids = outputLines(out).map((l) => l.identifier);
    expect(ids).toHaveLength(N);
    expect(new Set(ids).size).toBe(N);
  }, 60_000);

  it('on SIGTERM finishes the page in hand, commits it, releases the lock and exits 143; the next run resumes', async () => {
    const { N, out, config, pagesServed } = await slowHarvest();
    const child = spawn(process.execPath, [MAIN, 'run', '--config', config, '--out', out], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((done) => child.on('close', (code) => done(code)));
    while (pagesServed() < 5) await new Promise((r) => setTimeout(r, 10));
    child.kill('SIGTERM');
    expect(await exited).toBe(143);
    expect(stderr).toContain('stopping after the current page');
    // The stop lands while a page is in hand (committed, then the run stops) or while the next one is on its way (abandoned).
    expect(stdout).toMatch(/^kar: stopped (after committing page \d+|before this request was answered); the next run resumes here/m);
    // Interrupted, not failed: in the run table and the run summary alike.
    expect(stdout).toMatch(/^kar\s+interrupted\s/m);
    const runsDir = join(out, 'runs');
    const [summaryFile] = readdirSync(runsDir);
    expect(JSON.parse(readFileSync(join(runsDir, summaryFile!), 'utf8')).sources[0]).toMatchObject({ source: 'kar', status: 'interrupted' });
    const written = outputLines(out).length;
    expect(written % 50).toBe(0);
    expect(written).toBeGreaterThan(0);
    expect(written).toBeLessThan(N);
    expect(existsSync(join(out, 'locks', 'kar.lock'))).toBe(false);

    const resumed = await cli(['run', '--config', config, '--out', out]);
    expect(resumed.code).toBe(0);
    const ids = outputLines(out).map((l) => l.identifier);
    expect(ids).toHaveLength(N);
    expect(new Set(ids).size).toBe(N);
  }, 60_000);

  it('on SIGTERM while waiting to retry a failing server, stops at once with 143 and counts no failure', async () => {
    server = await startOaiServer({ feeds: { kar: new Feed({ records: 10, faults: { status503: { times: 1000, retryAfter: 'none' } } }) } });
    const dir = tempDir();
    const out = join(dir, 'out');
    const retry = { maxAttempts: 50, maxContentAttempts: 2, baseDelayMs: 5000, maxDelayMs: 5000, maxRetryAfterMs: 5000, budgetMs: 600_000 };
    const config = writeConfig(dir, [{ id: 'kar', baseUrl: server.feedUrl('kar'), retry }]);
    const child = spawn(process.execPath, [MAIN, 'run', '--config', config, '--out', out], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((done) => child.on('close', (code) => done(code)));
    // Signalled once the client says it is waiting out its 5 s backoff.
    while (!stderr.includes('retrying request')) await new Promise((r) => setTimeout(r, 10));
    child.kill('SIGTERM');
    expect(await exited).toBe(143);
    // Not after the backoff, nor the 10-minute budget: the retry was never sent.
    expect(server.requests).toHaveLength(1);
    expect(stdout).toMatch(/^kar: stopped while waiting to retry \(last failure: HTTP 503/m);
    const status = await cli(['status', '--json', '--config', config, '--out', out]);
    const kar = JSON.parse(status.stdout).sources[0];
    // Never finished, but not failing nor stale: interrupted, and the next run resumes it.
    expect(kar).toMatchObject({ health: 'interrupted', consecutiveFailures: 0, lastRun: { status: 'interrupted' }, lastFailure: null });
  }, 30_000);

  it('after kill -9 in the middle of a harvest, a rerun gives exactly the N records, none twice', async () => {
    const N = 3000;
    // Every page takes 150 ms: a run started while this one harvests (a second process, about
  // two seconds to start on a loaded machine) finds it still at work, 40 pages take 6 s.
  server = await startOaiServer({ feeds: { kar: new Feed({ records: N, pageSize: 50, latencyMs: 150 }) } });
    const dir = tempDir();
    const out = join(dir, 'out');
    const config = writeConfig(dir, [{ id: 'kar', baseUrl: server.feedUrl('kar'), minDelayMs: 15 }]);
    const pagesServed = () => server!.requests.filter((r) => r.params['verb'] === 'ListRecords').length;

    // Kill at two different points; each time some pages are committed and one may be half-written.
    for (const afterPages of [7, 31]) {
      const before = pagesServed();
      const killed = await cli(['run', '--config', config, '--out', out], { killWhen: () => pagesServed() - before >= afterPages });
      if (killed.signal !== 'SIGKILL') {
        throw new Error(`expected the harvest to be killed; it ended with ${killed.code}: ${killed.stderr.slice(-500)}`);
      }
    }
    const partial = outputLines(out).length;
    expect(partial).toBeGreaterThan(0);
    expect(partial).toBeLessThan(N);

    const finished = await cli(['run', '--config', config, '--out', out]);
    expect(finished.code).toBe(0);
    const ids = outputLines(out).map((l) => l.identifier);
    expect(ids).toHaveLength(N);
    expect(new Set(ids).size).toBe(N);
    // Works recomputed by the killed runs are reported by the run that finished: each live work added once.
    const changeDir = join(out, 'works', 'changes');
    const changes = readdirSync(changeDir).flatMap((f) => readFileSync(join(changeDir, f), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { change: string; id: string }));
    const live = outputLines(out).filter((l) => !l.deleted).length;
    expect(changes.filter((c) => c.change === 'added')).toHaveLength(live);
    expect(new Set(changes.map((c) => c.id)).size).toBe(live);
    expect(readFileSync(join(out, 'works.jsonl'), 'utf8').trim().split('\n')).toHaveLength(live);
  }, 60_000);
});
