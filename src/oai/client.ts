// The six verbs as promises and async iterators. List verbs follow resumption tokens
// and never mistake a broken list for a finished one.
import {
  BadResumptionTokenError, EmptyPagesError, IdDoesNotExistError, NoRecordsMatchError, TokenLoopError,
  type ErrorContext,
} from './errors.ts';
import { sleep } from './host-gate.ts';
import type { HttpClient } from './http.ts';
import {
  readEnvelope, readHeaders, readIdentify, readMetadataFormats, readRecords, readSets, readToken,
} from './response.ts';
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
}

type Reader<T> = (payload: XmlElement, context: ErrorContext) => T[];

export class OaiClient {
  readonly baseUrl: URL;
  private readonly maxEmptyPages: number;
  private readonly badTokenRetryDelayMs: number;

  readonly http: HttpClient;

  constructor(baseUrl: string | URL, http: HttpClient, options: OaiClientOptions = {}) {
    this.baseUrl = new URL(baseUrl);
    this.http = http;
    this.maxEmptyPages = options.maxEmptyPages ?? 10;
    this.badTokenRetryDelayMs = options.badTokenRetryDelayMs ?? 5_000;
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
    for await (const page of this.listPages('ListSets', {}, readSets, options)) yield* page.items;
  }

  async *listIdentifiers(args: ListArguments, options: ListOptions = {}): AsyncGenerator<OaiHeader> {
    for await (const page of this.listPages('ListIdentifiers', args, readHeaders, options)) yield* page.items;
  }

  async *listRecords(args: ListArguments, options: ListOptions = {}): AsyncGenerator<OaiRecord> {
    for await (const page of this.listPages('ListRecords', args, readRecords, options)) yield* page.items;
  }

  recordPages(args: ListArguments, options: ListOptions = {}): AsyncGenerator<ListPage<OaiRecord>> {
    return this.listPages('ListRecords', args, readRecords, options);
  }

  /**
   * Pages of a list. Ends on a missing, empty or blank token, or noRecordsMatch.
   * Throws TokenLoopError on a token seen before in this list, EmptyPagesError after
   * `maxEmptyPages` empty pages in a row, BadResumptionTokenError when a token is
   * refused twice. completeListSize and cursor are reported, never obeyed.
   */
  async *listPages<T>(
    verb: Verb,
    args: ListArguments | Record<string, never>,
    reader: Reader<T>,
    options: ListOptions = {},
  ): AsyncGenerator<ListPage<T>> {
    let token = options.resumptionToken;
    const seen = new Set<string>(token ? [token] : []);
    let emptyInARow = 0;
    let refusedOnce = false;
    // The next page is requested as soon as its token is known, so the server works while
    // the caller processes this page. One page ahead at most: memory stays bounded.
    let inFlight = this.startFetch(verb, args, reader, token);
    for (;;) {
      let page: ListPage<T>;
      try {
        page = await inFlight.page;
      } catch (error) {
        // Re-issuing a token should be idempotent (guidelines §6.2): try it once more.
        if (error instanceof BadResumptionTokenError && token && !refusedOnce) {
          refusedOnce = true;
          await sleep(this.badTokenRetryDelayMs);
          inFlight = this.startFetch(verb, args, reader, token);
          continue;
        }
        throw error;
      }
      refusedOnce = false;
      const next = page.token?.value ?? '';
      if (next === '') {
        yield page;
        return;
      }
      const context = { url: inFlight.url.href, verb, stage: 'list' as const };
      emptyInARow = page.items.length === 0 ? emptyInARow + 1 : 0;
      let stuck: Error | undefined;
      if (emptyInARow >= this.maxEmptyPages) {
        stuck = new EmptyPagesError(`${emptyInARow} pages in a row had no records but a resumptionToken; the list is not progressing`, context);
      } else if (seen.has(next)) {
        stuck = new TokenLoopError(`the server repeated resumptionToken "${next}" in the same list; stopping instead of looping`, context);
      }
      if (stuck) {
        yield page;
        throw stuck;
      }
      seen.add(next);
      token = next;
      inFlight = this.startFetch(verb, args, reader, token);
      yield page;
    }
  }

  private startFetch<T>(
    verb: Verb,
    args: ListArguments | Record<string, never>,
    reader: Reader<T>,
    token: string | undefined,
  ): { url: URL; page: Promise<ListPage<T>> } {
    const url = this.url(token ? { verb, resumptionToken: token } : { verb, ...args });
    const page = this.fetchPage(url, verb, reader);
    // Observed when awaited; if the caller stops early, the failure must not go unhandled.
    page.catch(() => {});
    return { url, page };
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

  private async fetchPage<T>(url: URL, verb: Verb, reader: Reader<T>): Promise<ListPage<T>> {
    return this.http.get(url, { verb }, (response) => {
      const context: ErrorContext = { url: url.href, verb };
      const parsed = parseOaiXml(response.body, context);
      const envelope = readEnvelope(parsed.root, verb, context);
      const base = { url: url.href, bytes: response.body.length, repairedChars: parsed.repairedChars, responseDate: envelope.responseDate };
      if (envelope.error instanceof NoRecordsMatchError) return { ...base, items: [], token: undefined };
      if (envelope.error) throw envelope.error;
      const payload = envelope.payload!;
      return { ...base, items: reader(payload, context), token: readToken(payload) };
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
