// The works step at scale: N source records (15% sharing a DOI with a record from another
// source) merged into works, then a run that touches 1% of them. Prints figures only.
//   node tests/bench/dedupe-bench.ts [N]
import { execFileSync } from 'node:child_process';
import { closeSync, copyFileSync, fsyncSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { emptyFields, COMMON_RECORD_SCHEMA_VERSION, type CommonRecord } from '../../src/formats/common-record.ts';
import { workId } from '../../src/dedupe/merge-work.ts';
import { StateStore } from '../../src/store/state.ts';
import { updateWorks, type WorksSummary } from '../../src/sinks/works-output.ts';
import { worksRun } from '../../src/dedupe/recompute-works.ts';

const n = Number(process.argv[2] ?? 1_000_000);
const sources = ['kar', 'manchester', 'leeds', 'ucl'];
const dir = mkdtempSync(join(tmpdir(), 'oai-dedupe-bench-'));

function record(i: number, title: string): CommonRecord {
  const source = sources[i % sources.length]!;
  // Records 0–14 of every hundred pair up (i, i+1: different sources) on one DOI.
  const doi = i % 100 < 15 ? `10.5555/shared.${Math.floor(i / 2)}` : `10.5555/unique.${i}`;
  const f = emptyFields();
  const { doiCandidates: _unused, ...fields } = f;
  void _unused;
  return {
    ...fields,
    schemaVersion: COMMON_RECORD_SCHEMA_VERSION,
    id: `${source}:oai:${source}.example:${i}`, source, identifier: `oai:${source}.example:${i}`, deleted: false,
    datestamp: '2024-01-01T00:00:00Z', sets: [], formats: ['oai_dc'], fieldSources: {},
    title, creators: [{ name: `Family${i % 997}, Given`, family: `Family${i % 997}`, given: 'Given', orcid: null }],
    abstract: `Abstract of record ${i}, long enough to be realistic in size for a merge of several repositories' copies.`,
    doi, doiInfo: { original: doi, field: 'dc:relation', reason: 'a bare DOI in dc:relation', others: [] },
    landingPage: `https://${source}.example/${i}/`,
    files: [{ url: `https://${source}.example/${i}/1/paper.pdf`, mimeType: 'application/pdf', version: i % 2 ? 'accepted' : 'published', licence: null, access: 'open', embargoUntil: null }],
    dates: { ...fields.dates, published: { value: '2021-10', field: 'dc:date' }, deposited: { value: `2021-0${1 + (i % 9)}-15`, field: 'ep3 datestamp' } },
  };
}

function load(state: StateStore, ids: Iterable<number>, title: (i: number) => string): void {
  let batch: number[] = [];
  const flush = () => {
    // One save per batch, as a harvested page is saved.
    const rows = batch.map((i) => {
      const r = record(i, title(i));
      return { sourceId: r.source, identifier: r.identifier, deleted: false, workId: workId(r), recordJson: JSON.stringify(r), matchKey: null };
    });
    state.transaction(() => state.records.save(rows));
    batch = [];
  };
  for (const i of ids) {
    batch.push(i);
    if (batch.length >= 10_000) flush();
  }
  if (batch.length > 0) flush();
}

/**
 * Each step starts with the writes of the one before on disk, as a run from cron hours after
 * the last would: otherwise its fsyncs also wait for the previous step's gigabytes.
 */
async function timed<T>(work: () => T | Promise<T>): Promise<{ result: T; seconds: number }> {
  execFileSync('sync');
  const started = performance.now();
  const result = await work();
  return { result, seconds: (performance.now() - started) / 1000 };
}

const state = StateStore.open(join(dir, 'state.sqlite'));
const policy = { sourcePriority: [] };
const loadAll = await timed(() => load(state, { [Symbol.iterator]: function* () { for (let i = 0; i < n; i++) yield i; } }, (i) => `Title of record ${i}`));
const full = await timed(() => updateWorks(worksRun(state, { policy, runId: 'full' }), join(dir, 'out')));
const touched = Math.round(n / 100);
// Three runs, each touching another 1% and writing works.jsonl (patched from the one before);
// the first, straight after the full build, is slower on a virtual machine whose memory was
// never used (its new file needs memory the guest has to be given, where later ones reuse
// what the file before freed), so all three are printed and the median compared.
const incrementalRuns: ({ loadS: number } & Awaited<ReturnType<typeof timed<WorksSummary>>>)[] = [];
for (const [i, offset] of [50, 54, 55].entries()) {
  const loaded = await timed(() => load(state, { [Symbol.iterator]: function* () { for (let k = 0; k < touched; k++) yield k * 100 + offset; } }, (i) => `Corrected title of record ${i}`));
  const merged = await timed(() => updateWorks(worksRun(state, { policy, runId: `incremental-${i}` }), join(dir, 'out')));
  incrementalRuns.push({ loadS: loaded.seconds, ...merged });
}
// The floor for any run that leaves a whole current works.jsonl: copying the file as it is
// (in the kernel, copy_file_range) and syncing the copy, with nothing read or changed.
const copyFloor = await timed(() => {
  const copy = join(dir, 'works-copy.jsonl');
  copyFileSync(incrementalRuns[0]!.result.snapshot, copy);
  const fd = openSync(copy, 'r+');
  fsyncSync(fd);
  closeSync(fd);
  return copy;
});
rmSync(copyFloor.result);
const byTime = [...incrementalRuns].sort((a, b) => a.seconds - b.seconds);
const incremental = byTime[1]!;
const loadSome = { seconds: incremental.loadS };
// The same again with works.snapshotEveryHours: 24, an hour later: the change file is
// written, works.jsonl is left for a later run. Five such runs, each touching another 1%:
// the median, since identical runs of well under a second vary by half on this disk.
const deferredRuns: { loadS: number; mergeS: number }[] = [];
for (const [i, offset] of [51, 52, 53, 56, 57].entries()) {
  const loaded = await timed(() => load(state, { [Symbol.iterator]: function* () { for (let k = 0; k < touched; k++) yield k * 100 + offset; } }, (i) => `Corrected title of record ${i}`));
  const merged = await timed(() => updateWorks(worksRun(state, { policy, runId: `deferred-${i}`, now: new Date(Date.now() + 3_600_000), snapshotEveryHours: 24 }), join(dir, 'out')));
  if (merged.result.snapshotWritten) throw new Error('the deferred run rewrote works.jsonl');
  deferredRuns.push({ loadS: loaded.seconds, mergeS: merged.seconds });
}
const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const deferred = { seconds: median(deferredRuns.map((r) => r.mergeS)) };
const loadMore = { seconds: median(deferredRuns.map((r) => r.loadS)) };
state.close();
rmSync(dir, { recursive: true, force: true });

const usage = process.resourceUsage();
const row = {
  sourceRecords: n,
  works: full.result.total,
  loadS: +loadAll.seconds.toFixed(1),
  fullMergeS: +full.seconds.toFixed(1),
  incrementalTouched: incremental.result.touched,
  incrementalLoadS: +loadSome.seconds.toFixed(2),
  incrementalMergeS: +incremental.seconds.toFixed(2),
  incrementalVsFull: `${((incremental.seconds / full.seconds) * 100).toFixed(1)}%`,
  // Patched from the previous file (the works changed since replaced), or written whole.
  incrementalSnapshot: incremental.result.snapshotOf?.written,
  incrementalRunsS: incrementalRuns.map((r) => +r.seconds.toFixed(2)),
  incrementalSnapshotsS: incrementalRuns.map((r) => +(r.result.snapshotMs / 1000).toFixed(2)),
  // With works.snapshotEveryHours, a run between snapshots writes its change file only (median of five).
  deferredSnapshotMergeS: +deferred.seconds.toFixed(2),
  deferredRunsS: deferredRuns.map((r) => +r.mergeS.toFixed(2)),
  deferredSnapshotVsFull: `${((deferred.seconds / full.seconds) * 100).toFixed(1)}%`,
  deferredLoadS: +loadMore.seconds.toFixed(2),
  // Recomputing works scales with what a run touched; rewriting works.jsonl with the total.
  recomputeFullS: +(full.result.recomputeMs / 1000).toFixed(1),
  recomputeIncrementalS: +(incremental.result.recomputeMs / 1000).toFixed(2),
  recomputeIncrementalVsFull: `${((incremental.result.recomputeMs / full.result.recomputeMs) * 100).toFixed(1)}%`,
  snapshotS: +(incremental.result.snapshotMs / 1000).toFixed(1),
  // What copying works.jsonl unchanged and syncing it costs on this disk.
  copyWorksFileS: +copyFloor.seconds.toFixed(2),
  peakRssMB: Math.round(usage.maxRSS / 1024),
};
process.stdout.write(`${JSON.stringify(row)}\n`);
