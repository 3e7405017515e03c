// Where the default pipeline's CPU goes, stage by stage: one harvest run under V8's sampling
// profiler (every thread), each sample put in the stage of its stack. Prints a table; asserts
// nothing. Used by peers-bench.ts, or alone:
//   node tests/bench/stage-profile.ts BASE_URL
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { tempDir } from '../support/run.ts';

const root = resolve(import.meta.dirname, '../..');

interface CallFrame { functionName: string; url: string }
interface ProfileNode { id: number; callFrame: CallFrame; children?: number[] }
interface CpuProfile { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] }

/** Stages entered by a function of ours: the outermost on a sample's stack decides. */
const ENTRY_STAGES: readonly [RegExp, string][] = [
  [/^writeWorksSnapshot$/, 'works.jsonl and Parquet tables'],
  [/^(recomputeDirtyWorks|updateWorks)$/, 'works recompute (merge, read and save works)'],
  [/^commitPage$/, 'page commit (state writes, record JSONL)'],
  // The parser thread's packing of a page's JSON into one buffer (store/json-bytes.ts) is serialising, not state.
  [/^packRecords$/, 'serialise for the run thread (JSON, postMessage)'],
];

/** Otherwise the innermost frame's file decides. */
const FILE_STAGES: readonly [RegExp, string][] = [
  [/fast-xml-parser|path-expression-matcher|\/oai\/(xml|page-parser|response|list-page|token-sniffer)\./, 'parse XML'],
  [/\/(formats|identifiers)\/|\/dedupe\/match-key\./, 'normalise to the common record'],
  [/\/pipeline\/normalize-(worker|page)\./, 'serialise for the run thread (JSON, postMessage)'],
  [/undici|node:zlib|node:net|node:internal\/(stream|net)|\/oai\/(http|host-gate|client|list-walk|page-queue)\./, 'HTTP'],
  [/node:internal\/modules|^node:internal\/(bootstrap|main)/, 'start-up (loading modules)'],
  [/\/store\//, 'state (SQLite)'],
  [/\/sinks\//, 'output files'],
  [/\/pipeline\//, 'pipeline'],
];

/** CPU milliseconds per stage in one thread's profile; idle time left out. */
export function stagesOf(profile: CpuProfile): Map<string, number> {
  const parent = new Map<number, ProfileNode>();
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node);
  const stageOfNode = new Map<number, string | null>();
  const stageOf = (leaf: ProfileNode): string | null => {
    const known = stageOfNode.get(leaf.id);
    if (known !== undefined) return known;
    const stack: ProfileNode[] = [];
    for (let n: ProfileNode | undefined = leaf; n; n = parent.get(n.id)) stack.push(n);
    const name = leaf.callFrame.functionName;
    let stage: string | null = null;
    if (name === '(idle)') stage = null;
    else if (name === '(garbage collector)') stage = 'garbage collection';
    else {
      // Outermost first for entries, innermost first for files.
      for (const node of [...stack].reverse()) {
        const entry = ENTRY_STAGES.find(([re]) => re.test(node.callFrame.functionName));
        if (entry) {
          stage = entry[1];
          break;
        }
      }
      for (const node of stack) {
        if (stage) break;
        stage = FILE_STAGES.find(([re]) => re.test(node.callFrame.url))?.[1] ?? null;
      }
      stage ??= name === '(program)' ? 'V8 and Node outside JavaScript' : 'other';
    }
    stageOfNode.set(leaf.id, stage);
    return stage;
  };
  const totals = new Map<string, number>();
  profile.samples.forEach((id, i) => {
    const stage = stageOf(byId.get(id)!);
    if (stage) totals.set(stage, (totals.get(stage) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
  });
  return totals;
}

export interface StageRow { stage: string; 'run thread ms': number; 'parser threads ms': number; 'main thread ms': number; 'total ms': number; share: string }

type Thread = 'run' | 'parser' | 'main';
const THREADS: readonly Thread[] = ['run', 'parser', 'main'];

/** Which thread a profile is of: the process's main one (thread id 0), the run's (it commits pages), or a parser's. */
function threadOf(file: string, profile: CpuProfile): Thread {
  if (/\.0\.\d+\.cpuprofile$/.test(file)) return 'main';
  return profile.nodes.some((n) => n.callFrame.functionName === 'commitPage') ? 'run' : 'parser';
}

/** Runs one default harvest of `url` under the profiler, with the Node flags given, and sums its threads' stages. */
export async function profileStages(url: string, nodeFlags: readonly string[] = []): Promise<StageRow[]> {
  const dir = tempDir('oai-profile-');
  const config = join(dir, 'sources.json');
  writeFileSync(config, JSON.stringify({ sources: [{ id: 'bench', baseUrl: url, minDelayMs: 0 }] }));
  const profiles = join(dir, 'profiles');
  const code = await new Promise<number | null>((done) => {
    const child = spawn(process.execPath, [...nodeFlags, '--cpu-prof', `--cpu-prof-dir=${profiles}`, join(root, 'dist/cli/bin.js'), 'run', '--config', config, '--out', join(dir, 'out'), '--log-level', 'warn'],
      { stdio: ['ignore', 'ignore', 'inherit'] });
    child.on('exit', done);
  });
  if (code !== 0) throw new Error(`the profiled harvest exited with ${code}`);
  const threads: Record<Thread, Map<string, number>> = { run: new Map(), parser: new Map(), main: new Map() };
  for (const file of readdirSync(profiles).sort()) {
    const profile = JSON.parse(readFileSync(join(profiles, file), 'utf8')) as CpuProfile;
    const into = threads[threadOf(file, profile)];
    for (const [stage, ms] of stagesOf(profile)) into.set(stage, (into.get(stage) ?? 0) + ms);
  }
  const stages = [...new Set(Object.values(threads).flatMap((m) => [...m.keys()]))];
  const of = (thread: Thread, stage: string) => threads[thread].get(stage) ?? 0;
  const inAll = (stage: string) => THREADS.reduce((sum, thread) => sum + of(thread, stage), 0);
  const total = stages.reduce((sum, s) => sum + inAll(s), 0);
  return stages
    .map((stage) => {
      const all = inAll(stage);
      return {
        stage, 'run thread ms': Math.round(of('run', stage)), 'parser threads ms': Math.round(of('parser', stage)),
        'main thread ms': Math.round(of('main', stage)), 'total ms': Math.round(all), share: `${((100 * all) / total).toFixed(1)}%`,
      };
    })
    .sort((a, b) => b['total ms'] - a['total ms']);
}

if (import.meta.main) {
  const url = process.argv[2];
  if (!url) throw new Error('usage: node tests/bench/stage-profile.ts BASE_URL');
  console.table(await profileStages(url, ['--max-semi-space-size=8']));
}
