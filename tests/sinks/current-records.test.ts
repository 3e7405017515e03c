import { readFileSync, statSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { harvest } from '../../src/pipeline/harvest.ts';
import { currentRecordsFile, type CurrentRecordLine } from '../../src/sinks/current-records.ts';
import { FixtureRepository } from '../support/fixture-repository.ts';
import { captureLogger, outputLines, tempDir, testConfig } from '../support/run.ts';

const dc = (title: string) =>
  `<oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>${title}</dc:title><dc:date>2020</dc:date></oai_dc:dc>`;

let repositories: FixtureRepository[] = [];
afterEach(async () => {
  await Promise.all(repositories.map((r) => r.stop()));
  repositories = [];
});

describe('records/current/<source>.jsonl', () => {
  it('holds one line per record as it is now, deletions flagged, while records/<source>/ keeps every change', async () => {
    const [a, b] = [new FixtureRepository(), new FixtureRepository()];
    repositories = [a, b];
    a.set('oai:a:1', '2024-01-01T00:00:00Z', { metadata: dc('First title') });
    a.set('oai:a:2', '2024-01-01T00:00:00Z', { metadata: dc('Second') });
    b.set('oai:b:1', '2024-01-01T00:00:00Z', { metadata: dc('Other') });
    const config = testConfig([{ id: 'a', baseUrl: await a.start() }, { id: 'b', baseUrl: await b.start() }]);
    const out = tempDir();
    const run = () => harvest({ config, outDir: out, logger: captureLogger().logger });
    await run();
    const current = (source: string) => readFileSync(currentRecordsFile(out, source), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as CurrentRecordLine);
    expect(current('a').map((l) => [l.identifier, l.deleted])).toEqual([['oai:a:1', false], ['oai:a:2', false]]);
    const untouched = statSync(currentRecordsFile(out, 'b')).mtimeMs;

    a.set('oai:a:1', '2024-02-01T00:00:00Z', { metadata: dc('First title, corrected') });
    a.set('oai:a:2', '2024-02-01T00:00:00Z', { deleted: true });
    await run();
    expect(current('a').map((l) => [l.identifier, l.deleted, (l.record as { title: string }).title])).toEqual([
      ['oai:a:1', false, 'First title, corrected'], ['oai:a:2', true, 'Second'],
    ]);
    expect(outputLines(out, 'a').map((l) => l.identifier)).toEqual(['oai:a:1', 'oai:a:2', 'oai:a:1', 'oai:a:2']);
    // A source whose records did not change keeps its file as it was.
    expect(statSync(currentRecordsFile(out, 'b')).mtimeMs).toBe(untouched);
  });
});
