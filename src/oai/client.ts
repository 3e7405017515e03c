// The six verbs as promises and async iterators. List verbs follow resumption tokens
// and never mistake a broken list for a finished one.
import { IdDoesNotExistError, type ErrorContext } from './errors.ts';
import { ListWalk } from './list-walk.ts';
import { PageQueue } from './page-queue.ts';
import type { HttpClient } from './http.ts';
import { readEnvelope, readIdentify, readMetadataFormats, readRecords } from './response.ts';
import type { ItemOf, ListKind } from './list-page.ts';
import { inlinePageParser, type PageParser, type PageReader } from './page-parser.ts';
import type { Identify, ListPage, MetadataFormat, OaiHeader, OaiRecord, OaiSet, Verb } from './types.ts';
import { parseOaiXml, type XmlElement } from './xml.ts';

export interface ListArguments {
  metadataPrefix: string;
  set?: string | undefined;
  from?: string | undefined;
  until?: string | undefined;
}

export interface ListOptions {
  /** Continue a list from a token saved earlier instead of starting it. */
  resumptionToken?: string | undefined;
}

export interface OaiClientOptions {
  /** Pages in a row with no items but a token before the list is declared stuck. */
  maxEmptyPages?: number;
  /** Wait before re-sending a token the server rejected once. */
  badTokenRetryDelayMs?: number;
  /** Pages fetched ahead of the caller (default 2). */
  prefetchPages?: number;
  /** Where list pages are parsed (default: inline on the calling thread). */
  pageParser?: PageParser;
}

export class OaiClient {
  readonly baseUrl: URL;
  private readonly maxEmptyPages: number;
  private readonly badTokenRetryDelayMs: number;
  private readonly prefetchPages: number;
  private readonly pageParser: PageParser;

  readonly http: HttpClient;

  constructor(baseUrl: string | URL, http: HttpClient, options: OaiClientOptions = {}) {
    this.baseUrl = new URL(baseUrl);
    this.http = http;
    this.maxEmptyPages = options.maxEmptyPages ?? 10;
    this.badTokenRetryDelayMs = options.badTokenRetryDelayMs ?? 5_000;
    this.prefetchPages = Math.max(1, options.prefetchPages ?? 2);
    this.pageParser = options.pageParser ?? inlinePageParser;
  }

  async identify(): Promise<Identify> {
    const { payload } = await this.single('Identify', {});
    return readIdentify(payload);
  }

  async listMetadataFormats(identifier?: string): Promise<MetadataFormat[]> {
    const { payload } = await this.single('ListMetadataFormats', identifier ? { identifier } : {});
    return readMetadataFormats(payload);
  }

  async getRecord(identifier: string, metadataPrefix: string): Promise<OaiRecord> {
    const { payload, context } = await this.single('GetRecord', { identifier, metadataPrefix });
    const record = readRecords(payload, context)[0];
    if (!record) throw new IdDoesNotExistError('idDoesNotExist', `GetRecord returned no record for ${identifier}`, context);
    return record;
  }

  async *listSets(options: ListOptions = {}): AsyncGenerator<OaiSet> {
    for await (const page of this.listPages('ListSets', {}, 'sets', options)) yield* page.items;
  }

  async *listIdentifiers(args: ListArguments, options: ListOptions = {}): AsyncGenerator<OaiHeader> {
    for await (const page of this.listPages('ListIdentifiers', args, 'headers', options)) yield* page.items;
  }

  async *listRecords(args: ListArguments, options: ListOptions = {}): AsyncGenerator<OaiRecord> {
    for await (const page of this.listPages('ListRecords', args, 'records', options)) yield* page.items;
  }

  recordPages(args: ListArguments, options: ListOptions = {}): AsyncGenerator<ListPage<OaiRecord>> {
    return this.listPages('ListRecords', args, 'records', options);
  }

  /**
   * Pages of a list. Ends on a missing, empty or blank token, or noRecordsMatch.
   * Throws TokenLoopError on a token seen before in this list, EmptyPagesError after
   * `maxEmptyPages` empty pages in a row, BadResumptionTokenError when a token is
   * refused twice. completeListSize and cursor are reported, never obeyed.
   *
   * Pages are fetched ahead of the caller, up to `prefetchPages`, so the server and the
   * network work while the caller processes a page; a slow caller holds the fetching
   * back (backpressure), so memory stays bounded.
   */
  listPages<K extends ListKind>(
    verb: Verb,
    args: ListArguments | Record<string, never>,
    kind: K,
    options: ListOptions = {},
  ): AsyncGenerator<ListPage<ItemOf<K>>> {
    return this.pagesReadBy(verb, args, (body, context) => this.pageParser.parse(body, verb, kind, context), options);
  }

  /** ListRecords pages whose bytes `read` turns into items: a worker that also normalises each record, say. */
  recordPagesReadBy<T>(args: ListArguments, read: PageReader<T>, options: ListOptions = {}): AsyncGenerator<ListPage<T>> {
    return this.pagesReadBy('ListRecords', args, read, options);
  }

  private async *pagesReadBy<T>(verb: Verb, args: ListArguments | Record<string, never>, read: PageReader<T>, options: ListOptions): AsyncGenerator<ListPage<T>> {
    const queue = new PageQueue<ListPage<T>>(this.prefetchPages);
    const walk = new ListWalk<T>({
      http: this.http, verb, read, queue, resumptionToken: options.resumptionToken,
      url: (token) => this.url(token ? { verb, resumptionToken: token } : { verb, ...args }),
      maxEmptyPages: this.maxEmptyPages, badTokenRetryDelayMs: this.badTokenRetryDelayMs,
    });
    void walk.run();
    try {
      for (;;) {
        const page = await queue.take();
        if (page === undefined) return;
        yield page;
      }
    } finally {
      queue.cancel();
    }
  }

  url(params: Record<string, string | undefined>): URL {
    const url = new URL(this.baseUrl);
    // Encoded exactly once, %20 for spaces: EPrints tokens already hold %XX sequences that
    // must travel back byte for byte.
    const query = Object.entries(params)
      .filter((entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== '')
      .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
      .join('&');
    url.search = url.search ? `${url.search.slice(1)}&${query}` : query;
    return url;
  }

  private async single(verb: Verb, params: Record<string, string>): Promise<{ payload: XmlElement; context: ErrorContext }> {
    const url = this.url({ verb, ...params });
    const context: ErrorContext = { url: url.href, verb };
    return this.http.get(url, { verb }, (response) => {
      const parsed = parseOaiXml(response.body, context);
      const envelope = readEnvelope(parsed.root, verb, context);
      if (envelope.error) throw envelope.error;
      return { payload: envelope.payload!, context };
    });
  }
}
