// The command line as a person meets it: through the real process, one line per problem.
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { nodeVersionProblem } from '../../src/cli/program.ts';
import { tempDir } from '../support/run.ts';

const MAIN = resolve(import.meta.dirname, '../../src/cli/bin.ts');
const cli = (args: string[], bin = process.execPath, main = MAIN) =>
  new Promise<{ code: number; stdout: string; stderr: string }>((done) =>
    execFile(bin, [main, ...args], (error, stdout, stderr) => done({ code: error ? Number(error.code) : 0, stdout, stderr })));

describe('the command line', () => {
  it('gives each command its own help, with help <command> and <command> --help', async () => {
    const viaHelp = await cli(['help', 'run']);
    const viaFlag = await cli(['run', '--help']);
    expect(viaHelp).toMatchObject({ code: 0 });
    expect(viaFlag.stdout).toBe(viaHelp.stdout);
    expect(viaHelp.stdout).toMatch(/^Usage: oai-harvester run \[options\]/);
    expect(viaHelp.stdout).toContain('--source <id>');
    const audit = await cli(['audit', '--help']);
    expect(audit.stdout.replace(/\s+/g, " ")).toContain(`--rule <rule> REF rule (choices: "ref2021", "ref2029", default: "ref2021")`);
    expect(audit.stdout).not.toContain('--full');
    expect((await cli(['works', 'export', '--help'])).stdout).toContain('--format <format>');
    expect((await cli(['works', 'help', 'export'])).stdout).toContain('--format <format>');
  });

  it('suggests the option meant, and refuses options a command does not take, each on one line with exit 2', async () => {
    const typo = await cli(['run', '--souce', 'kar']);
    expect(typo).toEqual({ code: 2, stdout: '', stderr: "oai-harvester: unknown option '--souce' (Did you mean --source?) (see oai-harvester help)\n" });
    for (const args of [['audit', '--until', '2024-01-01'], ['status', '--full'], ['run', '--log-level', 'verbose'], ['frobnicate'], ['works', 'list']]) {
      const result = await cli(args);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr.split('\n').filter(Boolean), args.join(' ')).toHaveLength(1);
      expect(result.stderr, args.join(' ')).toMatch(/^oai-harvester: /);
    }
    expect((await cli(['frobnicat'])).stderr).toContain('unknown command');
  });

  it('refuses a date range that ends before it starts, before any request', async () => {
    const dir = tempDir();
    const config = join(dir, 'sources.json');
    // Port 9 (discard) is closed: a request would fail with exit 1, not 2.
    writeFileSync(config, JSON.stringify({ sources: [{ id: 'a', baseUrl: 'http://127.0.0.1:9/oai' }] }));
    expect(await cli(['run', '--config', config, '--out', join(dir, 'out'), '--from', '2024-05-02', '--until', '2024-05-01'])).toMatchObject({
      code: 2, stderr: 'oai-harvester: --from 2024-05-02 is after --until 2024-05-01\n',
    });
    expect(existsSync(join(dir, 'out'))).toBe(false);
  });

  it('names an output folder it cannot write to, in one line with exit 2, instead of a stack trace', async () => {
    const dir = tempDir();
    const file = join(dir, 'a-file');
    writeFileSync(file, '');
    const config = join(dir, 'sources.json');
    writeFileSync(config, JSON.stringify({ sources: [{ id: 'a', baseUrl: 'http://127.0.0.1:9/oai' }] }));
    const result = await cli(['run', '--config', config, '--out', join(file, 'out')]);
    expect(result).toMatchObject({ code: 2, stderr: `oai-harvester: cannot write to ${join(file, 'out')}: ENOTDIR not a directory, mkdir '${join(file, 'out')}'\n` });
  });

  it('fails a source whose host cannot be reached after two tries, within 15 s with the default retries, not after the whole budget', async () => {
    const dir = tempDir();
    const config = join(dir, 'sources.json');
    // The shipped defaults: six attempts and a 15-minute budget for a host that answered once.
    writeFileSync(config, JSON.stringify({ sources: [{ id: 'closed', baseUrl: 'http://127.0.0.1:9/oai' }] }));
    const started = Date.now();
    const result = await cli(['run', '--config', config, '--out', join(dir, 'out'), '--log-level', 'warn']);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^closed: .*ECONNREFUSED/m);
    const retries = result.stderr.trim().split('\n').map((l) => JSON.parse(l) as { msg: string; attempt?: number }).filter((l) => l.msg === 'retrying request');
    expect(retries.map((r) => r.attempt)).toEqual([1]);
    // It harvested nothing: no empty works.jsonl, no tables.
    expect(existsSync(join(dir, 'out', 'works.jsonl'))).toBe(false);
    expect(existsSync(join(dir, 'out', 'tables'))).toBe(false);
  }, 30_000);

  it('fails a source that takes the connection and never answers within 3 minutes with the defaults, saying what it waits for at least once a minute', async () => {
    const sockets: Socket[] = [];
    const silent = createServer((socket) => sockets.push(socket.on('error', () => {})));
    await new Promise<void>((ready) => silent.listen(0, '127.0.0.1', ready));
    const { port } = silent.address() as AddressInfo;
    const dir = tempDir();
    const config = join(dir, 'sources.json');
    writeFileSync(config, JSON.stringify({ sources: [{ id: 'hung', baseUrl: `http://127.0.0.1:${port}/oai` }] }));
    const started = Date.now();
    try {
      const result = await cli(['run', '--config', config, '--out', join(dir, 'out')]);
      const elapsed = Date.now() - started;
      expect(elapsed).toBeLessThan(180_000);
      expect(result.code).toBe(1);
      expect(result.stdout).toMatch(/^hung: the server took the connection but sent no answer within 60 s \(readTimeoutMs\) \[Identify http:\/\/127\.0\.0\.1:\d+\/oai\?verb=Identify\]$/m);
      const logs = result.stderr.trim().split('\n').map((l) => JSON.parse(l) as { msg: string; time: number; source?: string; verb?: string; url?: string; givesUpAt?: string; retryAt?: string });
      const told = logs.filter((l) => l.msg === 'waiting for an answer' || l.msg === 'retrying request');
      // Every gap without a word, from the start to the failure, is under a minute.
      const times = [started, ...told.map((l) => l.time), started + elapsed];
      expect(Math.max(...times.slice(1).map((t, i) => t - times[i]!))).toBeLessThan(60_000);
      for (const line of told) expect(line).toMatchObject({ source: 'hung', verb: 'Identify', url: expect.stringContaining(`127.0.0.1:${port}/oai?verb=Identify`) });
      expect(told.find((l) => l.msg === 'waiting for an answer')!.givesUpAt).toMatch(/^\d{4}-\d\d-\d\dT/);
      expect(told.filter((l) => l.msg === 'retrying request')).toHaveLength(1);
    } finally {
      for (const socket of sockets) socket.destroy();
      silent.close();
    }
  }, 200_000);

  it('says which Node.js it needs, and how to get it, on an older one', async () => {
    expect(nodeVersionProblem('v24.11.0')).toBeUndefined();
    expect(nodeVersionProblem('v20.20.2')).toBe(
      'oai-harvester: needs Node.js 24 or later, and this is v20.20.2; install Node.js 24 LTS, or run .ci/node24 in the project to fetch it (then put its bin folder first on PATH)\n',
    );
    // The built program under the machine's own Node.js, where that is an older one (Debian's).
    const built = resolve(import.meta.dirname, '../../dist/cli/bin.js');
    const system = '/usr/bin/node';
    if (!existsSync(built) || !existsSync(system)) return;
    const version = execFileSync(system, ['--version'], { encoding: 'utf8' }).trim();
    if (!nodeVersionProblem(version)) return;
    expect(await cli(['run'], system, built)).toEqual({ code: 2, stdout: '', stderr: nodeVersionProblem(version) });
  });
});
