// A generated OAI-PMH repository: records with datestamps, deletions, EPrints-style
// stateless tokens (escaped twice, so they hold %XX), and faults on demand.

export interface FeedRecord {
  id: number;
  datestamp: string;
  deleted: boolean;
  title: string;
}

export interface Faults {
  /** The next N requests get 503, with Retry-After in this form. */
  status503?: { times: number; retryAfter?: 'seconds' | 'date' | 'none' };
  /** 429 with Retry-After seconds for the next N requests. */
  status429?: { times: number };
  /** Page k (0-based): the connection is cut halfway through the body, N times. */
  resetMidBody?: { page: number; times: number };
  /** Page k: the XML is cut off (served complete, with a matching Content-Length). */
  truncated?: { page: number; times: number };
  /** Page k requested with a token: badResumptionToken, N times. */
  badResumptionToken?: { page: number; times: number };
  /** Page k hands out the token that led to page k-1 (or its own): a loop. */
  tokenLoop?: { page: number };
  /** Page k: an HTML page with status 200, N times. */
  html200?: { page: number; times: number };
  /** Every response gzip-compressed without Content-Encoding. */
  gzipUndeclared?: boolean;
  /** Every response deflated and announced: zlib-wrapped as the RFC says, or raw as some servers do. */
  deflate?: 'zlib' | 'raw';
  /** Control characters (illegal in XML 1.0) in every title, raw and as references. */
  controlChars?: boolean;
  /** Every request gets 403. */
  forbidden?: boolean;
  /** Pages that are empty but carry a token, from page k on. */
  emptyPagesFrom?: number;
  /** EPrints export answers: HTTP status per record id (default 200). */
  exportStatus?: Record<number, number>;
  /** EPrints browse-view exports (/exportview/year/…) answer 404, as on a repository without them. */
  noExportViews?: boolean;
  /** Every response carries this responseDate instead of the server clock's. */
  responseDate?: string;
  /** Page k carries an OAI <error> beside its records and token, N times. */
  errorBesideRecords?: { page: number; times: number };
  /** From page k on, every page repeats page k's records under a new token: a loop no token comparison sees. */
  disguisedLoop?: { page: number };
  /** Page k's body is sent one byte every `everyMs`, forever slow but never idle for long. */
  trickle?: { page: number; everyMs: number };
  /** Every description holds a CDATA section pasted from a web page, DOCTYPE and all. */
  cdataDoctype?: boolean;
  /** Record r's title is this many characters long (a 50 MB text node). */
  hugeTitle?: { id: number; chars: number };
  /** Every ListRecords request is answered with this status and a body of this many bytes. */
  hugeErrorBody?: { status: number; bytes: number };
  /** Identify says seconds, but a from/until in seconds is refused with badArgument. */
  refuseSeconds?: boolean;
  /** Page k lists record r twice: its current version and, after it, an older one. */
  olderVersionAfter?: { page: number; id: number };
}

export interface FeedOptions {
  records?: number;
  pageSize?: number;
  /** Every n-th record is deleted (0: none). */
  deletedEvery?: number;
  repositoryId?: string;
  granularity?: 'YYYY-MM-DD' | 'YYYY-MM-DDThh:mm:ssZ';
  /** Server clock for responseDate; defaults to the real clock. */
  now?: () => Date;
  /** Extra bytes of description per record, to reach a realistic record size. */
  padding?: number;
  faults?: Faults;
  formats?: string[];
  /** Every response waits this long before it is sent, as a distant or busy server's would. */
  latencyMs?: number;
  /** Datestamps are spread this far apart from 2021-01-01 (default a minute). */
  datestampStepMs?: number;
  /** The record's EPrints `date` (dc:date; null: none), which its year's browse view lists it under. */
  dateOf?: (id: number) => string | null;
  /** The record's DOI; by default 10.5555/test.<id>, the same in every feed, so feeds share works. */
  doiOf?: (id: number) => string;
}

export class Feed {
  records: FeedRecord[] = [];
  pageSize: number;
  repositoryId: string;
  granularity: 'YYYY-MM-DD' | 'YYYY-MM-DDThh:mm:ssZ';
  now: () => Date;
  latencyMs: number;
  padding: string;
  faults: Faults;
  formats: string[];
  dateOf: (id: number) => string | null;
  doiOf: (id: number) => string;

  constructor(options: FeedOptions = {}) {
    const count = options.records ?? 250;
    this.pageSize = options.pageSize ?? 100;
    this.repositoryId = options.repositoryId ?? 'test.example';
    this.granularity = options.granularity ?? 'YYYY-MM-DDThh:mm:ssZ';
    this.now = options.now ?? (() => new Date());
    this.padding = 'x'.repeat(options.padding ?? 0);
    this.faults = options.faults ?? {};
    this.latencyMs = options.latencyMs ?? 0;
    this.formats = options.formats ?? ['oai_dc'];
    this.dateOf = options.dateOf ?? ((id) => `2021-0${1 + (id % 9)}`);
    this.doiOf = options.doiOf ?? ((id) => `10.5555/test.${id}`);
    const base = Date.parse('2021-01-01T00:00:00Z');
    for (let i = 1; i <= count; i++) {
      this.records.push({
        id: i,
        // Not in id order, as in EPrints, where pages follow eprintid and datestamp is lastmod.
        datestamp: stamp(base + ((i * 7919) % count) * (options.datestampStepMs ?? 60_000)),
        deleted: options.deletedEvery ? i % options.deletedEvery === 0 : false,
        title: `Record number ${i} & its <title>`,
      });
    }
  }

  identifier(id: number): string {
    return `oai:${this.repositoryId}:${id}`;
  }

  /** Records matching from/until (inclusive), in id order, as EPrints pages them. */
  matching(from?: string, until?: string): FeedRecord[] {
    if (!from && !until) return this.records;
    const lo = from ? Date.parse(from) : -Infinity;
    const hi = until ? Date.parse(until.length === 10 ? `${until}T23:59:59Z` : until) : Infinity;
    return this.records.filter((r) => {
      const t = Date.parse(r.datestamp);
      return t >= lo && t <= hi;
    });
  }

  touch(id: number, datestamp: string, change: Partial<FeedRecord> = {}): void {
    const record = this.records.find((r) => r.id === id);
    if (!record) throw new Error(`no record ${id}`);
    Object.assign(record, change, { datestamp });
  }
}

export function stamp(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** EPrints escapes the key=value pairs, then the whole string again. */
export function encodeToken(params: Record<string, string>): string {
  const inner = Object.keys(params)
    .sort()
    .map((k) => `${k}=${encodeURIComponent(params[k]!)}`)
    .join('&');
  return encodeURIComponent(inner);
}

export function decodeToken(token: string): Record<string, string> | undefined {
  try {
    const inner = decodeURIComponent(token);
    const out: Record<string, string> = {};
    for (const pair of inner.split('&')) {
      const eq = pair.indexOf('=');
      if (eq < 0) return undefined;
      out[pair.slice(0, eq)] = decodeURIComponent(pair.slice(eq + 1));
    }
    return out['offset'] === undefined ? undefined : out;
  } catch {
    return undefined;
  }
}

export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
