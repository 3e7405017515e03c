import { pino, type Logger } from 'pino';
import { redactText } from '../oai/secrets.ts';

/** Every line, whatever it holds, leaves with its secrets replaced. */
const hooks = { streamWrite: (line: string) => redactText(line) };

/** pino JSON on stderr; pretty when stderr is a terminal. stdout is for command output. */
export function createLogger(level: string, pretty: boolean = process.stderr.isTTY === true): Logger {
  if (pretty) {
    return pino({
      level,
      hooks,
      transport: { target: 'pino-pretty', options: { destination: 2, colorize: true, ignore: 'pid,hostname', translateTime: 'SYS:HH:MM:ss' } },
    });
  }
  return pino({ level, base: { pid: process.pid }, hooks }, pino.destination({ fd: 2, sync: true }));
}
