// The command line: a thin layer over the library. Exit codes: 0 every source succeeded,
// 1 a source failed (the others still ran), 2 usage or configuration error.
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { join, resolve } from 'node:path';
import { decodeSetSpec } from '../oai/setspec.ts';
import { HarvestError, type ErrorCode } from '../oai/errors.ts';
import { irstats2Endpoint } from '../stats/irstats2.ts';
import { isDatestamp } from '../oai/dates.ts';
import { ConfigError, loadConfig, VERSION, type HarvestConfig } from '../config/config.ts';
import { identify, itemDownloads, listMetadataFormats, listSets } from '../pipeline/quick.ts';
import { harvest } from '../pipeline/harvest.ts';
import { createLogger } from './log.ts';
import { clearProgress, terminalProgress } from './progress.ts';
import { oneLineReason, runTable } from './report.ts';
import { describeError } from '../pipeline/harvest.ts';
import { StateStore } from '../store/state.ts';
import { explainWork, findWork } from './works-show.ts';
import { worksFile, writeWorksSnapshot } from '../sinks/works-snapshot.ts';
import { exportWorks, exportWorksToFile } from '../sinks/works-export.ts';
import { writeAudit } from '../audit/write-audit.ts';
import { redactText } from '../oai/secrets.ts';
import { unknownLines } from '../audit/audit-report.ts';
import { runSchedule } from '../pipeline/schedule.ts';
import { statusReport } from '../pipeline/status.ts';
import { formatStatus } from './status-text.ts';

export const EXIT_OK = 0;
export const EXIT_SOURCE_FAILED = 1;
export const EXIT_USAGE = 2;
/** Another run holds a source's lock; the source was skipped. */
export const EXIT_LOCKED = 3;
/** Stopped by a signal after committing the current page: 128 + the signal's number. */
const EXIT_SIGNAL: Partial<Record<NodeJS.Signals, number>> = { SIGINT: 130, SIGTERM: 143 };

const USAGE = `oai-harvester ${VERSION}

Usage:
  oai-harvester run [--source ID]... [--from DATE] [--until DATE] [--full]
  oai-harvester schedule [--concurrency N]
  oai-harvester status [--json]
  oai-harvester identify URL
  oai-harvester formats URL [--identifier ID]
  oai-harvester sets URL
  oai-harvester works show DOI [--json]
  oai-harvester works snapshot
  oai-harvester works export --format bibtex|csl-json [--out FILE]
  oai-harvester stats item URL EPRINTID [--months N]
  oai-harvester audit [--rule ref2021|ref2029] [--from DATE] [--to DATE] [--source ID]...

Options:
  --config FILE       sources file (default: config/sources.json)
  --out DIR           output folder (default: output/)
  --state FILE        state database (default: <out>/state.sqlite; its works in FILE-works)
  --source ID         harvest only this source (repeatable)
  --from DATE         run: records changed from DATE (YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ);
                      audit: reference dates from DATE
  --until DATE        run: records changed until DATE, inclusive
  --to DATE           audit: reference dates until DATE, inclusive
  --rule RULE         audit: ref2021 (default) or ref2029
  --full              ignore the last harvest and re-harvest everything
  --concurrency N     sources harvested at once (default: the config's, else 4)
  --months N          statistics: fetch the last N months (a backfill)
  --json              works show, status: print JSON
  --format FORMAT     works export: bibtex or csl-json; --out FILE then names the file
                      written (default: standard output), and --state the database read
  --log-level LEVEL   trace, debug, info, warn, error (default: info)
  -h, --help          this text
  --version           the version

Exit codes: 0 all sources succeeded, 1 a source failed, 2 usage or configuration error,
3 another run holds a source (it was skipped), 130/143 stopped by SIGINT/SIGTERM after
committing the current page. status: 0 every source healthy, 1 a source failing, stale
or never harvested. schedule: runs until SIGINT/SIGTERM, then exits 0.`;

/** The command line asked for something it cannot do: the usage is printed with the reason. */
class UsageError extends HarvestError {
  override readonly code: ErrorCode = 'OAIH_USAGE';
}

export async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        config: { type: 'string' },
        out: { type: 'string' },
        state: { type: 'string' },
        source: { type: 'string', multiple: true },
        from: { type: 'string' },
        until: { type: 'string' },
        full: { type: 'boolean' },
        concurrency: { type: 'string' },
        months: { type: 'string' },
        identifier: { type: 'string' },
        json: { type: 'boolean' },
        rule: { type: 'string' },
        format: { type: 'string' },
        to: { type: 'string' },
        'log-level': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean' },
      },
    });
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${USAGE}\n`);
    return EXIT_USAGE;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return EXIT_OK;
  }
  if (values.version) {
    process.stdout.write(`${VERSION}\n`);
    return EXIT_OK;
  }
  const [command, ...rest] = positionals;
  const logger = createLogger(values['log-level'] ?? 'info');
  try {
    switch (command) {
      case 'run':
        if (rest.length > 0) throw new UsageError(`run takes no positional arguments (got ${rest.join(' ')})`);
        return await runCommand(values, logger);
      case 'identify':
      case 'formats':
      case 'sets':
        return await inspectCommand(command, rest, values.identifier);
      case 'works':
        return await worksCommand(rest, values);
      case 'stats':
        return await statsItemCommand(rest, values);
      case 'audit':
        return auditCommand(rest, values);
      case 'status':
        return statusCommand(rest, values);
      case 'schedule':
        return await scheduleCommand(rest, values, logger);
      default:
        throw new UsageError(command ? `unknown command "${command}"` : 'a command is required');
    }
  } catch (error) {
    if (error instanceof UsageError || error instanceof ConfigError) {
      process.stderr.write(`oai-harvester: ${error.message}\n`);
      if (error instanceof UsageError) process.stderr.write(`\n${USAGE}\n`);
      return EXIT_USAGE;
    }
    // Anything else (a full disk, a broken state database): one line, and a failed run's code.
    logger.error({ err: error }, (error as Error).message);
    process.stderr.write(`oai-harvester: ${redactText((error as Error).message)}\n`);
    return EXIT_SOURCE_FAILED;
  } finally {
    logger.flush();
  }
}

/** The config file every command reads (`--config`). */
function configOption(values: Record<string, unknown>): HarvestConfig {
  return loadConfig(resolve(String(values['config'] ?? 'config/sources.json')));
}

/** The output folder (`--out`) and the state database in it, or elsewhere with `--state`. */
function outputPaths(values: Record<string, unknown>): { out: string; stateFile: string } {
  const out = resolve(String(values['out'] ?? 'output'));
  return { out, stateFile: resolve(String(values['state'] ?? join(out, 'state.sqlite'))) };
}

/** The state database of an earlier harvest; commands that only read it refuse to create one. */
function existingState(stateFile: string): StateStore {
  if (!existsSync(stateFile)) throw new UsageError(`no state database at ${stateFile}; run a harvest first, or pass --out/--state`);
  return StateStore.open(stateFile);
}

async function runCommand(values: Record<string, unknown>, logger: ReturnType<typeof createLogger>): Promise<number> {
  const config = configOption(values);
  const sourceIds = (values['source'] as string[] | undefined) ?? [];
  const known = [...config.sources, ...config.bibtexSources].map((s) => s.id);
  const unknown = sourceIds.filter((id) => !known.includes(id));
  if (unknown.length > 0) {
    throw new UsageError(`no source with id ${unknown.map((u) => `"${u}"`).join(', ')} in ${config.file} (known: ${known.join(', ')})`);
  }
  for (const field of ['from', 'until'] as const) {
    const value = values[field];
    if (value !== undefined && !isDatestamp(String(value))) throw new UsageError(`--${field} must be YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ`);
  }
  const concurrency = concurrencyOption(values);
  let statsMonths: number | undefined;
  if (values['months'] !== undefined) {
    statsMonths = Number(values['months']);
    if (!Number.isInteger(statsMonths) || statsMonths < 1) throw new UsageError('--months must be a positive integer');
  }
  const paths = outputPaths(values);
  const stop = stopOnSignals(logger);
  const run = await harvest({
    signal: stop.signal,
    statsMonths,
    config,
    outDir: paths.out,
    stateFile: paths.stateFile,
    sourceIds,
    from: values['from'] as string | undefined,
    until: values['until'] as string | undefined,
    full: values['full'] === true,
    concurrency,
    logger,
    onProgress: terminalProgress(),
  });
  stop.release();
  clearProgress();
  process.stdout.write(`${runTable(run)}\n`);
  if (stop.received) return EXIT_SIGNAL[stop.received] ?? 1;
  if (run.ok) return EXIT_OK;
  const configFailure = run.sources.some((s) => s.error?.kind === 'config' || s.lists.some((l) => l.error?.kind === 'config'));
  if (configFailure) return EXIT_USAGE;
  if (run.sources.some((s) => s.status === 'failed')) return EXIT_SOURCE_FAILED;
  return EXIT_LOCKED;
}

function concurrencyOption(values: Record<string, unknown>): number | undefined {
  if (values['concurrency'] === undefined) return undefined;
  const concurrency = Number(values['concurrency']);
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new UsageError('--concurrency must be a positive integer');
  return concurrency;
}

/** The first SIGINT/SIGTERM finishes the page in hand and commits it; a second one stops at once. */
function stopOnSignals(logger: ReturnType<typeof createLogger>) {
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

async function scheduleCommand(args: string[], values: Record<string, unknown>, logger: ReturnType<typeof createLogger>): Promise<number> {
  if (args.length > 0) throw new UsageError(`schedule takes no positional arguments (got ${args.join(' ')})`);
  const config = configOption(values);
  const concurrency = concurrencyOption(values);
  const { out, stateFile } = outputPaths(values);
  const stop = stopOnSignals(logger);
  const summary = await runSchedule({
    config, outDir: out, stateFile, logger, signal: stop.signal, concurrency,
  });
  stop.release();
  logger.info({ ...summary }, 'schedule stopped');
  return EXIT_OK;
}

function statusCommand(args: string[], values: Record<string, unknown>): number {
  if (args.length > 0) throw new UsageError(`status takes no positional arguments (got ${args.join(' ')})`);
  const config = configOption(values);
  const { out, stateFile } = outputPaths(values);
  const report = statusReport(config, out, stateFile);
  process.stdout.write(values['json'] ? `${JSON.stringify(report, null, 2)}\n` : `${formatStatus(report)}\n`);
  return report.ok ? EXIT_OK : EXIT_SOURCE_FAILED;
}

async function worksCommand(args: string[], values: Record<string, unknown>): Promise<number> {
  const [sub, doi, ...extra] = args;
  if (sub === 'export' && doi === undefined) return worksExportCommand(values);
  const snapshot = sub === 'snapshot' && doi === undefined;
  if (!snapshot && (sub !== 'show' || !doi || extra.length > 0)) {
    throw new UsageError('works takes "show DOI" (any form of DOI, or a work id), "snapshot" or "export --format bibtex|csl-json"');
  }
  const { out, stateFile } = outputPaths(values);
  const state = existingState(stateFile);
  try {
    return snapshot ? await worksSnapshotCommand(state, out) : worksShowCommand(state, stateFile, doi!, values);
  } finally {
    state.close();
  }
}

/** `works export`: --out is the file written here, so the state is found by --state (default output/state.sqlite). */
function worksExportCommand(values: Record<string, unknown>): number {
  const format = values['format'];
  if (format !== 'bibtex' && format !== 'csl-json') throw new UsageError('works export takes --format bibtex or --format csl-json');
  const stateFile = resolve(String(values['state'] ?? join('output', 'state.sqlite')));
  const state = existingState(stateFile);
  try {
    const file = values['out'] === undefined ? undefined : resolve(String(values['out']));
    if (!file) {
      exportWorks(state.works.all(), format, (text) => process.stdout.write(text));
      return EXIT_OK;
    }
    const counts = exportWorksToFile(state, format, file);
    process.stderr.write(`${counts.works} works written to ${file} as ${format}\n`);
    return EXIT_OK;
  } finally {
    state.close();
  }
}

async function worksSnapshotCommand(state: StateStore, out: string): Promise<number> {
  const now = new Date();
  const written = await writeWorksSnapshot(state, out, `snapshot-${now.toISOString()}`, now);
  process.stdout.write(`${written.works} works written to ${worksFile(out)} (${written.probableDuplicates} groups of probable duplicates)\n`);
  return EXIT_OK;
}

function worksShowCommand(state: StateStore, stateFile: string, doi: string, values: Record<string, unknown>): number {
  const found = findWork(state, doi);
  if (!found) {
    process.stderr.write(`oai-harvester works show: no work for ${doi} in ${stateFile}\n`);
    return EXIT_SOURCE_FAILED;
  }
  process.stdout.write(`${values['json'] ? JSON.stringify(found.work, null, 2) : explainWork(found.work, found.records)}\n`);
  return EXIT_OK;
}

function auditCommand(args: string[], values: Record<string, unknown>): number {
  if (args.length > 0) throw new UsageError(`audit takes no positional arguments (got ${args.join(' ')})`);
  const rule = String(values['rule'] ?? 'ref2021');
  if (rule !== 'ref2021' && rule !== 'ref2029') throw new UsageError('--rule must be ref2021 or ref2029');
  for (const field of ['from', 'to'] as const) {
    const value = values[field];
    if (value !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(String(value))) throw new UsageError(`--${field} must be YYYY-MM-DD`);
  }
  const { out, stateFile } = outputPaths(values);
  const state = existingState(stateFile);
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
async function statsItemCommand(args: string[], values: Record<string, unknown>): Promise<number> {
  const [sub, url, eprintId, ...extra] = args;
  if (sub !== 'item' || !url || !URL.canParse(url) || !eprintId || !/^\d+$/.test(eprintId) || extra.length > 0) {
    throw new UsageError('stats item takes an EPrints OAI base URL (or its /cgi/stats/get URL) and an eprint id');
  }
  const months = values['months'] === undefined ? 12 : Number(values['months']);
  if (!Number.isInteger(months) || months < 1) throw new UsageError('--months must be a positive integer');
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

async function inspectCommand(command: 'identify' | 'formats' | 'sets', args: string[], identifier: string | undefined): Promise<number> {
  const [url] = args;
  if (!url || args.length > 1 || !URL.canParse(url)) throw new UsageError(`${command} takes one base URL, e.g. https://kar.kent.ac.uk/cgi/oai2`);
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

