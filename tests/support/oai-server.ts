// A real HTTP server on 127.0.0.1 for tests and benchmarks. It serves every captured
// response in ../shared/fixtures as it was recorded, and generated feeds (feed.ts).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { deflateRawSync, deflateSync, gzipSync } from 'node:zlib';
import type { AddressInfo } from 'node:net';
import { decodeToken, encodeToken, escapeXml, Feed, stamp } from './feed.ts';

export const FIXTURES = resolve(import.meta.dirname, '../../../shared/fixtures');
export const SAMPLES = resolve(import.meta.dirname, '../../../shared/samples');

export interface LoggedRequest {
  path: string;
  params: Record<string, string>;
  at: number;
  /** When the response was handed to the network (undefined while in flight, or if cut off). */
  end?: number;
  host: string;
}

export interface TestServer {
  url: string;
  /** The base URL of a generated feed mounted at /feed/<name>. */
  feedUrl(name: string): string;
  fixtureUrl(relativePath: string): string;
  requests: LoggedRequest[];
  /** The most requests this server was answering at one moment (from arrival until the response is done or cut off). */
  maxInFlight(): number;
  close(): Promise<void>;
}

export interface ServerOptions {
  feeds?: Record<string, Feed>;
  /** Multi-page captured lists: each file's token leads to the next file. */
  sequences?: Record<string, string[]>;
  /** Serve /fixtures from a directory other than ../shared/fixtures. */
  fixtureRoot?: string;
  /** Listen on this port (to bring a "down" server back at the same URL). */
  port?: number;
  /** Listen on this loopback address (127.0.0.2 …: another host on the same machine). */
  address?: string;
}

export async function startOaiServer(options: ServerOptions = {}): Promise<TestServer> {
  const requests: LoggedRequest[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const feeds = options.feeds ?? {};
  const server: Server = createServer((req, res) => {
    try {
      handle(req, res);
    } catch (error) {
      res.writeHead(599).end(String(error));
    }
  });

  function handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const params = Object.fromEntries(url.searchParams);
    const logged: LoggedRequest = { path: url.pathname, params, at: Date.now(), host: req.headers.host ?? '' };
    requests.push(logged);
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    res.once('finish', () => (logged.end = Date.now()));
    res.once('close', () => inFlight--);
    const [, kind, ...rest] = url.pathname.split('/');
    if (kind === 'fixtures') return serveFixture(res, join(options.fixtureRoot ?? FIXTURES, ...rest));
    if (kind === 'seq') return serveSequence(res, rest.join('/'), params);
    if (kind === 'feed') {
      const feed = feeds[rest[0] ?? ''];
      if (feed && rest[1] === 'export') return serveExport(res, feed, Number(rest[2]));
      if (feed && rest[1] === 'exportview' && rest[2] === 'year') return serveExportView(res, feed, rest[3] ?? '');
      if (feed) return serveFeed(req, res, feed, params);
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
  }

  function serveFixture(res: ServerResponse, file: string): void {
    const body = readFileSync(file);
    const status = /http(\d{3})/.exec(file)?.[1];
    res.writeHead(status ? Number(status) : 200, { 'content-type': file.includes('html') ? 'text/html' : 'text/xml; charset=utf-8' }).end(body);
  }

  /** /feed/<name>/export/<id>: the record's EPrints EP3 XML export. */
  function serveExport(res: ServerResponse, feed: Feed, id: number): void {
    const record = feed.records.find((r) => r.id === id);
    const status = feed.faults.exportStatus?.[id] ?? (record && !record.deleted ? 200 : 404);
    if (status !== 200) return void res.writeHead(status, { 'content-type': 'text/html' }).end(`<html><body>${status}</body></html>`);
    res.writeHead(200, { 'content-type': 'application/vnd.eprints.data+xml; charset=utf-8' })
      .end(`<?xml version='1.0' encoding='utf-8'?>\n<eprints xmlns='http://eprints.org/ep2/data/2.0'>\n${eprintXml(feed, record!)}</eprints>\n`);
  }

  /** /feed/<name>/exportview/year/<year>/XML/<file>: every live record of that year in one EP3 XML export. */
  function serveExportView(res: ServerResponse, feed: Feed, year: string): void {
    if (feed.faults.noExportViews) return void res.writeHead(404, { 'content-type': 'text/html' }).end('<html><body>Not Found</body></html>');
    const items = feed.records.filter((r) => !r.deleted && feed.dateOf(r.id)?.startsWith(year)).map((r) => eprintXml(feed, r));
    res.writeHead(200, { 'content-type': 'application/vnd.eprints.data+xml; charset=utf-8' })
      .end(`<?xml version='1.0' encoding='utf-8'?>\n<eprints xmlns='http://eprints.org/ep2/data/2.0'>\n${items.join('')}</eprints>\n`);
  }

  function serveSequence(res: ServerResponse, name: string, params: Record<string, string>): void {
    const files = options.sequences?.[name];
    if (!files) return void res.writeHead(404).end();
    const texts = files.map((f) => readFileSync(join(FIXTURES, f), 'utf8'));
    let index = 0;
    if (params['resumptionToken'] !== undefined) {
      index = texts.findIndex((t) => tokenIn(t) === params['resumptionToken']) + 1;
      if (index === 0 || index >= texts.length) {
        return void res.writeHead(200, { 'content-type': 'text/xml' }).end(errorDoc('badResumptionToken', 'unknown token'));
      }
    }
    res.writeHead(200, { 'content-type': 'text/xml' }).end(texts[index]);
  }

  function serveFeed(req: IncomingMessage, res: ServerResponse, feed: Feed, params: Record<string, string>): void {
    const f = feed.faults;
    const send = (status: number, body: string, headers: Record<string, string> = {}): void => {
      let payload: Buffer = Buffer.from(body, 'utf8');
      if (f.gzipUndeclared) payload = gzipSync(payload);
      if (f.deflate) {
        payload = f.deflate === 'zlib' ? deflateSync(payload) : deflateRawSync(payload);
        headers = { ...headers, 'content-encoding': 'deflate' };
      }
      const write = () => res.writeHead(status, { 'content-type': 'text/xml; charset=utf-8', 'content-length': String(payload.length), ...headers }).end(payload);
      if (feed.latencyMs > 0) setTimeout(write, feed.latencyMs);
      else write();
    };
    if (f.forbidden) return send(403, '<html><body>Forbidden</body></html>');
    if (f.hugeErrorBody && params['verb'] === 'ListRecords') {
      res.writeHead(f.hugeErrorBody.status, { 'content-type': 'text/html', 'content-length': String(f.hugeErrorBody.bytes) });
      const chunk = Buffer.alloc(1 << 20, 'e');
      let left = f.hugeErrorBody.bytes;
      const pump = (): void => {
        while (left > 0) {
          const n = Math.min(left, chunk.length);
          left -= n;
          if (!res.write(n === chunk.length ? chunk : chunk.subarray(0, n))) return void res.once('drain', pump);
        }
        res.end();
      };
      res.on('error', () => {});
      return pump();
    }
    if (f.status503 && f.status503.times > 0) {
      f.status503.times--;
      const form = f.status503.retryAfter ?? 'seconds';
      const headers: Record<string, string> =
        form === 'seconds' ? { 'retry-after': '1' } : form === 'date' ? { 'retry-after': new Date(Date.now() + 2000).toUTCString() } : {}; // HTTP-dates have one-second resolution: this waits 1 to 2 s.
      return send(503, '<html><body>Service Unavailable</body></html>', headers);
    }
    if (f.status429 && f.status429.times > 0) {
      f.status429.times--;
      return send(429, 'Too Many Requests', { 'retry-after': '1' });
    }
    const respond = (inner: string) => envelope(feed, params, inner);
    const verb = params['verb'];
    switch (verb) {
      case 'Identify':
        return send(200, respond(`<Identify><repositoryName>Test feed</repositoryName><baseURL>http://${req.headers.host}${req.url?.split('?')[0]}</baseURL>
<protocolVersion>2.0</protocolVersion><adminEmail>admin@test.example</adminEmail><earliestDatestamp>2021-01-01T00:00:00Z</earliestDatestamp>
<deletedRecord>persistent</deletedRecord><granularity>${feed.granularity}</granularity></Identify>`));
      case 'ListMetadataFormats':
        return send(200, respond(`<ListMetadataFormats>${feed.formats.map((p) => `<metadataFormat><metadataPrefix>${p}</metadataPrefix><schema>http://example.org/${p}.xsd</schema><metadataNamespace>http://example.org/${p}/</metadataNamespace></metadataFormat>`).join('')}</ListMetadataFormats>`));
      case 'ListSets':
        return send(200, respond(`<ListSets><set><setSpec>7374617475733D707562</setSpec><setName>Status = Published</setName></set><set><setSpec>driver</setSpec><setName>Open access</setName></set></ListSets>`));
      case 'ListRecords':
      case 'ListIdentifiers': {
        let args: Record<string, string>;
        if (params['resumptionToken'] !== undefined) {
          const decoded = decodeToken(params['resumptionToken']);
          if (!decoded) return send(200, errorDoc('badResumptionToken', `bad token ${params['resumptionToken']}`));
          args = decoded;
        } else {
          if (!params['metadataPrefix']) return send(200, errorDoc('badArgument', 'metadataPrefix is required'));
          if (!feed.formats.includes(params['metadataPrefix'])) {
            return send(200, errorDoc('cannotDisseminateFormat', `Record not available as metadata type: '${params['metadataPrefix']}'`));
          }
          for (const key of ['from', 'until'] as const) {
            const value = params[key];
            if (value !== undefined && !(feed.granularity === 'YYYY-MM-DD' ? /^\d{4}-\d{2}-\d{2}$/ : /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2}Z)?$/).test(value)) {
              return send(200, errorDoc('badArgument', `bad ${key} ${value}`));
            }
          }
          if (f.refuseSeconds && [params['from'], params['until']].some((v) => v !== undefined && v.length > 10)) {
            return send(200, errorDoc('badArgument', 'Illegal date: seconds are not supported'));
          }
          if (params['from'] && params['until'] && params['from'].length !== params['until'].length) {
            return send(200, errorDoc('badArgument', 'from and until dates have different granularity'));
          }
          args = { metadataPrefix: params['metadataPrefix'], offset: '0' };
          if (params['from']) args['from'] = params['from'];
          if (params['until']) args['until'] = params['until'];
        }
        const matching = feed.matching(args['from'], args['until']);
        const offset = Number(args['offset']);
        const page = Math.floor(offset / feed.pageSize);
        if (f.badResumptionToken && f.badResumptionToken.page === page && params['resumptionToken'] && f.badResumptionToken.times > 0) {
          f.badResumptionToken.times--;
          return send(200, errorDoc('badResumptionToken', 'The resumptionToken has expired'));
        }
        if (f.html200 && f.html200.page === page && f.html200.times > 0) {
          f.html200.times--;
          res.writeHead(200, { 'content-type': 'text/html' }).end('<!DOCTYPE html><html><head><title>Maintenance</title></head><body><h1>Down for maintenance</h1></body></html>');
          return;
        }
        if (matching.length === 0) return send(200, errorDoc('noRecordsMatch', 'No items match. None. None at all. Not even deleted ones.'));
        const empty = f.emptyPagesFrom !== undefined && page >= f.emptyPagesFrom;
        const looping = f.disguisedLoop !== undefined && page >= f.disguisedLoop.page;
        const from = looping ? f.disguisedLoop!.page * feed.pageSize : offset;
        let slice = empty ? [] : matching.slice(from, from + feed.pageSize);
        if (f.olderVersionAfter?.page === page) {
          const current = slice.find((r) => r.id === f.olderVersionAfter!.id);
          if (current) slice = [...slice, { ...current, datestamp: '2001-01-01T00:00:00Z', title: `${current.title} (old)` }];
        }
        const nextOffset = empty ? offset + 1 : offset + feed.pageSize;
        let token = '';
        if (nextOffset < matching.length || empty || looping) {
          const next = { ...args, offset: String(nextOffset) };
          if (f.tokenLoop && f.tokenLoop.page === page) next.offset = String(Math.max(0, offset - feed.pageSize));
          token = encodeToken(next);
        }
        const prefix = args['metadataPrefix'] ?? 'oai_dc';
        const items = slice.map((r) => (verb === 'ListRecords' ? recordXml(feed, r, prefix) : headerXml(feed, r))).join('\n');
        const tokenXml = nextOffset < matching.length || empty || looping
          ? `<resumptionToken completeListSize="${matching.length}" cursor="${offset}">${token}</resumptionToken>`
          : `<resumptionToken completeListSize="${matching.length}" cursor="${offset}"/>`;
        const beside = f.errorBesideRecords?.page === page && f.errorBesideRecords.times > 0;
        if (beside) f.errorBesideRecords!.times--;
        let body = respond(`${beside ? '<error code="noRecordsMatch">No more records</error>\n' : ''}<${verb}>\n${items}\n${tokenXml}</${verb}>`);
        if (f.trickle?.page === page) {
          const payload = Buffer.from(body, 'utf8');
          res.writeHead(200, { 'content-type': 'text/xml' });
          let at = 0;
          const drip = setInterval(() => {
            if (res.destroyed || at >= payload.length) return void (clearInterval(drip), res.end());
            res.write(payload.subarray(at, ++at));
          }, f.trickle.everyMs);
          res.on('close', () => clearInterval(drip));
          return;
        }
        if (f.truncated && f.truncated.page === page && f.truncated.times > 0) {
          f.truncated.times--;
          body = body.slice(0, Math.floor(body.length * 0.6));
        }
        if (f.resetMidBody && f.resetMidBody.page === page && f.resetMidBody.times > 0) {
          f.resetMidBody.times--;
          const payload = Buffer.from(body, 'utf8');
          res.writeHead(200, { 'content-type': 'text/xml', 'content-length': String(payload.length) });
          res.write(payload.subarray(0, payload.length >> 1), () => res.socket?.destroy());
          return;
        }
        return send(200, body);
      }
      case 'GetRecord': {
        const id = Number(/:(\d+)$/.exec(params['identifier'] ?? '')?.[1]);
        const record = feed.records.find((r) => r.id === id);
        if (!record) return send(200, errorDoc('idDoesNotExist', `'${params['identifier']}' is not a valid item in this repository`));
        return send(200, respond(`<GetRecord>${recordXml(feed, record)}</GetRecord>`));
      }
      default:
        return send(200, errorDoc('badVerb', 'Bad verb'));
    }
  }

  const address = options.address ?? '127.0.0.1';
  await new Promise<void>((ready) => server.listen(options.port ?? 0, address, ready));
  const { port } = server.address() as AddressInfo;
  const url = `http://${address}:${port}`;
  return {
    url,
    feedUrl: (name) => `${url}/feed/${name}`,
    fixtureUrl: (path) => `${url}/fixtures/${path}`,
    requests,
    maxInFlight: () => maxInFlight,
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}

function envelope(feed: Feed, params: Record<string, string>, inner: string): string {
  const attrs = Object.entries(params).map(([k, v]) => ` ${k}="${escapeXml(v).replace(/"/g, '&quot;')}"`).join('');
  return `<?xml version='1.0' encoding='UTF-8'?>
<?xml-stylesheet type='text/xsl' href='/oai2.xsl' ?>
<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<responseDate>${feed.faults.responseDate ?? stamp(feed.now().getTime())}</responseDate>
<request${attrs}>http://127.0.0.1/oai2</request>
${inner}
</OAI-PMH>
`;
}

export function errorDoc(code: string, message: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><responseDate>${stamp(Date.now())}</responseDate><request>http://127.0.0.1/oai2</request><error code="${code}">${escapeXml(message)}</error></OAI-PMH>
`;
}

function headerXml(feed: Feed, r: { id: number; datestamp: string; deleted: boolean }): string {
  const sets = r.deleted ? '' : '<setSpec>7374617475733D707562</setSpec><setSpec>74797065733D61727469636C65</setSpec>';
  return `<header${r.deleted ? ' status="deleted"' : ''}><identifier>${feed.identifier(r.id)}</identifier><datestamp>${r.datestamp}</datestamp>${sets}</header>`;
}

function recordXml(feed: Feed, r: { id: number; datestamp: string; deleted: boolean; title: string }, prefix = 'oai_dc'): string {
  if (r.deleted) return `<record>${headerXml(feed, r)}</record>`;
  if (prefix === 'rioxx') {
    return `<record>${headerXml(feed, r)}<metadata>
<rioxx xmlns="http://www.rioxx.net/schema/v2.0/rioxx/" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" xmlns:rioxxterms="http://docs.rioxx.net/schema/v2.0/rioxxterms/" xmlns:ali="http://ali.niso.org/2014/ali/1.0">
<dc:identifier>https://repo.test.example/${r.id}/1/paper.pdf</dc:identifier>
<dc:language>en</dc:language>
<dc:title>${escapeXml(r.title)}</dc:title>
<dcterms:dateAccepted>2021-05-${String(1 + (r.id % 28)).padStart(2, '0')}</dcterms:dateAccepted>
<ali:license_ref start_date="2021-06-01">https://creativecommons.org/licenses/by/4.0/</ali:license_ref>
<rioxxterms:author id="https://orcid.org/0000-0002-1825-0097">Family${r.id % 97}, Given A.</rioxxterms:author>
<rioxxterms:project funder_name="Test Council" funder_id="https://ror.org/00test">GRANT-${r.id}</rioxxterms:project>
<rioxxterms:type>Journal Article/Review</rioxxterms:type>
<rioxxterms:version>AM</rioxxterms:version>
<rioxxterms:version_of_record>https://doi.org/${feed.doiOf(r.id)}</rioxxterms:version_of_record>
</rioxx></metadata></record>`;
  }
  if (prefix === 'mods') {
    return `<record>${headerXml(feed, r)}<metadata><mods xmlns="http://www.loc.gov/mods/v3"><titleInfo><title>${escapeXml(r.title)}</title></titleInfo></mods></metadata></record>`;
  }
  const control = feed.faults.controlChars ? '\x0B\x01&#11;' : '';
  return `<record>${headerXml(feed, r)}<metadata>
<oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/" xmlns:dc="http://purl.org/dc/elements/1.1/">
<dc:relation>https://repo.test.example/${r.id}/</dc:relation>
<dc:title xml:lang="en">${escapeXml(r.title)}${control}${feed.faults.hugeTitle?.id === r.id ? 'x'.repeat(feed.faults.hugeTitle.chars) : ''}</dc:title>
<dc:creator>Family${r.id % 97}, Given A.</dc:creator>
<dc:creator>Other, Person B.</dc:creator>
<dc:subject>Subject ${r.id % 13}</dc:subject>
<dc:description>An abstract of record ${r.id}, with tab\there and a line
break. ${feed.padding}${feed.faults.cdataDoctype ? '<![CDATA[<!DOCTYPE html><html><body><p>Pasted</p></body></html>]]>' : ''}</dc:description>
<dc:publisher>Test Press</dc:publisher>
${feed.dateOf(r.id) ? `<dc:date>${feed.dateOf(r.id)}</dc:date>` : ''}
<dc:type>Article</dc:type>
<dc:type>PeerReviewed</dc:type>
<dc:format>application/pdf</dc:format>
<dc:identifier>https://repo.test.example/${r.id}/1/paper.pdf</dc:identifier>
<dc:identifier>Family${r.id % 97}, Given A. (2021) Record number ${r.id}. Journal of Tests, 1 (2). pp. 3-4. ISSN 1234-5678.</dc:identifier>
<dc:relation>${feed.doiOf(r.id)}</dc:relation>
</oai_dc:dc>
</metadata></record>`;
}

/** One record's <eprint> element, as the per-item and the browse-view exports hold it. */
function eprintXml(feed: Feed, r: { id: number; datestamp: string; title: string }): string {
  const deposited = new Date(Date.parse('2021-07-30T08:45:18Z') + r.id * 86_400_000).toISOString().replace('T', ' ').slice(0, 19);
  const date = feed.dateOf(r.id);
  return `  <eprint id='https://repo.test.example/id/eprint/${r.id}'>
    <eprintid>${r.id}</eprintid>
    <documents><document><files><file><filename>paper.pdf</filename><mime_type>application/pdf</mime_type>
      <url>https://repo.test.example/${r.id}/1/paper.pdf</url></file></files>
      <format>application/pdf</format><security>public</security><license>cc_by</license><main>paper.pdf</main><content>accepted</content>
    </document></documents>
    <datestamp>${deposited}</datestamp>
    <lastmod>${r.datestamp.replace('T', ' ').replace('Z', '')}</lastmod>
    <type>article</type>
    <title>${escapeXml(r.title)}</title>
    <divisions><item>D${r.id % 5}</item></divisions>
    <keywords>alpha, beta, gamma${r.id}</keywords>
    <dates>${date ? `<item><date>${date}</date><date_type>published</date_type></item>` : ''}<item><date>2021-06-15</date><date_type>accepted</date_type></item></dates>
    <id_number>${feed.doiOf(r.id)}</id_number>
    <refereed>TRUE</refereed>
  </eprint>
`;
}

function tokenIn(text: string): string | undefined {
  const m = /<resumptionToken[^>]*>([\s\S]*?)<\/resumptionToken>/.exec(text);
  return m ? m[1]!.trim().replace(/&amp;/g, '&') : undefined;
}
