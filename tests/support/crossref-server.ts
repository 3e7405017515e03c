// A Crossref REST API on 127.0.0.1: /works/{doi} and /works?filter=doi:…, answering with
// the works it holds (real recorded ones, and Crossref-shaped ones a test builds), a plain-text
// 404 for any other DOI as api.crossref.org does, and the rate-limit headers a test sets.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SAMPLES } from './oai-server.ts';

export const CROSSREF_SAMPLES = join(SAMPLES, 'crossref');

export interface CrossrefLimits {
  limit: number;
  interval: string;
  concurrency: number;
}

export interface CrossrefRequest {
  path: string;
  params: Record<string, string>;
  headers: IncomingHttpHeaders;
  at: number;
  end?: number;
  status?: number;
}

export class CrossrefServer {
  /** Work messages by lower-case DOI. */
  readonly works = new Map<string, Record<string, unknown>>();
  readonly requests: CrossrefRequest[] = [];
  /** The limits every response states; a test may change them mid-run. */
  limits: CrossrefLimits = { limit: 50, interval: '1s', concurrency: 5 };
  /** Called before each response with its 0-based number: lets a test lower the limits after n requests. */
  onRequest: ((n: number) => void) | undefined;
  /** Answer this many requests with 429 (Infinity: every one), with Retry-After in seconds. */
  tooManyRequests = { times: 0, retryAfter: 1 };
  /** Each response waits this long, as a distant server's would. */
  latencyMs = 0;
  private server: Server | undefined;
  url = '';

  /** A recorded work response's message (from ../shared/samples/crossref). */
  static recorded(file: string): Record<string, unknown> {
    const json = JSON.parse(readFileSync(join(CROSSREF_SAMPLES, file), 'utf8')) as { message: Record<string, unknown> };
    return json.message;
  }

  add(message: Record<string, unknown>): void {
    this.works.set(String(message['DOI']).toLowerCase(), message);
  }

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      const url = new URL(req.url!, 'http://x');
      const logged: CrossrefRequest = { path: decodeURIComponent(url.pathname), params: Object.fromEntries(url.searchParams), headers: req.headers, at: Date.now() };
      this.onRequest?.(this.requests.length);
      this.requests.push(logged);
      res.once('finish', () => (logged.end = Date.now()));
      const headers = {
        'x-rate-limit-limit': String(this.limits.limit), 'x-rate-limit-interval': this.limits.interval, 'x-concurrency-limit': String(this.limits.concurrency),
        'x-api-pool': req.headers['crossref-plus-api-token'] ? 'plus' : 'polite',
      };
      const send = (status: number, type: string, body: string, extra: Record<string, string> = {}) => {
        logged.status = status;
        const write = () => res.writeHead(status, { 'content-type': type, ...headers, ...extra }).end(body);
        if (this.latencyMs > 0) setTimeout(write, this.latencyMs);
        else write();
      };
      if (this.tooManyRequests.times > 0) {
        this.tooManyRequests.times--;
        return send(429, 'text/plain', 'Too Many Requests', { 'retry-after': String(this.tooManyRequests.retryAfter) });
      }
      const [, route, ...rest] = logged.path.split('/');
      if (route !== 'works') return send(404, 'text/plain', 'Resource not found.');
      if (rest.length > 0) {
        const message = this.works.get(rest.join('/').toLowerCase());
        return message
          ? send(200, 'application/json', JSON.stringify({ status: 'ok', 'message-type': 'work', 'message-version': '1.0.0', message }))
          : send(404, 'text/plain', readFileSync(join(CROSSREF_SAMPLES, 'error-404-unknown-doi.txt'), 'utf8'));
      }
      const dois = (logged.params['filter'] ?? '').split(',').filter((f) => f.startsWith('doi:')).map((f) => f.slice(4).toLowerCase());
      const items = dois.flatMap((doi) => (this.works.has(doi) ? [this.works.get(doi)!] : []));
      send(200, 'application/json', JSON.stringify({
        status: 'ok', 'message-type': 'work-list', 'message-version': '1.0.0',
        message: { facets: {}, 'total-results': items.length, items, 'items-per-page': Number(logged.params['rows'] ?? 20), query: { 'start-index': 0, 'search-terms': null } },
      }));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }
}

const parts = (date: string) => ({ 'date-parts': [date.split('-').map(Number)] });

/**
 * The seed paper as Crossref would describe it: a Crossref-shaped work built from the
 * publisher's BibTeX (../shared/samples/bibtex-publisher-bjgp-2020-0917.bib: journal, volume,
 * issue, pages, ISSN, publisher, authors, title, abstract) and the dates KAR records for it
 * (accepted 2021-07-06, online 2021-07-28, in print 2021-10), under a CC BY licence. Not a
 * recorded response: no capture of this DOI's Crossref record exists.
 */
export function seedWork(): Record<string, unknown> {
  const authors: [string, string][] = [['Lynsey', 'Warwick-Giles'], ['Jonathan', 'Hammond'], ['Simon', 'Bailey'], ['Kath', 'Checkland']];
  return {
    DOI: '10.3399/BJGP.2020.0917',
    type: 'journal-article',
    title: ['Exploring commissioners’ understandings of early primary care network development: qualitative interview study'],
    'container-title': ['British Journal of General Practice'],
    'short-container-title': ['Br J Gen Pract'],
    volume: '71', issue: '710', page: 'e711-e718',
    ISSN: ['0960-1643', '1478-5242'],
    'issn-type': [{ value: '0960-1643', type: 'print' }, { value: '1478-5242', type: 'electronic' }],
    publisher: 'Royal College of General Practitioners',
    author: authors.map(([given, family], i) => ({ given, family, sequence: i === 0 ? 'first' : 'additional', affiliation: [] })),
    abstract: '<jats:sec><jats:title>Background</jats:title><jats:p>Primary care networks (PCNs) are financially incentivised groupings of general practices in the English NHS.</jats:p></jats:sec>'
      + '<jats:sec><jats:title>Results</jats:title><jats:p>Three meta-themes were identified: the multifaceted role of the commissioner, tensions between PCN policy and locally commissioned services, and engaging the broader system.</jats:p></jats:sec>',
    accepted: parts('2021-07-06'),
    'published-online': parts('2021-07-28'),
    'published-print': parts('2021-10'),
    issued: parts('2021-07-28'),
    license: [{ URL: 'http://creativecommons.org/licenses/by/4.0/', start: { ...parts('2021-07-28'), 'date-time': '2021-07-28T00:00:00Z' }, 'delay-in-days': 0, 'content-version': 'vor' }],
    resource: { primary: { URL: 'https://bjgp.org/content/71/710/e711' } },
    deposited: { ...parts('2021-10-01'), 'date-time': '2021-10-01T12:00:00Z' },
  };
}

/** A recorded work (eLife 10.7554/eLife.01567) that a retraction notice now updates, as Crossref and Retraction Watch mark one. */
export function retractedWork(): Record<string, unknown> {
  const work = CrossrefServer.recorded('work-elife.01567-assertions-vor-am-tdm-licenses.json');
  return {
    ...work,
    'updated-by': [
      { DOI: '10.7554/elife.99999', type: 'retraction', source: 'publisher', label: 'Retraction', updated: { ...parts('2024-03-05'), 'date-time': '2024-03-05T00:00:00Z' } },
      { DOI: '10.7554/elife.99999', type: 'retraction', source: 'retraction-watch', label: 'Retraction', updated: { ...parts('2024-03-05'), 'date-time': '2024-03-05T00:00:00Z' } },
    ],
  };
}
