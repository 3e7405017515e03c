// The run's own failures, and how a failure's code decides what the run does next.
import type { Logger } from 'pino';
import { HarvestError, isDiskFull, type ErrorCode } from '../oai/errors.ts';

/** The run was asked to stop (SIGINT/SIGTERM); what was committed stays, and the next run resumes there. */
export class InterruptedError extends HarvestError {
  override readonly code: ErrorCode = 'OAIH_INTERRUPTED';
}

/** Another run holds the source's lock: this run skipped it. */
export class LockedError extends HarvestError {
  override readonly code: ErrorCode = 'OAIH_LOCKED';
}

/** Some records hit a bug in a normaliser: their raw metadata is kept, and the run fails so someone looks. */
export class NormalizerBugError extends HarvestError {
  override readonly code: ErrorCode = 'OAIH_NORMALIZER_BUG';
}

/** A source stopped because it was asked to, not because it failed. */
export const STOPPED_CODES: ReadonlySet<ErrorCode> = new Set(['OAIH_INTERRUPTED', 'OAIH_STOPPED']);

/**
 * Failures that end every list of a source, not only the one that met them: transport trouble
 * (the same server answers every list), a full disk, and a stop.
 */
const SOURCE_ENDING_CODES: ReadonlySet<ErrorCode> = new Set([
  'OAIH_FORBIDDEN', 'OAIH_RETRY_BUDGET', 'OAIH_NETWORK', 'OAIH_NO_ANSWER', 'OAIH_REQUEST_DEADLINE', 'OAIH_DISK_FULL', 'OAIH_HTTP_STATUS', ...STOPPED_CODES,
]);

export function endsSource(code: ErrorCode): boolean {
  return SOURCE_ENDING_CODES.has(code);
}

/** Bookkeeping on the way out of a failure: a full disk refusing it must not hide the failure itself. */
export function noted(log: Logger, what: string, write: () => void): void {
  try {
    write();
  } catch (error) {
    if (!isDiskFull(error)) throw error;
    log.error({ err: error }, `could not note ${what}: the disk is full`);
  }
}
