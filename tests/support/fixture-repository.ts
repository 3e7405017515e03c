// A small OAI-PMH repository built from captured metadata, whose records a test can change,
// delete and restore between runs. It answers every list with all its records, as a
// repository asked without from would; the harvester skips what it already holds.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SAMPLES } from './oai-server.ts';

export interface RepositoryRecord {
  identifier: string;
  datestamp: string;
  deleted: boolean;
  metadata: string;
}

export class FixtureRepository {
  records: RepositoryRecord[] = [];
  exports = new Map<string, Buffer>();
  /** Extra endpoints (statistics servers), by path. */
  routes = new Map<string, (url: URL) => { status: number; body: string }>();
  requests: URL[] = [];
  /** When set, every request must carry this Authorization header, else 401. */
  requireAuthorization: string | undefined;
  /** Answers the next N OAI requests with 503, so a retry (and its log line) happens. */
  busyTimes = 0;
  private server: Server | undefined;
  baseUrl = '';

  /** The <metadata> content of a captured response. */
  static metadataOf(file: string): string {
    const m = /<metadata>([\s\S]*?)<\/metadata>/.exec(readFileSync(file, 'utf8'));
    if (!m) throw new Error(`no metadata in ${file}`);
    return m[1]!;
  }

  set(identifier: string, datestamp: string, change: Partial<RepositoryRecord> = {}): void {
    const held = this.records.find((r) => r.identifier === identifier);
    if (held) Object.assign(held, change, { datestamp });
    else this.records.push({ identifier, datestamp, deleted: false, metadata: '', ...change });
  }

  async start(path = '/cgi/oai2'): Promise<string> {
    const identify = readFileSync(join(SAMPLES, 'eprints-oai-identify-ecs-soton.xml'));
    this.server = createServer((req, res) => {
      const url = new URL(req.url!, 'http://x');
      this.requests.push(url);
      if (this.requireAuthorization && req.headers.authorization !== this.requireAuthorization) {
        return void res.writeHead(401, { 'www-authenticate': 'Basic realm="oai"' }).end('unauthorised');
      }
      const route = this.routes.get(url.pathname);
      if (route) {
        const answer = route(url);
        return void res.writeHead(answer.status, { 'content-type': 'application/json' }).end(answer.body);
      }
      const exported = this.exports.get(url.pathname);
      if (exported) return void res.writeHead(200, { 'content-type': 'application/xml' }).end(exported);
      if (url.pathname !== path) return void res.writeHead(404).end();
      if (this.busyTimes > 0) {
        this.busyTimes--;
        return void res.writeHead(503, { 'retry-after': '0' }).end('busy');
      }
      if (url.searchParams.get('verb') === 'Identify') return void res.writeHead(200, { 'content-type': 'text/xml' }).end(identify);
      const records = this.records
        .map((r) =>
          r.deleted
            ? `<record><header status="deleted"><identifier>${r.identifier}</identifier><datestamp>${r.datestamp}</datestamp></header></record>`
            : `<record><header><identifier>${r.identifier}</identifier><datestamp>${r.datestamp}</datestamp></header><metadata>${r.metadata}</metadata></record>`,
        )
        .join('');
      res.writeHead(200, { 'content-type': 'text/xml' }).end(
        `<?xml version="1.0"?><OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><responseDate>${new Date().toISOString().replace(/\.\d+Z/, 'Z')}</responseDate>` +
          `<request>x</request><ListRecords>${records}</ListRecords></OAI-PMH>`,
      );
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.baseUrl = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}${path}`;
    return this.baseUrl;
  }

  stop(): Promise<void> {
    return new Promise((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}
