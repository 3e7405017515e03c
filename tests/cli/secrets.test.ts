// Secrets in an API key (from the environment), a query parameter of the base URL and its
// userinfo: the run works with them, and no byte it writes holds any of them.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FixtureRepository } from '../support/fixture-repository.ts';
import { tempDir } from '../support/run.ts';

const MAIN = resolve(import.meta.dirname, '../../src/cli/bin.ts');
const FIXTURES = join(import.meta.dirname, '../formats/fixtures');
const PASSWORD = 'Pa55w0rd-s3cret';
const TOKEN = 'T0ken-s3cret-in-query';
const API_KEY = 'K3y-s3cret-counter';
const repositories: FixtureRepository[] = [];
afterAll(() => Promise.all(repositories.map((r) => r.stop())));

function run(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [MAIN, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

function everyFile(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).map((f) => join(dir, f)).filter((f) => statSync(f).isFile());
}

describe('secrets', () => {
  it('never appear in stdout, stderr, the output folder or the state database', async () => {
    const kent = new FixtureRepository();
    kent.set('oai:kar.kent.ac.uk:89524', '2023-02-10T14:05:11Z', { metadata: FixtureRepository.metadataOf(join(FIXTURES, 'kar-89524-oai_dc.xml')) });
    kent.requireAuthorization = `Basic ${Buffer.from(`harvester:${PASSWORD}`).toString('base64')}`;
    kent.busyTimes = 1;
    // The COUNTER server refuses the key and echoes the whole request URL in its exception.
    kent.routes.set('/r5/reports/ir', (url) => ({
      status: 401,
      body: JSON.stringify({ Code: 2020, Message: `APIKey Invalid for ${url.href}`, Data: `api_key=${url.searchParams.get('api_key')}` }),
    }));
    repositories.push(kent);
    const base = new URL(await kent.start());
    const dir = tempDir();
    const config = join(dir, 'sources.json');
    writeFileSync(config, JSON.stringify({
      sources: [{
        id: 'kar', baseUrl: `http://harvester:${PASSWORD}@${base.host}${base.pathname}?token=${TOKEN}`, minDelayMs: 0,
        retry: { maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 20, budgetMs: 5000 },
        stats: { type: 'counter', url: `http://${base.host}/r5`, release: '5', customerId: 'kent', apiKeyEnv: 'SECRET_TEST_KEY', months: 1 },
      }],
    }));
    const out = join(dir, 'out');
    const result = await run(['run', '--config', config, '--out', out], { SECRET_TEST_KEY: API_KEY });
    // The harvest worked with the credentials; the statistics failed on the key, as the server said.
    expect(kent.requests.filter((u) => u.searchParams.get('verb') === 'ListRecords').length).toBeGreaterThan(0);
    // A refused key is a configuration problem: exit 2.
    expect(result.code, result.stdout + result.stderr).toBe(2);
    expect(result.stdout + result.stderr).toContain('APIKey Invalid');
    expect(result.stderr).toContain('retrying request');
    const status = await run(['status', '--config', config, '--out', out], {});
    const written = [result.stdout, result.stderr, status.stdout, status.stderr, ...everyFile(out).map((f) => readFileSync(f).toString('latin1'))].join('\n');
    for (const secret of [PASSWORD, TOKEN, API_KEY, Buffer.from(`harvester:${PASSWORD}`).toString('base64')]) {
      const where = [['stdout', result.stdout], ['stderr', result.stderr], ['status', status.stdout + status.stderr], ...everyFile(out).map((f) => [f, readFileSync(f).toString('latin1')])]
        .filter(([, text]) => text!.includes(secret)).map(([name, text]) => `${name}: …${text!.slice(Math.max(0, text!.indexOf(secret) - 80), text!.indexOf(secret) + 40)}…`);
      expect(where, `${secret} was written`).toEqual([]);
    }
    expect(written).toContain('token=REDACTED');
  });
});
