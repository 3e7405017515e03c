// Enrichment from EPrints browse-view exports (/cgi/exportview/year/{year}/XML/…): one
// request gives the EP3 XML of every item of a year, where per-item exports take one request
// each (45,000 at KAR, 12.5 hours at one a second). Each item's fields are held in the state
// (format "ep3", by its lastmod), so a record met on a later page finds them there.
import type { Logger } from 'pino';
import { ForbiddenError, HttpStatusError } from '../oai/errors.ts';
import type { HttpClient } from '../oai/http.ts';
import { parseXmlDocument } from '../oai/xml.ts';
import type { OaiHeader } from '../oai/types.ts';
import { readFields, type FormatFields } from '../formats/registry.ts';
import { partialDate } from '../formats/vocabulary.ts';
import { eprintsCgiTemplate } from '../formats/eprints-export.ts';
import type { StateStore } from '../store/state.ts';
import type { FormatFieldsRow } from '../store/source-records.ts';

/** A year's view is fetched when a page holds at least this many records of it needing an export. */
export const VIEW_MIN_RECORDS = 5;

/** {perl_url}/oai2 → {perl_url}/exportview/year/{year}/XML/{year}.xml (the file name is ignored). */
export function defaultViewTemplate(baseUrl: string): string | undefined {
  return eprintsCgiTemplate(baseUrl, '/exportview/year/{year}/XML/{year}.xml');
}

export interface ViewWanted {
  header: OaiHeader;
  /** The year of the record's EPrints `date` (its dc:date): the year view it is listed in. */
  year: string | null;
}

export interface ViewTally {
  /** Views fetched, records whose fields came from one, and why views were given up, if they were. */
  requests: number;
  records: number;
  unavailable: string | null;
}

/** The browse-view exports of one source over one run. */
export class ViewExports {
  readonly tally: ViewTally = { requests: 0, records: 0, unavailable: null };
  private readonly fetched = new Set<string>();

  private readonly http: HttpClient;
  private readonly template: string;
  private readonly state: StateStore;
  private readonly sourceId: string;
  private readonly log: Logger;

  constructor(context: { http: HttpClient; template: string; state: StateStore; sourceId: string; log: Logger }) {
    ({ http: this.http, template: this.template, state: this.state, sourceId: this.sourceId, log: this.log } = context);
  }

  /**
   * The EP3 fields of the wanted records that a year view holds as fresh as their OAI
   * datestamp, fetching the views of years with enough wanted records first. The others are
   * left to per-item exports.
   */
  async fieldsFor(wanted: readonly ViewWanted[]): Promise<{ fields: Map<string, FormatFields>; requests: number }> {
    const before = this.tally.requests;
    const heldExports = (items: readonly ViewWanted[]) => this.heldExports(items.map((w) => w.header.identifier));
    const missing = (items: readonly ViewWanted[]) => {
      const held = heldExports(items);
      return items.filter((w) => (held.get(w.header.identifier)?.datestamp ?? '') < w.header.datestamp);
    };
    const perYear = new Map<string, ViewWanted[]>();
    for (const w of missing(wanted)) if (w.year) perYear.set(w.year, [...(perYear.get(w.year) ?? []), w]);
    for (const [year, items] of perYear) {
      if (items.length < VIEW_MIN_RECORDS || this.fetched.has(year) || this.tally.unavailable) continue;
      this.fetched.add(year);
      await this.fetchView(year, items[0]!.header.identifier);
    }
    const found = new Map<string, FormatFields>();
    const held = heldExports(wanted);
    for (const w of wanted) {
      const fields = held.get(w.header.identifier);
      if (fields && fields.datestamp >= w.header.datestamp) found.set(w.header.identifier, { format: 'ep3', fields: JSON.parse(fields.fieldsJson) as FormatFields['fields'] });
    }
    this.tally.records += found.size;
    return { fields: found, requests: this.tally.requests - before };
  }

  /** The EP3 fields held for these records, in one query. */
  private heldExports(identifiers: readonly string[]): Map<string, FormatFieldsRow> {
    const held = new Map<string, FormatFieldsRow>();
    for (const [identifier, rows] of this.state.records.heldFormats(this.sourceId, identifiers)) {
      const ep3 = rows.find((r) => r.format === 'ep3');
      if (ep3) held.set(identifier, ep3);
    }
    return held;
  }

  /** Fetches one year's view and holds every item's fields; a repository without views is noted once. */
  private async fetchView(year: string, sampleIdentifier: string): Promise<void> {
    const url = new URL(this.template.replace(/\{year\}/g, year));
    const prefix = sampleIdentifier.replace(/\d+$/, '');
    try {
      this.tally.requests++;
      await this.http.get(url, { verb: 'exportview' }, (response) => {
        if (response.status >= 400) throw new HttpStatusError(response.status, '', { url: url.href, verb: 'exportview' });
        this.holdItems(response.body, prefix, url.href);
      });
    } catch (error) {
      if (!(error instanceof HttpStatusError || error instanceof ForbiddenError) && (error as { stage?: string }).stage !== 'xml') throw error;
      this.tally.unavailable = `${url.href}: ${(error as Error).message}`;
      this.log.warn({ url: url.href, verb: 'exportview', err: error }, 'the repository gives no browse-view export; fetching EPrints exports one record at a time');
    }
  }

  /** Each <eprint> of the export parsed on its own, so memory holds one item at a time beside the body. */
  private holdItems(body: Uint8Array, prefix: string, url: string): void {
    const text = Buffer.from(body).toString('utf8');
    if (!/<(?:\w+:)?eprints[\s>]/.test(text.slice(0, 4096))) {
      throw Object.assign(new Error('not an EPrints XML export'), { stage: 'xml' });
    }
    const ns = /xmlns(?::\w+)?=["'](http:\/\/eprints\.org\/ep2\/data\/2\.0)["']/.exec(text)?.[1] ?? 'http://eprints.org/ep2/data/2.0';
    let batch: { identifier: string; datestamp: string; fieldsJson: string }[] = [];
    const save = () => {
      this.state.transaction(() => {
        for (const r of batch) this.state.records.saveFormatFields({ sourceId: this.sourceId, format: 'ep3', ...r });
      });
      batch = [];
    };
    for (const item of text.matchAll(/<(?:\w+:)?eprint[\s>][\s\S]*?<\/(?:\w+:)?eprint>/g)) {
      const id = /<(?:\w+:)?eprintid>\s*(\d+)\s*</.exec(item[0])?.[1];
      const lastmod = partialDate(/<(?:\w+:)?lastmod>([^<]+)</.exec(item[0])?.[1]);
      if (!id || !lastmod) continue;
      const identifier = `${prefix}${id}`;
      try {
        const xml = item[0].replace(/^<((?:\w+:)?eprint)(?=[\s>])/, `<$1 xmlns="${ns}"`);
        const { root, rootName } = parseXmlDocument(Buffer.from(xml), { url, verb: 'exportview' });
        const fields = readFields('ep3', { xml: { [rootName]: [root] } }, { identifier, datestamp: lastmod, setSpecs: [], deleted: false });
        batch.push({ identifier, datestamp: lastmod, fieldsJson: JSON.stringify(fields.fields) });
      } catch (error) {
        // One unreadable item is fetched on its own later; the rest of the view still counts.
        this.log.warn({ url, verb: 'exportview', identifier, err: error }, 'an item of the browse-view export could not be read');
      }
      if (batch.length >= 500) save();
    }
    save();
  }
}
