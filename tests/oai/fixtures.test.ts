import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BadArgumentError, BadResumptionTokenError, BadVerbError, CannotDisseminateFormatError, HttpStatusError,
  IdDoesNotExistError, NotOaiResponseError,
} from '../../src/oai/errors.ts';
import type { ListPage, OaiHeader } from '../../src/oai/types.ts';
import { WorkerPageParser } from '../../src/oai/page-parser.ts';
import { FIXTURES, startOaiServer, type TestServer } from '../support/oai-server.ts';
import { collect, firstPage, testClient } from '../support/harness.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startOaiServer({
    sequences: {
      nsdl: [1, 2, 3, 4].map((n) => `resumption/nsdl-listidentifiers-nsdl_dc-page${n}-of4.xml`),
      mit: ['resumption/dspace-mit-xoai-listidentifiers-page1-of2.xml', 'resumption/dspace-mit-xoai-listidentifiers-page2-of2-final-empty-token.xml'],
    },
  });
});
afterAll(() => server.close());

const allFixtures = readdirSync(FIXTURES, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.xml')).sort();

/** Headers counted in the raw text, independently of the parser under test. */
function headersIn(text: string): number {
  return (text.match(/<(?:[\w-]+:)?header[\s>]/g) ?? []).length;
}

async function* mapItems<A, B>(pages: AsyncGenerator<ListPage<A>>, f: (a: A) => B): AsyncGenerator<ListPage<B>> {
  for await (const page of pages) yield { ...page, items: page.items.map(f) };
}

function verbOf(text: string): 'ListRecords' | 'ListIdentifiers' | 'GetRecord' | undefined {
  for (const verb of ['ListRecords', 'ListIdentifiers', 'GetRecord'] as const) {
    if (new RegExp(`<(?:[\\w-]+:)?${verb}[\\s>]`).test(text)) return verb;
  }
  return undefined;
}

const listFixtures = allFixtures.filter((f) => {
  const text = readFileSync(join(FIXTURES, f), 'latin1');
  return verbOf(text) !== undefined && !f.includes('control-chars-badbytes') && !f.includes('vertical-tab');
});

describe.each(['inline', 'worker'] as const)('every captured list and record fixture yields exactly the records it holds (%s parser)', (parser) => {
  it.each(listFixtures)('%s', async (file) => {
    const text = readFileSync(join(FIXTURES, file), 'utf8');
    const verb = verbOf(text)!;
    const { client, close } = testClient(server.fixtureUrl(file), {}, parser === 'worker' ? { pageParser: new WorkerPageParser(1) } : {});
    try {
      if (verb === 'GetRecord') {
        const record = await client.getRecord('oai:x:1', 'oai_dc');
        expect(record.header.identifier).not.toBe('');
        return;
      }
      const pages: AsyncGenerator<ListPage<OaiHeader>> =
        verb === 'ListRecords'
          ? mapItems(client.listPages(verb, { metadataPrefix: 'oai_dc' }, 'records'), (r) => r.header)
          : client.listPages(verb, { metadataPrefix: 'oai_dc' }, 'headers');
      const first = await firstPage(pages);
      expect(first.items).toHaveLength(headersIn(text));
      const identifiers = first.items.map((h) => h.identifier);
      expect(identifiers.every((id) => id.length > 0 && id === id.trim())).toBe(true);
    } finally {
      await close();
    }
  });
});

describe('real responses that break other harvesters', () => {
  it('repairs the raw vertical tab of PUC-Rio and keeps its five records, ending on the empty token with attributes', async () => {
    const { client, close } = testClient(server.fixtureUrl('nasty/pucrio-maxwell-listrecords-vertical-tab-invalid-char.xml'));
    const pages = await collect(client.recordPages({ metadataPrefix: 'oai_dc' }));
    await close();
    expect(pages).toHaveLength(1);
    expect(pages[0]!.items).toHaveLength(5);
    expect(pages[0]!.repairedChars).toBeGreaterThan(0);
    expect(pages[0]!.token).toMatchObject({ value: '', completeListSize: 5, cursor: 0 });
  });

  it('repairs the control character and bad bytes of the Citebase record', async () => {
    const { client, close } = testClient(server.fixtureUrl('nasty/citebase-getrecord-control-chars-badbytes.xml'));
    const record = await client.getRecord('oai:x:1', 'oai_dc');
    await close();
    expect(record.header.identifier).toContain('arXiv');
    const description = 'dc' in record.metadata! ? record.metadata.dc['description']!.join(' ') : '';
    expect(description).not.toMatch(/[\x00-\x08\x0B\x0C\x0E-\x1F]/);
  });

  it('keeps tabs and the CR character references of CogPrints', async () => {
    const { client, close } = testClient(server.fixtureUrl('listrecords/eprints-cogprints-listrecords-oai_dc-cr-charrefs.xml'));
    const records = await collect(client.listRecords({ metadataPrefix: 'oai_dc' }));
    await close();
    const texts = records.flatMap((r) => (r.metadata && 'dc' in r.metadata ? Object.values(r.metadata.dc).flat() : []));
    expect(texts.some((t) => t.includes('\r'))).toBe(true);
  });

  it('reads Dublin Core with xml:lang from Gallica, whose prefixes are declared on the root only', async () => {
    const { client, close } = testClient(server.fixtureUrl('nasty/bnf-gallica-listrecords-oai_dc-ns-on-root.xml'));
    const first = await firstPage(client.recordPages({ metadataPrefix: 'oai_dc' }));
    await close();
    const metadata = first.items[0]!.metadata as { dc: Record<string, string[]>; lang?: Record<string, (string | null)[]> };
    expect(metadata.dc['title']!.length).toBeGreaterThan(0);
    expect(metadata.lang).toBeDefined();
    for (const [name, langs] of Object.entries(metadata.lang!)) expect(langs).toHaveLength(metadata.dc[name]!.length);
  });

  it('trims the padded identifier, datestamp, setSpec and token of Copac', async () => {
    const { client, close } = testClient(server.fixtureUrl('nasty/copac-listrecords-whitespace-padded-values-and-token.xml'));
    const first = await firstPage(client.recordPages({ metadataPrefix: 'oai_dc' }));
    await close();
    expect(first.items[0]!.header).toMatchObject({ identifier: 'oai:copac.ac.uk:72006564625', datestamp: '2006-05-25', setSpecs: ['Sound'] });
    expect(first.token!.value).toBe('&set=Sound&metadataPrefix=oai%5Fdc&startRecord=200');
  });

  it('reads a namespace-less Identify (PubMed Central) with day granularity', async () => {
    const { client, close } = testClient(server.fixtureUrl('nasty/pubmedcentral-identify-missing-default-namespace.xml'));
    const identify = await client.identify();
    await close();
    expect(identify.granularity).toBe('YYYY-MM-DD');
    expect(identify.repositoryName).not.toBe('');
  });

  it('reads the EPrints Identify behind a stylesheet instruction', async () => {
    const { client, close } = testClient(server.fixtureUrl('identify/eprints-ecs-soton-identify.xml'));
    const identify = await client.identify();
    await close();
    expect(identify).toMatchObject({ granularity: 'YYYY-MM-DDThh:mm:ssZ', deletedRecord: 'persistent', protocolVersion: '2.0' });
  });

  it('accepts the blank line before the XML declaration (dLibra) and maps its error', async () => {
    const { client, close } = testClient(server.fixtureUrl('nasty/psnc-dlibra-cannotDisseminateFormat-leading-newline-before-xmldecl.xml'));
    await expect(collect(client.listIdentifiers({ metadataPrefix: 'edm' }))).rejects.toBeInstanceOf(CannotDisseminateFormatError);
    await close();
  });

  it('quotes the start of an HTML page served with status 200', async () => {
    const { client, close } = testClient(server.fixtureUrl('nasty/httpbun-html-page-http200-instead-of-oai.xml'));
    const failure = await client.identify().catch((e: unknown) => e);
    await close();
    expect(failure).toBeInstanceOf(NotOaiResponseError);
    expect((failure as Error).message).toMatch(/not OAI-PMH XML: "<!DOCTYPE html>/i);
    expect((failure as NotOaiResponseError).url).toContain('verb=Identify');
  });

  it('reports the empty-bodied HTTP 500 of DSpace@MIT as an HTTP error after retrying', async () => {
    const { client, http, close } = testClient(server.fixtureUrl('nasty/dspace-mit-http500-empty-body.xml'));
    await expect(client.getRecord('oai:x:1', 'oai_dc')).rejects.toBeInstanceOf(HttpStatusError);
    expect(http.stats.retries).toBe(3);
    await close();
  });

  it.each([
    ['errors/arxiv-badArgument-illegal-identifier.xml', BadArgumentError],
    ['errors/arxiv-idDoesNotExist.xml', IdDoesNotExistError],
    ['errors/nsdl-badVerb.xml', BadVerbError],
    ['errors/eprints-ecs-soton-cannotDisseminateFormat.xml', CannotDisseminateFormatError],
    ['errors/zenodo-badArgument-for-unknown-metadataPrefix-http422.xml', BadArgumentError],
    ['errors/zenodo-badResumptionToken-http422.xml', BadResumptionTokenError],
  ])('maps %s to its error class', async (file, ErrorClass) => {
    const { client, close } = testClient(server.fixtureUrl(file));
    await expect(client.getRecord('oai:x:1', 'oai_dc')).rejects.toBeInstanceOf(ErrorClass);
    await close();
  });

  it.each(['errors/arxiv-noRecordsMatch-bad-set.xml', 'errors/dspace-mit-xoai-noRecordsMatch.xml'])(
    'treats %s as an empty, successful list',
    async (file) => {
      const { client, close } = testClient(server.fixtureUrl(file));
      expect(await collect(client.listRecords({ metadataPrefix: 'oai_dc' }))).toEqual([]);
      await close();
    },
  );

  it('follows the four NSDL pages by token to exactly the headers they hold', async () => {
    const expected = [1, 2, 3, 4]
      .map((n) => headersIn(readFileSync(join(FIXTURES, `resumption/nsdl-listidentifiers-nsdl_dc-page${n}-of4.xml`), 'utf8')))
      .reduce((a, b) => a + b, 0);
    const { client, close } = testClient(`${server.url}/seq/nsdl`);
    const headers = await collect(client.listIdentifiers({ metadataPrefix: 'nsdl_dc' }));
    await close();
    expect(headers).toHaveLength(expected);
    expect(new Set(headers.map((h) => h.identifier)).size).toBe(expected);
  });

  it('ends the DSpace@MIT list on its self-closing final token (XOAI cursor counts pages)', async () => {
    const { client, close } = testClient(`${server.url}/seq/mit`);
    const headers = await collect(client.listIdentifiers({ metadataPrefix: 'oai_dc' }));
    await close();
    expect(headers).toHaveLength(171);
  });

  it('lists metadata formats, also with an empty schema (DANS)', async () => {
    const { client, close } = testClient(server.fixtureUrl('listmetadataformats/dans-narcis-gharvester-listmetadataformats-empty-schema.xml'));
    const formats = await client.listMetadataFormats();
    await close();
    expect(formats).toHaveLength(3);
    expect(formats.some((f) => f.schema === '')).toBe(true);
  });

  it('lists sets across the final empty-token page of DSpace@MIT', async () => {
    const { client, close } = testClient(server.fixtureUrl('listsets/dspace-mit-xoai-listsets-page10-final-empty-token.xml'));
    const sets = await collect(client.listSets());
    await close();
    expect(sets.length).toBeGreaterThan(0);
    expect(sets.every((s) => s.setSpec !== '')).toBe(true);
  });
});
