import { describe, expect, it } from 'vitest';
import { resolve } from 'node:path';
import { ConfigError, loadConfig, parseConfig } from '../../src/config/config.ts';

const parse = (json: unknown) => () => parseConfig(json, 'sources.json');

describe('configuration', () => {
  it('ships a polite KAR source', () => {
    const config = loadConfig(resolve(import.meta.dirname, '../../config/sources.json'));
    expect(config.sources).toHaveLength(1);
    expect(config.sources[0]).toMatchObject({
      id: 'kar', baseUrl: 'https://kar.kent.ac.uk/cgi/oai2', metadataPrefixes: ['oai_dc'], concurrency: 1, minDelayMs: 1000,
    });
    expect(config.sources[0]!.userAgent).toMatch(/^oai-harvester\/\d/);
  });

  it('reads the parser threads a run may start, none meaning its own thread, unset leaving them to the machine', () => {
    const sources = [{ id: 'a', baseUrl: 'https://x.example/oai' }];
    expect(parseConfig({ sources, parserThreads: 0 }, 'f').parserThreads).toBe(0);
    expect(parseConfig({ sources, parserThreads: 2 }, 'f').parserThreads).toBe(2);
    expect(parseConfig({ sources }, 'f').parserThreads).toBeUndefined();
  });

  it('fills defaults and puts the contact into the User-Agent', () => {
    const config = parseConfig({ sources: [{ id: 'a', baseUrl: 'https://x.example/oai', contact: 'ops@x.example' }] }, 'f');
    expect(config.sources[0]).toMatchObject({ metadataPrefixes: ['oai_dc'], sets: [], overlapMinutes: 60, contact: 'ops@x.example' });
    expect(config.sources[0]!.userAgent).toContain('mailto:ops@x.example');
  });

  it.each([
    [{}, 'sources.json: "sources": must be a non-empty array'],
    [{ sources: [{ baseUrl: 'https://x/' }] }, 'sources.json: sources[0] field "id"'],
    [{ sources: [{ id: 'a', baseUrl: 'nope' }] }, 'source "a" field "baseUrl": must be an http(s) URL'],
    [{ sources: [{ id: 'a', baseUrl: 'https://x/', metadataPrefix: [] }] }, 'source "a" field "metadataPrefix"'],
    [{ sources: [{ id: 'a', baseUrl: 'https://x/', from: '2021/01/01' }] }, 'source "a" field "from": must be a date'],
    [{ sources: [{ id: 'a', baseUrl: 'https://x/', minDelay: 5 }] }, 'source "a" field "minDelay": unknown field (did you mean "minDelayMs"?); the fields are type, id, name, baseUrl, metadataPrefix'],
    [{ sources: [{ id: 'a', baseUrl: 'https://x/', metadataprefix: 'oai_dc' }] }, 'source "a" field "metadataprefix": unknown field (did you mean "metadataPrefix"?)'],
    [{ sources: [{ id: 'a', baseUrl: 'https://x/', schedule: '0 2 * * * * 2026' }] }, 'source "a" field "schedule": must be a cron expression such as "0 2 * * *" (minute hour day month weekday, optional seconds first): it has 7 fields, not 5 or 6'],
    [{ sources: [{ id: 'a', baseUrl: 'https://x/', schedule: '0 2 * *' }] }, 'it has 4 fields, not 5 or 6'],
    [{ sources: [{ id: 'a', baseUrl: 'https://x/', retry: { budget: 1 } }] }, 'source "a" field "retry.budget": unknown field'],
    [{ sources: [{ id: 'a', baseUrl: 'https://x/', concurrency: 0 }] }, 'source "a" field "concurrency": must be an integer ≥ 1'],
    [{ sources: [{ id: 'a', baseUrl: 'https://x/' }, { id: 'a', baseUrl: 'https://y/' }] }, 'source "a": the id is used twice'],
    [{ sources: [{ id: 'a', baseUrl: 'https://x/' }], parserThreads: -1 }, '"parserThreads": must be an integer from 0 (pages parsed in the run\'s own thread) to 16'],
    [{ sources: [{ id: 'a', baseUrl: 'https://x/' }], parserThreads: 1.5 }, '"parserThreads": must be an integer from 0'],
    [{ sources: [{ id: 'a', baseUrl: 'https://x/' }], works: { snapshotEveryHours: -1 } }, '"works.snapshotEveryHours": must be a number of hours >= 0'],
    [{ sources: [{ id: 'a', baseUrl: 'https://x/' }], works: { snapshotEvery: 24 } }, '"works.snapshotEvery": unknown field (expected "sourcePriority", "mergeProbableDuplicates", "snapshotEveryHours")'],
    [{ sources: [{ id: 'a', type: 'ftp', baseUrl: 'https://x/' }] }, 'sources[0] field "type": must be "oai-pmh" (the default) or "bibtex"'],
    [{ sources: [{ id: 'b', type: 'bibtex' }] }, 'source "b" field "path": must name the .bib file to read'],
    [{ sources: [{ id: 'b', type: 'bibtex', path: 'x.bib', version: 'vor' }] }, 'source "b" field "version": must be one of published, accepted, submitted'],
    [{ sources: [{ id: 'b', type: 'bibtex', path: 'x.bib', baseUrl: 'https://x/' }] }, 'source "b" field "baseUrl": unknown field for a bibtex source'],
    [{ sources: [{ id: 'crossref', type: 'bibtex', path: 'x.bib' }] }, 'source "crossref": the id is reserved for the copies from the Crossref API'],
    [{ sources: [{ id: 'a', baseUrl: 'https://x/' }], crossref: {} }, '"crossref.mailto": must be an e-mail address'],
    [{ sources: [{ id: 'a', baseUrl: 'https://x/' }], crossref: { mailto: 'a@b.org', token: 'x' } }, '"crossref.token": unknown field'],
    [{ sources: [{ id: 'a', baseUrl: 'https://x/' }], crossref: { mailto: 'a@b.org', tokenEnv: 'Bearer abc' } }, '"crossref.tokenEnv": must name an environment variable'],
  ])('rejects %j naming the place', (json, message) => {
    expect(parse(json)).toThrow(ConfigError);
    expect(parse(json)).toThrow(message);
  });

  it('reads a bibtex source\'s path from the configuration file\'s folder, and "crossref" with its defaults', () => {
    const config = parseConfig({
      sources: [{ id: 'a', baseUrl: 'https://x/' }, { id: 'pub', type: 'bibtex', path: 'exports/publisher.bib' }],
      crossref: { mailto: 'ops@x.example', tokenEnv: 'CROSSREF_PLUS_TOKEN' },
    }, '/etc/oai-harvester/sources.json');
    expect(config.sources.map((s) => s.id)).toEqual(['a']);
    expect(config.bibtexSources).toEqual([{ type: 'bibtex', id: 'pub', name: 'pub', path: '/etc/oai-harvester/exports/publisher.bib', version: 'published' }]);
    expect(config.crossref).toMatchObject({ baseUrl: 'https://api.crossref.org', mailto: 'ops@x.example', tokenEnv: 'CROSSREF_PLUS_TOKEN', refreshDays: 30, missingDays: 30 });
  });

  it('reports unreadable and invalid files by name', () => {
    expect(() => loadConfig('/nonexistent/sources.json')).toThrow('/nonexistent/sources.json: cannot read');
  });
});

describe('EPrints export enrichment', () => {
  it('derives the export URL from the OAI base URL, and validates an explicit one', async () => {
    const { defaultExportTemplate } = await import('../../src/formats/eprints-export.ts');
    expect(defaultExportTemplate('https://kar.kent.ac.uk/cgi/oai2')).toBe('https://kar.kent.ac.uk/cgi/export/eprint/{id}/XML/eprint-{id}.xml');
    expect(defaultExportTemplate('https://dspace.example.org/oai/request')).toBeUndefined();
    expect(parse({ sources: [{ id: 'a', baseUrl: 'https://x/cgi/oai2', enrich: ['eprints-export'], exportUrl: 'https://x/export/' }] })).toThrow(
      'source "a" field "exportUrl": must be a URL with {id}',
    );
    expect(parse({ sources: [{ id: 'a', baseUrl: 'https://x/cgi/oai2', enrich: ['crossref'] }] })).toThrow('field "enrich"');
  });

  it('takes credentials out of a base URL, to be sent as Basic auth to its origin only', () => {
    const [source] = parseConfig({ sources: [{ id: 'a', baseUrl: 'https://harvester:pa%40ss@repo.example/cgi/oai2?token=t' }] }, 'sources.json').sources;
    expect(source).toMatchObject({
      baseUrl: 'https://repo.example/cgi/oai2?token=t',
      basicAuth: { origin: 'https://repo.example', header: `Basic ${Buffer.from('harvester:pa@ss').toString('base64')}` },
    });
  });

  it('derives the year browse-view export URL, and takes an explicit one or false', async () => {
    const { defaultViewTemplate } = await import('../../src/pipeline/eprints-views.ts');
    expect(defaultViewTemplate('https://kar.kent.ac.uk/cgi/oai2')).toBe('https://kar.kent.ac.uk/cgi/exportview/year/{year}/XML/{year}.xml');
    expect(defaultViewTemplate('https://dspace.example.org/oai/request')).toBeUndefined();
    const source = (exportViewUrl: unknown) => ({ sources: [{ id: 'a', baseUrl: 'https://x/cgi/oai2', enrich: ['eprints-export'], exportViewUrl }] });
    expect(parse(source('https://x/cgi/exportview/year/')) ).toThrow('source "a" field "exportViewUrl": must be an http(s) URL with {year}');
    expect(parse(source('file:///tmp/{year}.xml'))).toThrow('field "exportViewUrl"');
    expect(parse(source(false))).not.toThrow();
    expect(parse({ sources: [{ id: 'a', baseUrl: 'https://x/cgi/oai2', enrich: ['eprints-export'], exportUrl: 'ftp://x/export/{id}' }] })).toThrow('must be an http(s) URL (not ftp)');
    expect(parse({ sources: [{ id: 'a', baseUrl: 'https://x/cgi/oai2', stats: { type: 'irstats2', url: 'file:///etc/passwd' } }] })).toThrow('must be an http(s) URL (not file)');
    expect(parse({ sources: [{ id: 'a', baseUrl: 'https://x/cgi/oai2', stats: { type: 'irstats2', url: 'https://u:p@x/cgi/stats/get' } }] })).toThrow('must not hold credentials');
    expect(parse(source('https://x/cgi/exportview/year/{year}/XML/{year}.xml'))).not.toThrow();
  });
});
