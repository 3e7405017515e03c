import { createRequire } from 'node:module';
import { pino, type Logger } from 'pino';
import { redactText } from '../oai/secrets.ts';

/** Every line, whatever it holds, leaves with its secrets replaced. */
const hooks = { streamWrite: (line: string) => redactText(line) };

export interface LoggerOptions {
  /** Pretty lines for a person; JSON (one object a line) otherwise. Defaults to whether stderr is a terminal. */
  pretty?: boolean | undefined;
  /** Where pretty lines go: above a progress display, when one is shown. Defaults to stderr. */
  print?: ((text: string) => void) | undefined;
}

/**
 * Where pino's JSON lines go: stderr as they are, or pretty for a person. Lines logged in the
 * run's worker thread come here too, so both threads' lines look alike and keep their order.
 */
export function logOutput(options: LoggerOptions = {}): (line: string) => void {
  if (!(options.pretty ?? process.stderr.isTTY === true)) {
    // SonicBoom, synchronous: a line is out before the process may exit, and a full pipe is waited for.
    const stderr = pino.destination({ fd: 2, sync: true });
    return (line) => void stderr.write(line);
  }
  // Required here, for a person only: a run under cron never loads it. Formatted in this
  // thread, not in a transport's, so each line can go above the progress display.
  const { prettyFactory } = createRequire(import.meta.url)('pino-pretty') as typeof import('pino-pretty');
  // One line per entry, the source first: a person reads a run's log as it scrolls by.
  const pretty = prettyFactory({
    colorize: true, singleLine: true, ignore: 'pid,hostname,source', translateTime: 'SYS:HH:MM:ss',
    messageFormat: '{if source}{source}: {end}{msg}',
  });
  const print = options.print ?? ((text: string) => process.stderr.write(text));
  return (line) => print(pretty(line));
}

/** pino JSON on stderr; pretty when stderr is a terminal (see logOutput). stdout is for command output. */
export function createLogger(level: string, write: (line: string) => void = logOutput()): Logger {
  return pino({ level, base: { pid: process.pid }, hooks }, { write });
}
