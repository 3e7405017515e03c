// One walk down a list, token by token: the only code that knows resumption tokens. It
// never mistakes a broken list for a finished one, and fetches one page ahead of the one
// being read, with the token sniffed from the raw bytes before they are parsed.
import { BadResumptionTokenError, EmptyPagesError, TokenLoopError } from './errors.ts';
import { sleep } from './host-gate.ts';
import type { HttpClient } from './http.ts';
import type { PageReader } from './page-parser.ts';
import type { PageQueue } from './page-queue.ts';
import { sniffToken } from './token-sniffer.ts';
import type { ListPage, Verb } from './types.ts';

/** What a walk needs from its client and caller. */
export interface ListWalkContext<T> {
  http: HttpClient;
  verb: Verb;
  /** The URL of the first page (no token) or of a page asked for with a token. */
  url: (token: string | undefined) => URL;
  read: PageReader<T>;
  queue: PageQueue<ListPage<T>>;
  /** Continue a list from a token saved earlier instead of starting it. */
  resumptionToken: string | undefined;
  maxEmptyPages: number;
  badTokenRetryDelayMs: number;
}

interface Fetch<T> {
  token: string | undefined;
  url: URL;
  page: Promise<ListPage<T>>;
  sniffed?: string;
}

export class ListWalk<T> {
  private readonly context: ListWalkContext<T>;
  private token: string | undefined;
  private readonly seen: Set<string>;
  private emptyInARow = 0;
  private current: Fetch<T> | undefined;
  private ahead: Fetch<T> | undefined;

  constructor(context: ListWalkContext<T>) {
    this.context = context;
    this.token = context.resumptionToken;
    this.seen = new Set(this.token ? [this.token] : []);
  }

  /** Puts every page into the queue, then closes it; or fails it with why the list broke. */
  async run(): Promise<void> {
    const { queue } = this.context;
    try {
      while (!queue.cancelled) {
        const page = await this.nextPage();
        await queue.put(page);
        if (!this.follow(page)) {
          queue.close();
          return;
        }
      }
    } catch (error) {
      queue.fail(error);
    }
  }

  /** The page of the current token; a token refused once is sent again after a pause. */
  private async nextPage(): Promise<ListPage<T>> {
    for (let refusedOnce = false; ; refusedOnce = true) {
      if (this.ahead && this.ahead.token === this.token) {
        this.current = this.ahead;
        this.ahead = undefined;
        this.speculate();
      } else {
        this.ahead = undefined;
        this.current = this.start(this.token);
      }
      try {
        return await this.current.page;
      } catch (error) {
        // Re-issuing a token should be idempotent (guidelines §6.2): try it once more.
        if (!(error instanceof BadResumptionTokenError) || !this.token || refusedOnce) throw error;
        this.ahead = undefined;
        await sleep(this.context.badTokenRetryDelayMs);
      }
    }
  }

  /** Moves to the page's token: false at the end of the list; throws when the list does not progress. */
  private follow(page: ListPage<T>): boolean {
    const next = page.token?.value ?? '';
    if (next === '') return false;
    const context = { url: page.url, verb: this.context.verb, stage: 'list' as const };
    this.emptyInARow = page.items.length === 0 ? this.emptyInARow + 1 : 0;
    if (this.emptyInARow >= this.context.maxEmptyPages) {
      throw new EmptyPagesError(`${this.emptyInARow} pages in a row had no records but a resumptionToken; the list is not progressing`, context);
    }
    if (this.seen.has(next)) throw new TokenLoopError(`the server repeated resumptionToken "${next}" in the same list; stopping instead of looping`, context);
    this.seen.add(next);
    this.token = next;
    return true;
  }

  private start(token: string | undefined): Fetch<T> {
    const url = this.context.url(token);
    const fetch: Fetch<T> = { token, url, page: Promise.resolve() as never };
    fetch.page = this.fetchPage(url, (sniffed) => {
      fetch.sniffed = sniffed;
      this.speculate();
    });
    fetch.page.catch(() => {});
    return fetch;
  }

  /** One request may run ahead, sent with the sniffed token; the parsed token must confirm it or the result is dropped. */
  private speculate(): void {
    const next = this.current?.sniffed;
    if (next === undefined || this.ahead !== undefined || this.context.queue.cancelled || this.seen.has(next)) return;
    this.ahead = this.start(next);
  }

  private fetchPage(url: URL, onToken: (token: string) => void): Promise<ListPage<T>> {
    const { http, verb, read } = this.context;
    return http.get(url, { verb }, async (response) => {
      const bytes = response.body.length;
      const sniffed = response.status < 300 ? sniffToken(response.body) : undefined;
      if (sniffed !== undefined) onToken(sniffed);
      const page = await read(response.body, { url: url.href, verb });
      return { ...page, url: url.href, bytes };
    });
  }
}
