import { afterEach, describe, expect, it } from 'vitest';
import { BadResumptionTokenError, EmptyPagesError, NotOaiResponseError, TokenLoopError } from '../../src/oai/errors.ts';
import { decodeToken, Feed } from '../support/feed.ts';
import { startOaiServer, type TestServer } from '../support/oai-server.ts';
import { collect, firstPage, testClient } from '../support/harness.ts';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function serve(feed: Feed) {
  server = await startOaiServer({ feeds: { f: feed } });
  return testClient(server.feedUrl('f'));
}

describe('listing by resumption token', () => {
  it('walks every page and yields every record once, deleted ones as headers without metadata', async () => {
    const { client, close } = await serve(new Feed({ records: 250, pageSize: 100, deletedEvery: 10 }));
    const records = await collect(client.listRecords({ metadataPrefix: 'oai_dc' }));
    await close();
    expect(records).toHaveLength(250);
    expect(new Set(records.map((r) => r.header.identifier)).size).toBe(250);
    const deleted = records.filter((r) => r.header.deleted);
    expect(deleted).toHaveLength(25);
    expect(deleted.every((r) => r.metadata === null && r.header.setSpecs.length === 0)).toBe(true);
  });

  it('sends an EPrints token back byte for byte, URL-encoded exactly once, alone with the verb', async () => {
    const { client, close } = await serve(new Feed({ records: 150, pageSize: 100 }));
    await collect(client.listRecords({ metadataPrefix: 'oai_dc', from: '2020-01-01T00:00:00Z' }));
    await close();
    const second = server!.requests.filter((r) => r.params['verb'] === 'ListRecords')[1]!;
    expect(Object.keys(second.params).sort()).toEqual(['resumptionToken', 'verb']);
    // The server decodes the query once; what it gets must be the token as it sent it.
    expect(second.params['resumptionToken']).toMatch(/%3D/);
    expect(decodeToken(second.params['resumptionToken']!)).toMatchObject({ offset: '100', from: '2020-01-01T00:00:00Z' });
  });

  it('handles a page holding exactly one record', async () => {
    const { client, close } = await serve(new Feed({ records: 101, pageSize: 100 }));
    const pages = await collect(client.recordPages({ metadataPrefix: 'oai_dc' }));
    await close();
    expect(pages.map((p) => p.items.length)).toEqual([100, 1]);
  });

  it('never stops early from completeListSize or cursor', async () => {
    // EPrints puts an eprintid in cursor; a list size can be wrong. Neither ends a list.
    const feed = new Feed({ records: 300, pageSize: 100 });
    const { client, close } = await serve(feed);
    const pages = await collect(client.recordPages({ metadataPrefix: 'oai_dc' }));
    await close();
    expect(pages.reduce((n, p) => n + p.items.length, 0)).toBe(300);
    expect(pages[0]!.token).toMatchObject({ completeListSize: 300, cursor: 0 });
  });

  it('is an empty, successful list on noRecordsMatch', async () => {
    const { client, close } = await serve(new Feed({ records: 10 }));
    const records = await collect(client.listRecords({ metadataPrefix: 'oai_dc', from: '2099-01-01T00:00:00Z' }));
    await close();
    expect(records).toEqual([]);
  });

  it('reports a token loop as an error, never as the end of the list', async () => {
    const { client, close } = await serve(new Feed({ records: 500, pageSize: 100, faults: { tokenLoop: { page: 2 } } }));
    const seen: string[] = [];
    const failure = await (async () => {
      for await (const r of client.listRecords({ metadataPrefix: 'oai_dc' })) seen.push(r.header.identifier);
    })().catch((e: unknown) => e);
    await close();
    expect(failure).toBeInstanceOf(TokenLoopError);
    expect((failure as TokenLoopError).url).toContain('resumptionToken=');
    expect(seen).toHaveLength(300);
  });

  it('reports N empty pages in a row as an error', async () => {
    const pool = await serve(new Feed({ records: 500, pageSize: 100, faults: { emptyPagesFrom: 1 } }));
    await pool.close();
    const { client, close } = testClient(server!.feedUrl('f'), {}, { maxEmptyPages: 3, badTokenRetryDelayMs: 10 });
    await expect(collect(client.listRecords({ metadataPrefix: 'oai_dc' }))).rejects.toBeInstanceOf(EmptyPagesError);
    await close();
  });

  it('re-sends a refused token once before giving up with BadResumptionTokenError', async () => {
    const once = await serve(new Feed({ records: 300, pageSize: 100, faults: { badResumptionToken: { page: 1, times: 1 } } }));
    expect(await collect(once.client.listRecords({ metadataPrefix: 'oai_dc' }))).toHaveLength(300);
    await once.close();
    await server!.close();

    const twice = await serve(new Feed({ records: 300, pageSize: 100, faults: { badResumptionToken: { page: 1, times: 2 } } }));
    await expect(collect(twice.client.listRecords({ metadataPrefix: 'oai_dc' }))).rejects.toBeInstanceOf(BadResumptionTokenError);
    await twice.close();
  });

  it('resumes a list from a saved token', async () => {
    const { client, close } = await serve(new Feed({ records: 250, pageSize: 100 }));
    const page = await firstPage(client.recordPages({ metadataPrefix: 'oai_dc' }));
    const rest = await collect(client.listRecords({ metadataPrefix: 'oai_dc' }, { resumptionToken: page.token!.value }));
    await close();
    expect(rest.map((r) => r.header.identifier)).toEqual(Array.from({ length: 150 }, (_, i) => `oai:test.example:${i + 101}`));
  });

  it('lists identifiers, sets and formats, and gets one record', async () => {
    const { client, close } = await serve(new Feed({ records: 120, pageSize: 50 }));
    expect(await collect(client.listIdentifiers({ metadataPrefix: 'oai_dc' }))).toHaveLength(120);
    expect((await collect(client.listSets())).map((s) => s.setSpec)).toEqual(['7374617475733D707562', 'driver']);
    expect((await client.listMetadataFormats()).map((f) => f.metadataPrefix)).toEqual(['oai_dc']);
    const record = await client.getRecord('oai:test.example:7', 'oai_dc');
    await close();
    expect(record.metadata).toMatchObject({ dc: { title: ['Record number 7 & its <title>'] }, lang: { title: ['en'] } });
  });
});

describe('parsing pages in a worker thread', () => {
  it('gives the same records, and the same error classes with their context', async () => {
    const { WorkerPageParser } = await import('../../src/oai/page-parser.ts');
    server = await startOaiServer({ feeds: { f: new Feed({ records: 250, deletedEvery: 7, faults: { html200: { page: 2, times: 99 } } }) } });
    const inline = testClient(server.feedUrl('f'));
    const worker = testClient(server.feedUrl('f'), {}, { pageParser: new WorkerPageParser(2), badTokenRetryDelayMs: 10 });
    const run = async (c: typeof inline) => {
      const seen: unknown[] = [];
      const error = await (async () => {
        for await (const r of c.client.listRecords({ metadataPrefix: 'oai_dc' })) seen.push(r);
      })().catch((e: unknown) => e);
      return { seen, error };
    };
    const a = await run(inline);
    const b = await run(worker);
    await inline.close();
    await worker.close();
    expect(b.seen).toHaveLength(200);
    expect(b.seen).toEqual(a.seen);
    expect(b.error).toBeInstanceOf(NotOaiResponseError);
    expect(b.error).toMatchObject({ message: (a.error as Error).message, verb: 'ListRecords', stage: 'xml' });
    expect((b.error as NotOaiResponseError).url).toContain('resumptionToken=');
  });
});
