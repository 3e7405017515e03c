// What each worker thread of the harvester does first, and how its log lines and errors cross
// to the thread that started it: one way for a run's, a schedule's and a fleet worker's jobs.
import nodeModule from 'node:module';
import { pino, type Logger } from 'pino';
import { errorCode, type ErrorCode } from '../oai/errors.ts';
import { redactText, registerSecret } from '../oai/secrets.ts';

/** An error as it crosses threads: its class's name, its message with secrets replaced, its stable code. */
export interface PortableError {
  name: string;
  message: string;
  code: ErrorCode;
}

/**
 * A thread's first step: the compile cache, which a thread does not share with its process
 * (before the thread's own modules load), and the secrets its starter knows (a source's
 * password was registered where its config was parsed).
 */
export function enterThread(secrets: readonly string[]): void {
  nodeModule.enableCompileCache?.();
  for (const secret of secrets) registerSecret(secret);
}

/** A pino logger whose lines leave through `write` with their secrets replaced, as the caller's own logger writes them. */
export function lineLogger(level: string, write: (line: string) => void): Logger {
  return pino({ level, base: { pid: process.pid }, hooks: { streamWrite: (line: string) => redactText(line) } }, { write });
}

export function portableError(error: unknown): PortableError {
  const e = error as Error;
  return { name: e.name, message: redactText(e.message ?? String(error)), code: errorCode(error) };
}
