// stats/downloads.jsonl (every count, with its record and work) and stats/summary.json.
import { join } from 'node:path';
import type { StateStore } from '../store/state.ts';
import { writeFileAtomic } from './atomic.ts';
import { writeSnapshotFile } from './snapshot-writer.ts';
import type { StatsSummary } from '../stats/fetch-stats.ts';

export async function writeStatsOutput(state: StateStore, outDir: string, runId: string, perSource: readonly StatsSummary[]): Promise<{ downloads: string; summary: string; rows: number }> {
  const downloads = join(outDir, 'stats', 'downloads.jsonl');
  const rows = await writeSnapshotFile(downloads, downloadLines(state));
  const summary = join(outDir, 'stats', 'summary.json');
  writeFileAtomic(summary, `${JSON.stringify({ runId, sources: perSource }, null, 2)}\n`);
  return { downloads, summary, rows };
}

function* downloadLines(state: StateStore): Generator<string> {
  for (const d of state.downloads.all()) {
    yield JSON.stringify({
      source: d.sourceId, identifier: d.identifier, record: `${d.sourceId}:${d.identifier}`, work: d.workId,
      doi: d.workId?.startsWith('doi:') ? d.workId.slice(4) : null, month: d.month, metric: d.metric, count: d.count,
    });
  }
}
