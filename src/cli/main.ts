// The command line: a thin layer over the library. Exit codes: 0 every source succeeded,
// 1 a source failed (the others still ran), 2 usage or configuration error.
import { accessSync, constants, existsSync, mkdirSync } from 'node:fs';
import type { Logger } from 'pino';
import { CommanderError } from 'commander';
import { dirname, resolve } from 'node:path';
import { HarvestError, type ErrorCode } from '../oai/errors.ts';
import { isDatestamp } from '../oai/dates.ts';
import { redactText } from '../oai/secrets.ts';
import { registerStatePassword } from '../config/state-location.ts';
import { ConfigError, loadConfig, VERSION, type HarvestConfig } from '../config/config.ts';
import type { StateStore } from '../store/state.ts';
import { isPostgresUrl, resolveStateLocation } from '../store/location.ts';
import { fleetWorkerInWorker, harvestInWorker, scheduleInWorker } from '../pipeline/in-worker.ts';
import { describeError } from '../pipeline/summary.ts';
import { createLogger, logOutput } from './log.ts';
import { buildProgram, type Handlers } from './program.ts';
import { terminalDisplay, type TerminalDisplay } from './progress.ts';
import { oneLineReason, runTable } from './report.ts';
// Everything else a command needs is imported by that command when it runs: a run's thread
// (its harvest is in a worker of its own) loads no store, audit or works code it never calls.

export const EXIT_OK = 0;
export const EXIT_SOURCE_FAILED = 1;
export const EXIT_USAGE = 2;
/** Another run holds a source's lock; the source was skipped. */
export const EXIT_LOCKED = 3;
/** Stopped by a signal after committing the current page: 128 + the signal's number. */
const EXIT_SIGNAL: Partial<Record<NodeJS.Signals, number>> = { SIGINT: 130, SIGTERM: 143 };

/** The command line asked for something it cannot do. */
class UsageError extends HarvestError {
  override readonly code: ErrorCode = 'OAIH_USAGE';
}

export async function main(argv: string[]): Promise<number> {
  let code = EXIT_OK;
  let logger: Logger | undefined;
  // On a terminal, log lines go above the progress display of a run.
  let display: TerminalDisplay | undefined;
  // Where log lines go, this thread's and the run's worker thread's alike.
  let logLine: ((line: string) => void) | undefined;
  const output = () => (logLine ??= logOutput({ print: display?.print }));
  const log = () => (logger ??= createLogger('info', output()));
  const terminal = (values: Record<string, unknown>): CommandTerminal => ({ logger: log(), display, logLine: output(), logLevel: String(values['logLevel'] ?? 'info') });
  const handlers: Handlers = {
    run: (values) => runCommand(values, terminal(values)),
    schedule: (values) => scheduleCommand(values, terminal(values)),
    status: (values) => statusCommand(values),
    identify: (_values, [url]) => inspectCommand('identify', url!, undefined),
    formats: (values, [url]) => inspectCommand('formats', url!, values['identifier'] as string | undefined),
    sets: (_values, [url]) => inspectCommand('sets', url!, undefined),
    enqueue: (values) => enqueueCommand(values),
    worker: (values) => workerCommand(values, terminal(values)),
    worksShow: (values, [doi]) => withState(values, (state) => worksShowCommand(state, state.file, doi!, values)),
    worksSnapshot: (values) => withState(values, (state, paths) => worksSnapshotCommand(state, paths.out)),
    worksExport: (values) => withState(values, (state) => worksExportCommand(state, values)),
    statsItem: (values, [url, eprintId]) => statsItemCommand(url!, eprintId!, values),
    audit: (values) => auditCommand(values),
  };
  const program = buildProgram({
    version: VERSION, handlers,
    onAction: async (handler, values, args) => {
      display = await terminalDisplay();
      logger = createLogger(String(values['logLevel'] ?? 'info'), output());
      code = await handler(values, args);
    },
    output: { writeOut: (text) => process.stdout.write(text), writeErr: (text) => process.stderr.write(text) },
  });
  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    if (error instanceof UsageError || error instanceof ConfigError) {
      process.stderr.write(`oai-harvester: ${error.message}\n`);
      return EXIT_USAGE;
    }
    // Anything else (a full disk, a broken state database): one line, and a failed run's code.
    log().error({ err: error }, (error as Error).message);
    process.stderr.write(`oai-harvester: ${redactText((error as Error).message)}\n`);
    return EXIT_SOURCE_FAILED;
  } finally {
    logger?.flush();
    display?.close();
  }
}

/** A command that reads the state database of an earlier harvest. */
async function withState(values: Record<string, unknown>, command: (state: StateStore, paths: { out: string; stateFile: string }) => Promise<number> | number): Promise<number> {
  const paths = outputPaths(values);
  const state = await existingState(paths.stateFile);
  try {
    return await command(state, paths);
  } finally {
    state.close();
  }
}

/** The config file every command reads (`--config`). */
function configOption(values: Record<string, unknown>): HarvestConfig {
  return loadConfig(resolve(String(values['config'] ?? 'config/sources.json')));
}

/** The output folder (`--out`) and the state database in it, or elsewhere with `--state`. */
function outputPaths(values: Record<string, unknown>, config?: HarvestConfig): { out: string; stateFile: string } {
  const out = resolve(String(values['out'] ?? 'output'));
  // --state, then the environment, then the config's "state", then <out>/state.sqlite.
  const state = (values['state'] as string | undefined) ?? (process.env['OAI_HARVESTER_STATE'] || undefined) ?? config?.state;
  const stateFile = resolveStateLocation(state, out);
  // A database password in the URL is never logged: every message and log line goes through the redaction.
  registerStatePassword(stateFile);
  return { out, stateFile };
}

/** The output folder, made if need be and checked writable before any request: a read-only or missing mount is named, not a stack trace. */
function writableOutput(values: Record<string, unknown>, config?: HarvestConfig): { out: string; stateFile: string } {
  const paths = outputPaths(values, config);
  for (const dir of isPostgresUrl(paths.stateFile) ? [paths.out] : [paths.out, dirname(paths.stateFile)]) {
    try {
      mkdirSync(dir, { recursive: true });
      accessSync(dir, constants.W_OK);
    } catch (error) {
      throw new UsageError(`cannot write to ${dir}: ${(error as NodeJS.ErrnoException).code ?? ''} ${(error as Error).message.replace(/^\w+: /, '')}`.replace(/\s+/g, ' ').trim());
    }
  }
  return paths;
}

/** The state database of an earlier harvest; commands that only read it refuse to create one. */
async function existingState(stateFile: string): Promise<StateStore> {
  if (!isPostgresUrl(stateFile) && !existsSync(stateFile)) throw new UsageError(`no state database at ${stateFile}; run a harvest first, or pass --out/--state`);
  const { StateStore } = await import('../store/state.ts');
  return StateStore.open(stateFile);
}

/** What a long command writes to: its logger, the worker's log lines, the progress display. */
interface CommandTerminal {
  logger: Logger;
  logLine: (line: string) => void;
  logLevel: string;
  display: TerminalDisplay | undefined;
}

async function runCommand(values: Record<string, unknown>, { logger, logLine, logLevel, display }: CommandTerminal): Promise<number> {
  const config = configOption(values);
  const sourceIds = knownSources(config, values);
  for (const field of ['from', 'until'] as const) {
    const value = values[field];
    if (value !== undefined && !isDatestamp(String(value))) throw new UsageError(`--${field} must be YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ`);
  }
  checkRange(values['from'], values['until'], ['--from', '--until']);
  const concurrency = concurrencyOption(values);
  let statsMonths: number | undefined;
  if (values['months'] !== undefined) {
    statsMonths = Number(values['months']);
    if (!Number.isInteger(statsMonths) || statsMonths < 1) throw new UsageError('--months must be a positive integer');
  }
  const paths = writableOutput(values, config);
  const stop = stopOnSignals(logger);
  // In a worker thread of bounded memory, however this process was started.
  const run = await harvestInWorker({
    config,
    outDir: paths.out,
    stateFile: paths.stateFile,
    sourceIds,
    from: values['from'] as string | undefined,
    until: values['until'] as string | undefined,
    full: values['full'] === true,
    concurrency,
    statsMonths,
    logLevel,
  }, { onLog: logLine, progress: display, signal: stop.signal });
  stop.release();
  display?.close();
  process.stdout.write(`${runTable(run)}\n`);
  if (stop.received) return EXIT_SIGNAL[stop.received] ?? 1;
  if (run.ok) return EXIT_OK;
  const configFailure = run.sources.some((s) => s.error?.kind === 'config' || s.lists.some((l) => l.error?.kind === 'config'));
  if (configFailure) return EXIT_USAGE;
  if (run.sources.some((s) => s.status === 'failed')) return EXIT_SOURCE_FAILED;
  return EXIT_LOCKED;
}

/** The sources named by `--source`, each checked to be in the config. */
function knownSources(config: HarvestConfig, values: Record<string, unknown>): string[] {
  const sourceIds = (values['source'] as string[] | undefined) ?? [];
  const known = [...config.sources, ...config.bibtexSources].map((s) => s.id);
  const unknown = sourceIds.filter((id) => !known.includes(id));
  if (unknown.length > 0) {
    throw new UsageError(`no source with id ${unknown.map((u) => `"${u}"`).join(', ')} in ${config.file} (known: ${known.join(', ')})`);
  }
  return sourceIds;
}

/** A range that ends before it starts is refused before anything is asked or read. */
function checkRange(from: unknown, until: unknown, [fromName, untilName]: [string, string]): void {
  if (typeof from !== 'string' || typeof until !== 'string') return;
  // A day reaches to its end: 2024-05-01 until 2024-05-01 is one whole day.
  if (from > (until.length === 10 ? `${until}T23:59:59Z` : until)) throw new UsageError(`${fromName} ${from} is after ${untilName} ${until}`);
}

function concurrencyOption(values: Record<string, unknown>): number | undefined {
  if (values['concurrency'] === undefined) return undefined;
  const concurrency = Number(values['concurrency']);
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new UsageError('--concurrency must be a positive integer');
  return concurrency;
}

/** The first SIGINT/SIGTERM finishes the page in hand and commits it; a second one stops at once. */
function stopOnSignals(logger: Logger) {
  const controller = new AbortController();
  const stop = {
    signal: controller.signal,
    received: undefined as NodeJS.Signals | undefined,
    release: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
  const onSignal = (signal: NodeJS.Signals) => {
    if (stop.received) process.exit(EXIT_SIGNAL[signal] ?? 1);
    stop.received = signal;
    logger.warn({ signal }, 'stopping after the current page; signal again to stop at once');
    controller.abort(signal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return stop;
}

async function scheduleCommand(values: Record<string, unknown>, { logger, logLine, logLevel, display }: CommandTerminal): Promise<number> {
  const config = configOption(values);
  const concurrency = concurrencyOption(values);
  const { out, stateFile } = writableOutput(values, config);
  const stop = stopOnSignals(logger);
  const summary = await scheduleInWorker({ config, outDir: out, stateFile, concurrency, logLevel }, { onLog: logLine, progress: display, signal: stop.signal });
  stop.release();
  logger.info({ ...summary }, 'schedule stopped');
  return EXIT_OK;
}

/** The state a fleet command needs: PostgreSQL, which holds the jobs; a SQLite file is refused with what to do. */
function fleetState(values: Record<string, unknown>, config: HarvestConfig, command: string): { out: string; stateUrl: string } {
  const { out, stateFile } = outputPaths(values, config);
  if (!isPostgresUrl(stateFile)) {
    throw new UsageError(`${command} needs a PostgreSQL state (--state postgres://USER@HOST:PORT/DB, or OAI_HARVESTER_STATE); ${stateFile} is a SQLite file, which one machine's run and schedule use`);
  }
  return { out, stateUrl: stateFile };
}

async function enqueueCommand(values: Record<string, unknown>): Promise<number> {
  const config = configOption(values);
  const sourceIds = knownSources(config, values);
  const { stateUrl } = fleetState(values, config, 'enqueue');
  const { enqueueHarvests } = await import('../pipeline/enqueue.ts');
  const jobs = await enqueueHarvests({ config, stateUrl, sourceIds, full: values['full'] === true });
  for (const job of jobs) {
    process.stdout.write(job.jobId
      ? `${job.sourceId}\t${job.list}\tqueued\t${job.host}\t${job.jobId}\n`
      : `${job.sourceId}\t${job.list}\talready ${job.pending?.state ?? 'queued'}\t${job.host}\t${job.pending?.id ?? ''}\n`);
  }
  return EXIT_OK;
}

async function workerCommand(values: Record<string, unknown>, { logger, logLine, logLevel }: CommandTerminal): Promise<number> {
  const config = configOption(values);
  const { stateUrl } = fleetState(values, config, 'worker');
  const { out } = writableOutput(values, config);
  const concurrency = concurrencyOption(values) ?? 1;
  const stop = stopOnSignals(logger);
  // In a worker thread of bounded memory, as run and schedule.
  const summary = await fleetWorkerInWorker({ config, outDir: out, stateUrl, concurrency, exitWhenIdle: values['exitWhenIdle'] === true, logLevel }, { onLog: logLine, signal: stop.signal });
  stop.release();
  if (stop.received) return EXIT_SIGNAL[stop.received] ?? 1;
  return summary.failed > 0 ? EXIT_SOURCE_FAILED : EXIT_OK;
}

async function statusCommand(values: Record<string, unknown>): Promise<number> {
  const config = configOption(values);
  const { out, stateFile } = outputPaths(values, config);
  const [{ statusReport }, { formatStatus }] = await Promise.all([import('../pipeline/status.ts'), import('./status-text.ts')]);
  const report = statusReport(config, out, stateFile);
  process.stdout.write(values['json'] ? `${JSON.stringify(report, null, 2)}\n` : `${formatStatus(report)}\n`);
  return report.ok ? EXIT_OK : EXIT_SOURCE_FAILED;
}

/** `works export`: every active work to `--file`, or to standard output. */
async function worksExportCommand(state: StateStore, values: Record<string, unknown>): Promise<number> {
  const format = values['format'] as 'bibtex' | 'csl-json';
  // Loaded by this command only: LaTeX's tables cost every other command 16 MB.
  const { exportWorks, exportWorksToFile } = await import('../sinks/works-export.ts');
  const file = values['file'] === undefined ? undefined : resolve(String(values['file']));
  if (!file) {
    exportWorks(state.works.all(), format, (text) => process.stdout.write(text));
    return EXIT_OK;
  }
  const counts = exportWorksToFile(state, format, file);
  process.stderr.write(`${counts.works} works written to ${file} as ${format}\n`);
  return EXIT_OK;
}

async function worksSnapshotCommand(state: StateStore, out: string): Promise<number> {
  const { worksFile, writeWorksSnapshot } = await import('../sinks/works-snapshot.ts');
  const now = new Date();
  const written = await writeWorksSnapshot(state, out, `snapshot-${now.toISOString()}`, () => new Date());
  process.stdout.write(`${written.works} works written to ${worksFile(out)} (${written.probableDuplicates} groups of probable duplicates)\n`);
  return EXIT_OK;
}

async function worksShowCommand(state: StateStore, stateFile: string, doi: string, values: Record<string, unknown>): Promise<number> {
  const { explainWork, findWork } = await import('./works-show.ts');
  const found = findWork(state, doi);
  if (!found) {
    process.stderr.write(`oai-harvester works show: no work for ${doi} in ${stateFile}\n`);
    return EXIT_SOURCE_FAILED;
  }
  process.stdout.write(`${values['json'] ? JSON.stringify(found.work, null, 2) : explainWork(found.work, found.records)}\n`);
  return EXIT_OK;
}

async function auditCommand(values: Record<string, unknown>): Promise<number> {
  const rule = values['rule'] as 'ref2021' | 'ref2029';
  for (const field of ['from', 'to'] as const) {
    const value = values[field];
    if (value !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(String(value))) throw new UsageError(`--${field} must be YYYY-MM-DD`);
  }
  checkRange(values['from'], values['to'], ['--from', '--to']);
  const { out, stateFile } = outputPaths(values);
  const [{ writeAudit }, { unknownLines }] = await Promise.all([import('../audit/write-audit.ts'), import('../audit/audit-report.ts')]);
  const state = await existingState(stateFile);
  try {
    const files = writeAudit(state, out, {
      rule, from: values['from'] as string | undefined, to: values['to'] as string | undefined, sources: values['source'] as string[] | undefined,
    });
    const t = files.totals;
    const why = unknownLines(files.unknown).map((l) => `${l}\n`).join('');
    process.stdout.write(`${rule}: ${files.rows} copies: ${t['on time']} on time, ${t.late} late, ${t.unknown} unknown\n${why}${files.jsonl}\n${files.csv}\n${files.summary}\n${files.report}\n`);
    return EXIT_OK;
  } finally {
    state.close();
  }
}

/** One item's IRStats2 downloads per month, from the OAI base URL (or the stats URL) of an EPrints repository. */
async function statsItemCommand(url: string, eprintId: string, values: Record<string, unknown>): Promise<number> {
  if (!URL.canParse(url) || !/^\d+$/.test(eprintId)) {
    throw new UsageError('stats item takes an EPrints OAI base URL (or its /cgi/stats/get URL) and an eprint id');
  }
  const months = values['months'] === undefined ? 12 : Number(values['months']);
  if (!Number.isInteger(months) || months < 1) throw new UsageError('--months must be a positive integer');
  const [{ irstats2Endpoint }, { itemDownloads }] = await Promise.all([import('../stats/irstats2.ts'), import('../pipeline/quick.ts')]);
  const endpoint = url.includes('/stats/get') ? url : irstats2Endpoint(url);
  if (!endpoint) throw new UsageError(`${url} does not end in /oai2; give the IRStats2 URL (…/cgi/stats/get)`);
  try {
    for (const { month, count } of await itemDownloads(endpoint, eprintId, { months })) process.stdout.write(`${month}\t${count}\n`);
    return EXIT_OK;
  } catch (error) {
    process.stderr.write(`oai-harvester stats item: ${oneLineReason(describeError(error))}\n`);
    return EXIT_SOURCE_FAILED;
  }
}

async function inspectCommand(command: 'identify' | 'formats' | 'sets', url: string, identifier: string | undefined): Promise<number> {
  if (!URL.canParse(url)) throw new UsageError(`${command} takes one base URL, e.g. https://kar.kent.ac.uk/cgi/oai2`);
  const [{ identify, listMetadataFormats, listSets }, { decodeSetSpec }] = await Promise.all([import('../pipeline/quick.ts'), import('../oai/setspec.ts')]);
  try {
    if (command === 'identify') {
      process.stdout.write(`${JSON.stringify(await identify(url), null, 2)}\n`);
    } else if (command === 'formats') {
      for (const f of await listMetadataFormats(url, identifier)) process.stdout.write(`${f.metadataPrefix}\t${f.metadataNamespace}\t${f.schema}\n`);
    } else {
      for await (const set of listSets(url)) {
        const decoded = decodeSetSpec(set.setSpec);
        process.stdout.write(`${set.setSpec}\t${decoded === set.setSpec ? '' : decoded}\t${set.setName}\n`);
      }
    }
    return EXIT_OK;
  } catch (error) {
    process.stderr.write(`oai-harvester ${command}: ${oneLineReason(describeError(error))}\n`);
    return EXIT_SOURCE_FAILED;
  }
}

