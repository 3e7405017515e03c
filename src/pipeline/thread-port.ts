// How a pipeline thread's log lines and errors cross to the thread that started it: one way
// for a run's, a schedule's and a fleet worker's jobs. (Its first step is oai/threads.ts's.)
import { pino, type Logger } from 'pino';
import { errorCode, type ErrorCode } from '../oai/errors.ts';
import { redactText } from '../oai/secrets.ts';

/** An error as it crosses threads: its class's name, its message with secrets replaced, its stable code. */
export interface PortableError {
  name: string;
  message: string;
  code: ErrorCode;
}

/** A pino logger whose lines leave through `write` with their secrets replaced, as the caller's own logger writes them. */
export function lineLogger(level: string, write: (line: string) => void): Logger {
  return pino({ level, base: { pid: process.pid }, hooks: { streamWrite: (line: string) => redactText(line) } }, { write });
}

export function portableError(error: unknown): PortableError {
  const e = error as Error;
  return { name: e.name, message: redactText(e.message ?? String(error)), code: errorCode(error) };
}
