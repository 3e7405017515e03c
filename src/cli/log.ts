import { pino, type Logger } from 'pino';
import { createRequire } from 'node:module';
import { redactText } from '../oai/secrets.ts';

/** Every line, whatever it holds, leaves with its secrets replaced. */
const hooks = { streamWrite: (line: string) => redactText(line) };

export interface LoggerOptions {
  /** Pretty lines for a person; JSON (one object a line) otherwise. Defaults to whether stderr is a terminal. */
  pretty?: boolean | undefined;
  /** Where pretty lines go: above a progress display, when one is shown. Defaults to stderr. */
  print?: ((text: string) => void) | undefined;
}

/** pino JSON on stderr; pretty when stderr is a terminal. stdout is for command output. */
export function createLogger(level: string, options: LoggerOptions = {}): Logger {
  if (options.pretty ?? process.stderr.isTTY === true) {
    // Formatted here, not in a transport's thread, so each line can go above the progress display.
    // One line per entry, the source first: a person reads a run's log as it scrolls by.
    // Required here, for a person only: a run under cron never loads it.
    const { prettyFactory } = createRequire(import.meta.url)('pino-pretty') as typeof import('pino-pretty');
    const pretty = prettyFactory({
      colorize: true, singleLine: true, ignore: 'pid,hostname,source', translateTime: 'SYS:HH:MM:ss',
      messageFormat: '{if source}{source}: {end}{msg}',
    });
    const print = options.print ?? ((text: string) => process.stderr.write(text));
    return pino({ level, hooks }, { write: (line: string) => print(pretty(line)) });
  }
  return pino({ level, base: { pid: process.pid }, hooks }, pino.destination({ fd: 2, sync: true }));
}
