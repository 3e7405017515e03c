// The commands, their arguments and options, and their help, on commander: each command
// takes only its own options (anything else is refused, with a suggestion for a typo), and
// `help <command>` or `<command> --help` prints that command's help.
import { Command, Option } from 'commander';

/** Node.js older than 24 lacks node:sqlite and zstd: the one line that says what to do, or undefined. */
export function nodeVersionProblem(version: string): string | undefined {
  const major = Number(version.replace(/^v/, '').split('.')[0]);
  return major >= 24 ? undefined
    : `oai-harvester: needs Node.js 24 or later, and this is ${version}; install Node.js 24 LTS, or run .ci/node24 in the project to fetch it (then put its bin folder first on PATH)\n`;
}

/** What a command does with its options and arguments; returns the exit code. */
export type Handler = (values: Record<string, unknown>, args: string[]) => Promise<number> | number;

export interface Handlers {
  run: Handler;
  schedule: Handler;
  status: Handler;
  identify: Handler;
  formats: Handler;
  sets: Handler;
  enqueue: Handler;
  worker: Handler;
  worksShow: Handler;
  worksSnapshot: Handler;
  worksExport: Handler;
  statsItem: Handler;
  audit: Handler;
}

const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'silent'];

const config = () => new Option('--config <file>', 'sources file').default('config/sources.json');
const out = () => new Option('--out <dir>', 'output folder').default('output');
const state = () => new Option('--state <file|url>', 'state: a SQLite file (default: <out>/state.sqlite, its works in <file>-works), or postgres://USER@HOST:PORT/DB for a fleet; also OAI_HARVESTER_STATE');
const logLevel = () => new Option('--log-level <level>', 'log level').choices(LOG_LEVELS).default('info');
const source = (what: string) => new Option('--source <id>', `${what} (repeatable)`).argParser((v: string, all: string[] = []) => [...all, v]);

export interface ProgramContext {
  version: string;
  handlers: Handlers;
  /** Runs a handler and keeps its exit code. */
  onAction: (handler: Handler, values: Record<string, unknown>, args: string[]) => Promise<void>;
  /** Where help and errors go; set before the commands are made, as they inherit it. */
  output: { writeOut: (text: string) => void; writeErr: (text: string) => void };
}

/** Every problem on one line, named by the program, with where to read more. */
function oneLine(text: string): string {
  return `oai-harvester: ${text.replace(/^error: /, '').replace(/\s*\n\s*/g, ' ').trim()} (see oai-harvester help)\n`;
}

/** The program; parsing throws a CommanderError instead of exiting. */
export function buildProgram({ version, handlers, onAction, output }: ProgramContext): Command {
  const program = new Command('oai-harvester')
    .exitOverride()
    .configureOutput({ ...output, outputError: (text, write) => write(oneLine(text)) })
    .description('Harvests open-access repositories over OAI-PMH into JSONL and Parquet, merges the copies of each paper by DOI, and audits deposit dates.')
    .version(version, '--version', 'the version')
    .helpOption('-h, --help', 'this help')
    .helpCommand('help [command]', 'the help of a command')
    .showSuggestionAfterError(true)
    .configureHelp({ sortSubcommands: false, showGlobalOptions: false })
    .addHelpText('after', `
Exit codes: 0 every source succeeded, 1 a source failed, 2 a usage, configuration or
environment problem, 3 another run holds a source (it was skipped), 130/143 stopped by
SIGINT/SIGTERM after committing the current page.`);
  const act = (handler: Handler) => async function (this: Command) {
    await onAction(handler, this.opts(), this.args);
  };
  const command = (parent: Command, name: string, description: string) => parent.command(name).description(description).allowExcessArguments(false);

  command(program, 'run', 'harvest the configured sources: new and changed records, works, tables')
    .addOption(config()).addOption(out()).addOption(state()).addOption(source('harvest only this source'))
    .option('--from <date>', 'records changed from DATE (YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ)')
    .option('--until <date>', 'records changed until DATE, inclusive')
    .option('--full', 'ignore the last harvest and harvest everything again')
    .option('--concurrency <n>', 'sources harvested at once (default: the config\'s, else 4)')
    .option('--months <n>', 'download statistics: fetch the last N months (a backfill)')
    .addOption(logLevel()).action(act(handlers.run));
  command(program, 'schedule', 'run each source on its cron schedule until SIGINT/SIGTERM')
    .addOption(config()).addOption(out()).addOption(state()).option('--concurrency <n>', 'sources harvested at once').addOption(logLevel())
    .action(act(handlers.schedule));
  command(program, 'enqueue', 'queue one harvest job per list of each source for the workers (PostgreSQL state)')
    .addOption(config()).addOption(state()).addOption(source('queue only this source'))
    .option('--full', 'the jobs harvest everything again').addOption(logLevel()).action(act(handlers.enqueue));
  command(program, 'worker', 'take harvest jobs from the queue until SIGINT/SIGTERM (PostgreSQL state)')
    .addOption(config()).addOption(out()).addOption(state())
    .option('--concurrency <n>', 'jobs at once, each on another host', '1')
    .option('--exit-when-idle', 'stop once no job is queued or active')
    .addOption(logLevel()).action(act(handlers.worker));
  command(program, 'status', 'how fresh and healthy each source is, from the state alone (exit 1 if one is not)')
    .addOption(config()).addOption(out()).addOption(state()).option('--json', 'print JSON').addOption(logLevel()).action(act(handlers.status));
  command(program, 'identify', 'print a repository\'s Identify as JSON').argument('<url>', 'OAI-PMH base URL').addOption(logLevel()).action(act(handlers.identify));
  command(program, 'formats', 'list a repository\'s metadata formats').argument('<url>', 'OAI-PMH base URL')
    .option('--identifier <id>', 'the formats of this record').addOption(logLevel()).action(act(handlers.formats));
  command(program, 'sets', 'list a repository\'s sets, EPrints\' hex setSpecs decoded').argument('<url>', 'OAI-PMH base URL').addOption(logLevel()).action(act(handlers.sets));

  const works = command(program, 'works', 'the merged works: show one, write works.jsonl, export citations');
  command(works, 'show', 'one work with the copy every value came from').argument('<doi>', 'a DOI in any written form, or a work id')
    .addOption(out()).addOption(state()).option('--json', 'print the work as JSON').addOption(logLevel()).action(act(handlers.worksShow));
  command(works, 'snapshot', 'write works.jsonl and the tables now').addOption(out()).addOption(state()).addOption(logLevel()).action(act(handlers.worksSnapshot));
  command(works, 'export', 'every active work as BibTeX or CSL-JSON')
    .addOption(new Option('--format <format>', 'citation format').choices(['bibtex', 'csl-json']).makeOptionMandatory())
    .option('--file <file>', 'the file written (default: standard output)')
    .addOption(out()).addOption(state()).addOption(logLevel())
    .action(act(handlers.worksExport));

  const stats = command(program, 'stats', 'download statistics');
  command(stats, 'item', 'one EPrints item\'s IRStats2 downloads per month').argument('<url>', 'EPrints OAI base URL, or its /cgi/stats/get URL')
    .argument('<eprintid>', 'the eprint id').option('--months <n>', 'months back', '12').addOption(logLevel()).action(act(handlers.statsItem));

  command(program, 'audit', 'judge every copy against a REF deposit rule; write audit/ and tables/audit.parquet')
    .addOption(new Option('--rule <rule>', 'REF rule').choices(['ref2021', 'ref2029']).default('ref2021'))
    .option('--from <date>', 'reference dates from DATE (YYYY-MM-DD)').option('--to <date>', 'reference dates until DATE, inclusive')
    .addOption(source('judge only this repository\'s copies')).addOption(out()).addOption(state()).addOption(logLevel()).action(act(handlers.audit));
  return program;
}
