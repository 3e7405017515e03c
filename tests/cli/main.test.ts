// main() called in this process, as bin.ts calls it: no child process needed to test the command line.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { VERSION } from '../../src/config/config.ts';
import { tempDir } from '../support/run.ts';

function captured(stream: NodeJS.WriteStream): () => string {
  const chunks: string[] = [];
  vi.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
    chunks.push(String(chunk));
    return true;
  });
  return () => chunks.join('');
}

afterEach(() => vi.restoreAllMocks());

describe('main', () => {
  it('prints the version and the usage, and exits 0', async () => {
    const stdout = captured(process.stdout);
    expect(await main(['--version'])).toBe(0);
    expect(await main(['--help'])).toBe(0);
    expect(stdout()).toMatch(new RegExp(`^${VERSION.replace(/\./g, '\\.')}\\nUsage: oai-harvester \\[options\\] \\[command\\]\\n`));
  });

  it('exits 2 with the reason on one line for an unknown command or a bad configuration', async () => {
    const stderr = captured(process.stderr);
    captured(process.stdout);
    expect(await main(['harvest-everything', '--log-level', 'error'])).toBe(2);
    expect(stderr()).toBe(`oai-harvester: unknown command 'harvest-everything' (see oai-harvester help)\n`);
    const config = join(tempDir(), 'sources.json');
    writeFileSync(config, JSON.stringify({ sources: [{ id: 'kar', baseUrl: 'ftp://kar.example/oai' }] }));
    expect(await main(['status', '--config', config, '--log-level', 'error'])).toBe(2);
    expect(stderr()).toContain(`oai-harvester: ${config}: source "kar" field "baseUrl": must be an http(s) URL\n`);
  });

  it('reports sources never harvested as a status of 1, reading no network and creating no database', async () => {
    const stdout = captured(process.stdout);
    const dir = tempDir();
    const config = join(dir, 'sources.json');
    writeFileSync(config, JSON.stringify({ sources: [{ id: 'kar', baseUrl: 'http://127.0.0.1:9/oai' }] }));
    expect(await main(['status', '--json', '--config', config, '--out', join(dir, 'out'), '--log-level', 'error'])).toBe(1);
    expect(JSON.parse(stdout()).sources[0]).toMatchObject({ source: 'kar', health: 'never harvested' });
  });
});
