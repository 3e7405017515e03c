import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ListPage } from '../../src/oai/types.ts';
import { StateStore } from '../../src/store/state.ts';
import { JsonlAppender } from '../../src/sinks/jsonl-appender.ts';
import { LazyJsonlAppender } from '../../src/sinks/lazy-appender.ts';
import { commitPage, type PageTarget } from '../../src/pipeline/commit-page.ts';
import { normalizeForOutput, packRecords } from '../../src/pipeline/normalize-page.ts';
import type { NormalizedJsonRecord } from '../../src/pipeline/normalizing-reader.ts';
import { emptyList, type SourceSummary } from '../../src/pipeline/summary.ts';
import { recordsIn } from '../formats/support.ts';
import { captureLogger, tempDir } from '../support/run.ts';

const kar = recordsIn(join(import.meta.dirname, '../formats/fixtures/kar-89524-oai_dc.xml'))[0]!;
const options = { source: 'kar', metadataPrefix: 'oai_dc', fields: false };

let state: StateStore | undefined;
afterEach(() => state?.close());

function target(dir: string, log = captureLogger()): PageTarget & { lines: typeof log.lines } {
  state = StateStore.open(join(dir, 'state.sqlite'));
  const harvest = state.harvests.startHarvest({
    harvestId: 'h1', sourceId: 'kar', listKey: 'oai_dc', metadataPrefix: 'oai_dc', setSpec: null, fromArg: null, untilArg: null, full: false, outputFile: 'records.jsonl',
  });
  const summary = { records: 0, pages: 0, deleted: 0, unchanged: 0, rejects: 0, normalizerBugs: 0, bytes: 0, repairedChars: 0, truncatedChars: 0 } as SourceSummary;
  return {
    harvest, summary, result: emptyList('oai_dc', 'oai_dc', undefined, undefined), lines: log.lines,
    sink: {
      appender: new JsonlAppender(join(dir, 'records.jsonl'), 0), rejects: new LazyJsonlAppender(join(dir, 'rejects.jsonl'), 0), state,
      sourceId: 'kar', metadataPrefix: 'oai_dc', mergeFormats: false, mergeProbableDuplicates: false, enrich: undefined, maxRepeatedPages: 10, log: log.logger,
    },
  };
}

function page(items: NormalizedJsonRecord[]): ListPage<NormalizedJsonRecord> {
  return { items, token: undefined, responseDate: '2026-11-30T00:00:00Z', url: 'http://127.0.0.1/oai?verb=ListRecords', bytes: 1, repairedChars: 0, truncatedChars: 0 };
}

describe('committing a page', () => {
  it('keeps a record a normaliser bug hit: raw metadata written, a reject line, counted apart, logged with identifier and stack', async () => {
    const dir = tempDir();
    const t = target(dir);
    const good = normalizeForOutput(options, kar);
    const hit = normalizeForOutput(options, { ...kar, header: { ...kar.header, identifier: 'oai:kar.kent.ac.uk:1' }, metadata: { dc: null } as never });
    expect(hit).toMatchObject({ recordJson: null, reject: expect.stringMatching(/^a bug in the normaliser: TypeError/), bug: { stack: expect.stringContaining('fromOaiDc') } });

    await commitPage(page(packRecords([good, hit])), t);
    t.sink.appender.close();
    t.sink.rejects.close();

    const lines = readFileSync(join(dir, 'records.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => [l['identifier'], l['record'] === null])).toEqual([[kar.header.identifier, false], ['oai:kar.kent.ac.uk:1', true]]);
    expect(lines[1]!['metadata']).toEqual({ dc: null });
    const rejects = readFileSync(join(dir, 'rejects.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(rejects).toEqual([expect.objectContaining({ identifier: 'oai:kar.kent.ac.uk:1', reason: expect.stringMatching(/^a bug in the normaliser: TypeError/) })]);
    expect(t.result).toMatchObject({ records: 2, rejects: 1, normalizerBugs: 1 });
    expect(t.summary).toMatchObject({ records: 2, rejects: 1, normalizerBugs: 1 });
    const logged = t.lines.filter((l) => l['code'] === 'OAIH_NORMALIZER_BUG');
    expect(logged).toEqual([expect.objectContaining({ level: 50, identifier: 'oai:kar.kent.ac.uk:1', stack: expect.stringContaining('fromOaiDc') })]);
    // Only the record that was read joins a work.
    expect(state!.records.identifiers('kar').map((r) => r.identifier)).toEqual([kar.header.identifier]);
  });
});
