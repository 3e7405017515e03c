import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SAMPLES } from '../support/oai-server.ts';
import { outputLines, tempDir } from '../support/run.ts';

const HERE = import.meta.dirname;
const MAIN = resolve(HERE, '../../src/cli/bin.ts');

// A KAR-shaped repository: EPrints' own Identify, the record as KAR's oai_dc would carry it,
// and its EP3 export, served as EPrints serves them (paths included).
let server: Server;
let base: string;
let exportRequests = 0;
beforeAll(async () => {
  const identify = readFileSync(join(SAMPLES, 'eprints-oai-identify-ecs-soton.xml'));
  const record = readFileSync(join(HERE, '../formats/fixtures/kar-89524-oai_dc.xml'), 'utf8')
    .replace(/<request [^>]*>[^<]*<\/request>/, '<request verb="ListRecords" metadataPrefix="oai_dc">https://kar.kent.ac.uk/cgi/oai2</request>')
    .replace(/GetRecord>/g, 'ListRecords>');
  const exported = readFileSync(join(HERE, '../formats/fixtures/kar-89524-ep3.xml'));
  server = createServer((req, res) => {
    const url = new URL(req.url!, 'http://x');
    if (url.pathname === '/cgi/export/eprint/89524/XML/eprint-89524.xml') {
      exportRequests++;
      return void res.writeHead(200, { 'content-type': 'application/vnd.eprints.data+xml' }).end(exported);
    }
    if (url.pathname !== '/cgi/oai2') return void res.writeHead(404).end();
    const verb = url.searchParams.get('verb');
    res.writeHead(200, { 'content-type': 'text/xml' }).end(verb === 'Identify' ? identify : record);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('the KAR paper, harvested and enriched through the command line', () => {
  it('gets its DOI, landing page, file, type and review from oai_dc, and deposit date, keywords and version from the export', async () => {
    const dir = tempDir();
    const config = join(dir, 'sources.json');
    // The export URL is derived from the OAI base URL, as it would be for KAR.
    writeFileSync(config, JSON.stringify({ sources: [{ id: 'kar', baseUrl: `${base}/cgi/oai2`, minDelayMs: 0, enrich: ['eprints-export'] }] }));
    const code = await new Promise<number | null>((done) => {
      const child = spawn(process.execPath, [MAIN, 'run', '--config', config, '--out', join(dir, 'out')], { stdio: 'ignore' });
      child.on('close', done);
    });
    expect(code).toBe(0);
    expect(exportRequests).toBe(1);
    const [line] = outputLines(join(dir, 'out'));
    expect(line).toMatchObject({ identifier: 'oai:kar.kent.ac.uk:89524', enrichment: { 'eprints-export': 'ok' } });
    const record = line!.record as Record<string, any>;
    expect(record).toMatchObject({
      doi: '10.3399/bjgp.2020.0917',
      landingPage: 'https://kar.kent.ac.uk/89524/',
      type: { label: 'journal article' },
      peerReviewed: true,
      formats: ['ep3', 'oai_dc'],
    });
    expect(record.files).toHaveLength(1);
    expect(record.files[0]).toMatchObject({ url: 'https://kar.kent.ac.uk/89524/1/BJGP.2020.0917.full.pdf', version: 'accepted' });
    expect(record.dates.deposited).toEqual({ value: '2021-07-30T08:45:18Z', field: 'ep3 datestamp' });
    expect(record.dates.modified).toEqual({ value: '2023-02-10T14:05:11Z', field: 'header datestamp' });
    expect(record.keywords).toHaveLength(5);
  });
});
