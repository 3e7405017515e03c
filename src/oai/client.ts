// The six verbs as promises and async iterators. List verbs follow resumption tokens
// and never mistake a broken list for a finished one.
import {
  BadResumptionTokenError, EmptyPagesError, IdDoesNotExistError, TokenLoopError, type ErrorContext,
} from './errors.ts';
import { sleep } from './host-gate.ts';
import { PageQueue } from './page-queue.ts';
import { sniffToken } from './token-sniffer.ts';
import type { HttpClient } from './http.ts';
import { readEnvelope, readIdentify, readMetadataFormats, readRecords } from './response.ts';
import type { ItemOf, ListKind } from './list-page.ts';
import { inlinePageParser, type PageParser } from './page-parser.ts';
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
  /** Handed to the page parser with every page (see PageParser). */
  parseOptions?: unknown;
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
  async *listPages<K extends ListKind>(
    verb: Verb,
    args: ListArguments | Record<string, never>,
    kind: K,
    options: ListOptions = {},
  ): AsyncGenerator<ListPage<ItemOf<K>>> {
    const queue = new PageQueue<ListPage<ItemOf<K>>>(this.prefetchPages);
    void this.produce(verb, args, kind, options.resumptionToken, queue, options.parseOptions);
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

  private async produce<K extends ListKind>(
    verb: Verb,
    args: ListArguments | Record<string, never>,
    kind: K,
    resumptionToken: string | undefined,
    queue: PageQueue<ListPage<ItemOf<K>>>,
    parseOptions: unknown,
  ): Promise<void> {
    let token = resumptionToken;
    const seen = new Set<string>(token ? [token] : []);
    let emptyInARow = 0;
    let refusedOnce = false;
    // One request may run ahead, sent with the token sniffed from the raw page before it
    // is parsed; the parsed token must confirm it or the result is dropped.
    interface Fetch { token: string | undefined; url: URL; page: Promise<ListPage<ItemOf<K>>>; sniffed?: string }
    let current: Fetch | undefined;
    let ahead: Fetch | undefined;
    const start = (t: string | undefined): Fetch => {
      const url = this.url(t ? { verb, resumptionToken: t } : { verb, ...args });
      const fetch: Fetch = { token: t, url, page: Promise.resolve() as never };
      fetch.page = this.fetchPage(url, verb, kind, parseOptions, (sniffed) => {
        fetch.sniffed = sniffed;
        speculate();
      });
      fetch.page.catch(() => {});
      return fetch;
    };
    const speculate = () => {
      const next = current?.sniffed;
      if (next === undefined || ahead !== undefined || queue.cancelled || seen.has(next)) return;
      ahead = start(next);
    };
    try {
      while (!queue.cancelled) {
        if (ahead && ahead.token === token) {
          current = ahead;
          ahead = undefined;
          speculate();
        } else {
          ahead = undefined;
          current = start(token);
        }
        const url = current.url;
        let page: ListPage<ItemOf<K>>;
        try {
          page = await current.page;
        } catch (error) {
          // Re-issuing a token should be idempotent (guidelines §6.2): try it once more.
          if (error instanceof BadResumptionTokenError && token && !refusedOnce) {
            refusedOnce = true;
            ahead = undefined;
            await sleep(this.badTokenRetryDelayMs);
            continue;
          }
          throw error;
        }
        refusedOnce = false;
        const next = page.token?.value ?? '';
        if (next === '') {
          await queue.put(page);
          queue.close();
          return;
        }
        const context = { url: url.href, verb, stage: 'list' as const };
        emptyInARow = page.items.length === 0 ? emptyInARow + 1 : 0;
        if (emptyInARow >= this.maxEmptyPages) {
          await queue.put(page);
          throw new EmptyPagesError(`${emptyInARow} pages in a row had no records but a resumptionToken; the list is not progressing`, context);
        }
        if (seen.has(next)) {
          await queue.put(page);
          throw new TokenLoopError(`the server repeated resumptionToken "${next}" in the same list; stopping instead of looping`, context);
        }
        seen.add(next);
        token = next;
        await queue.put(page);
      }
    } catch (error) {
      queue.fail(error);
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

  private async fetchPage<K extends ListKind>(
    url: URL,
    verb: Verb,
    kind: K,
    parseOptions: unknown,
    onToken: (token: string) => void = () => {},
  ): Promise<ListPage<ItemOf<K>>> {
    return this.http.get(url, { verb }, async (response) => {
      const bytes = response.body.length;
      const sniffed = response.status < 300 ? sniffToken(response.body) : undefined;
      if (sniffed !== undefined) onToken(sniffed);
      const page = await this.pageParser.parse(response.body, verb, kind, { url: url.href, verb }, parseOptions);
      return { ...page, url: url.href, bytes };
    });
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
