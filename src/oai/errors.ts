// One error class per failure a harvest can meet. Every error says where it happened
// (URL, verb) so a log line or run summary is enough to act on it.
import { redactText, redactUrl } from './secrets.ts';

/** Where the pipeline was when it failed (after DPLA ingestion3's stage-carrying errors). */
export type HarvestStage = 'http' | 'xml' | 'oai' | 'list' | 'record' | 'output' | 'state' | 'config' | 'stats' | 'file' | 'job';

export interface ErrorContext {
  url?: string;
  verb?: string;
  stage?: HarvestStage;
  /** First and last record identifier of the page that failed, when it had any. */
  firstId?: string;
  lastId?: string;
}

/**
 * Every failure's stable code, as undici gives its errors: summaries, exit decisions and logs
 * classify by it, never by a class name. Defined once here, the earliest stage, for all.
 */
export type ErrorCode =
  | 'OAIH_HARVEST' | 'OAIH_NETWORK' | 'OAIH_NO_ANSWER' | 'OAIH_REQUEST_DEADLINE' | 'OAIH_STOPPED' | 'OAIH_HTTP_STATUS' | 'OAIH_FORBIDDEN'
  | 'OAIH_RESPONSE_TOO_LARGE' | 'OAIH_RETRY_BUDGET' | 'OAIH_DISK_FULL' | 'OAIH_NOT_OAI' | 'OAIH_XML' | 'OAIH_PROTOCOL_VIOLATION'
  | 'OAIH_TOKEN_LOOP' | 'OAIH_EMPTY_PAGES'
  | 'OAIH_OAI_BAD_ARGUMENT' | 'OAIH_OAI_BAD_RESUMPTION_TOKEN' | 'OAIH_OAI_BAD_VERB' | 'OAIH_OAI_CANNOT_DISSEMINATE_FORMAT'
  | 'OAIH_OAI_ID_DOES_NOT_EXIST' | 'OAIH_OAI_NO_RECORDS_MATCH' | 'OAIH_OAI_NO_METADATA_FORMATS' | 'OAIH_OAI_NO_SET_HIERARCHY' | 'OAIH_OAI_UNKNOWN'
  // formats
  | 'OAIH_UNSUPPORTED_METADATA' | 'OAIH_NORMALIZER_BUG' | 'OAIH_BIBTEX'
  // crossref
  | 'OAIH_CROSSREF' | 'OAIH_CROSSREF_RATE_LIMITED'
  // config, store
  | 'OAIH_CONFIG' | 'OAIH_STORE_VERSION' | 'OAIH_STATE_DATABASE' | 'OAIH_JOB_FAILED' | 'OAIH_LOCKED'
  // stats, sinks
  | 'OAIH_STATS' | 'OAIH_STATS_CONFIG' | 'OAIH_COUNTER' | 'OAIH_IRSTATS2' | 'OAIH_SNAPSHOT_PATCH'
  // pipeline, cli
  | 'OAIH_INTERRUPTED' | 'OAIH_USAGE'
  // anything thrown without a code of ours: a bug, or a library's own failure
  | 'OAIH_INTERNAL';

/** The code of any thrown value: ours carry one; anything else is a bug or a library's failure. */
export function errorCode(error: unknown): ErrorCode {
  return error instanceof HarvestError ? error.code : 'OAIH_INTERNAL';
}

export class HarvestError extends Error {
  readonly code: ErrorCode = 'OAIH_HARVEST';
  readonly url: string | undefined;
  readonly verb: string | undefined;
  readonly stage: HarvestStage | undefined;
  firstId: string | undefined;
  lastId: string | undefined;
  constructor(message: string, context: ErrorContext = {}, options?: ErrorOptions) {
    // Every error passes here: a server's message echoing a URL with a key loses the key.
    super(redactText(message), options);
    this.name = new.target.name;
    this.url = context.url === undefined ? undefined : redactUrl(context.url);
    this.verb = context.verb;
    this.stage = context.stage;
    this.firstId = context.firstId;
    this.lastId = context.lastId;
  }
}

// --- transport -------------------------------------------------------------------------

/** A network failure (refused, reset, timeout) that outlived its retries. */
export class NetworkError extends HarvestError {
  override readonly code: ErrorCode = 'OAIH_NETWORK';
}

/** A server that took the connection and sent no answer (no status line) within readTimeoutMs. */
export class NoAnswerError extends NetworkError {
  override readonly code: ErrorCode = 'OAIH_NO_ANSWER';
}

/** A request that outlasted its whole-request deadline, however steadily its body came. */
export class RequestDeadlineError extends NetworkError {
  override readonly code: ErrorCode = 'OAIH_REQUEST_DEADLINE';
}

/** The caller asked to stop (SIGINT/SIGTERM) while a request waited to be retried; nothing was lost. */
export class StoppedError extends HarvestError {
  override readonly code: ErrorCode = 'OAIH_STOPPED';
}

/** A non-success HTTP status that is not retried or outlived its retries. */
export class HttpStatusError extends HarvestError {
  override readonly code: ErrorCode = 'OAIH_HTTP_STATUS';
  readonly status: number;
  constructor(status: number, bodyStart: string, context: ErrorContext) {
    super(`HTTP ${status}${bodyStart ? `: ${bodyStart}` : ''}`, context);
    this.status = status;
  }
}

/** 403: the server refuses us; harvesting guidelines say stop, do not retry. */
export class ForbiddenError extends HttpStatusError {
  override readonly code: ErrorCode = 'OAIH_FORBIDDEN';
}

export class ResponseTooLargeError extends HarvestError {
  override readonly code: ErrorCode = 'OAIH_RESPONSE_TOO_LARGE';
}

/** The retry budget of a source is spent; `cause` is the last failure. */
export class RetryBudgetExhaustedError extends HarvestError {
  override readonly code: ErrorCode = 'OAIH_RETRY_BUDGET';
}

// --- local resources --------------------------------------------------------------------

/**
 * The disk (or the database's file) is full: what was committed stays, nothing half written
 * is kept, and the next run resumes once there is room.
 */
export class DiskFullError extends HarvestError {
  override readonly code: ErrorCode = 'OAIH_DISK_FULL';
}

/** Whether an error is the disk being full: ENOSPC from a write, SQLITE_FULL from the database. */
export function isDiskFull(error: unknown): boolean {
  for (let e = error as { code?: unknown; errcode?: unknown; message?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 5; e = e.cause as typeof e, depth++) {
    if (e instanceof DiskFullError || e.code === 'ENOSPC' || e.errcode === 13 || /database or disk is full|SQLITE_FULL|ENOSPC|no space left/i.test(String(e.message ?? ''))) return true;
  }
  return false;
}

// --- response content ------------------------------------------------------------------

/** A 200 response whose body is not OAI-PMH XML, e.g. an HTML error page. */
export class NotOaiResponseError extends HarvestError {
  override readonly code: ErrorCode = 'OAIH_NOT_OAI';
}

/** The body is XML-ish but broken: truncated, mismatched, DOCTYPE, bad encoding. */
export class XmlError extends HarvestError {
  override readonly code: ErrorCode = 'OAIH_XML';
}

/**
 * The response breaks the protocol in a way that makes it unsafe to go on: an <error> beside
 * records or a token, where the protocol allows one or the other. The list stops at the last
 * committed page, so the next run asks for this page again.
 */
export class ProtocolViolationError extends HarvestError {
  override readonly code: ErrorCode = 'OAIH_PROTOCOL_VIOLATION';
}

// --- list flow -------------------------------------------------------------------------

/** The server handed back a resumptionToken it had already given in this list. */
export class TokenLoopError extends HarvestError {
  override readonly code: ErrorCode = 'OAIH_TOKEN_LOOP';
}

/** Too many pages in a row with no records but a token: the list is not progressing. */
export class EmptyPagesError extends HarvestError {
  override readonly code: ErrorCode = 'OAIH_EMPTY_PAGES';
}

// --- OAI-PMH error codes (§3.6 of the protocol) ---------------------------------------

export class OaiError extends HarvestError {
  /** The protocol's own code (`badArgument`, …); `code` is ours. */
  readonly oaiCode: string;
  /** Every <error> of the response, in document order (usually one). */
  readonly errors: readonly { code: string; message: string }[];
  constructor(
    code: string,
    message: string,
    context: ErrorContext,
    errors: readonly { code: string; message: string }[] = [{ code, message }],
  ) {
    super(`OAI-PMH error ${code}${message ? `: ${message}` : ''}`, context);
    this.oaiCode = code;
    this.errors = errors;
  }
}
export class BadArgumentError extends OaiError {
  override readonly code: ErrorCode = 'OAIH_OAI_BAD_ARGUMENT';
}
export class BadResumptionTokenError extends OaiError {
  override readonly code: ErrorCode = 'OAIH_OAI_BAD_RESUMPTION_TOKEN';
}
export class BadVerbError extends OaiError {
  override readonly code: ErrorCode = 'OAIH_OAI_BAD_VERB';
}
export class CannotDisseminateFormatError extends OaiError {
  override readonly code: ErrorCode = 'OAIH_OAI_CANNOT_DISSEMINATE_FORMAT';
  /** Filled in by the harvester from ListMetadataFormats, when it could ask. */
  offeredFormats: string[] = [];
}
export class IdDoesNotExistError extends OaiError {
  override readonly code: ErrorCode = 'OAIH_OAI_ID_DOES_NOT_EXIST';
}
export class NoRecordsMatchError extends OaiError {
  override readonly code: ErrorCode = 'OAIH_OAI_NO_RECORDS_MATCH';
}
export class NoMetadataFormatsError extends OaiError {
  override readonly code: ErrorCode = 'OAIH_OAI_NO_METADATA_FORMATS';
}
export class NoSetHierarchyError extends OaiError {
  override readonly code: ErrorCode = 'OAIH_OAI_NO_SET_HIERARCHY';
}
/** A code outside the protocol's list (metha has met `InternalException`). */
export class UnknownOaiError extends OaiError {
  override readonly code: ErrorCode = 'OAIH_OAI_UNKNOWN';
}

const OAI_ERROR_CLASSES: Record<string, typeof OaiError> = {
  badArgument: BadArgumentError,
  badResumptionToken: BadResumptionTokenError,
  badVerb: BadVerbError,
  cannotDisseminateFormat: CannotDisseminateFormatError,
  idDoesNotExist: IdDoesNotExistError,
  noRecordsMatch: NoRecordsMatchError,
  noMetadataFormats: NoMetadataFormatsError,
  noSetHierarchy: NoSetHierarchyError,
};

/**
 * Builds the typed error for the <error> elements of one response. With several, the
 * most consequential code decides the class; all are kept in `errors`.
 */
export function oaiErrorFrom(
  errors: readonly { code: string; message: string }[],
  context: ErrorContext,
): OaiError {
  const precedence = [
    'badVerb',
    'badArgument',
    'cannotDisseminateFormat',
    'badResumptionToken',
    'idDoesNotExist',
    'noMetadataFormats',
    'noSetHierarchy',
    'noRecordsMatch',
  ];
  const ranked = [...errors].sort((a, b) => rank(a.code) - rank(b.code));
  const main = ranked[0] ?? { code: 'unknown', message: '' };
  const Class = OAI_ERROR_CLASSES[main.code] ?? UnknownOaiError;
  return new Class(main.code, errors.map((e) => e.message).filter(Boolean).join('; '), context, errors);

  function rank(code: string): number {
    const i = precedence.indexOf(code);
    // Unknown codes rank first: they are the ones a person has to look at.
    return i === -1 ? -1 : i;
  }
}

// --- across threads ----------------------------------------------------------------------

export interface SerializedError {
  name: string;
  message: string;
  context: ErrorContext;
  errors?: readonly { code: string; message: string }[];
}

const PLAIN_CLASSES: Record<string, new (message: string, context: ErrorContext) => HarvestError> = {
  HarvestError, NetworkError, RequestDeadlineError, DiskFullError, ResponseTooLargeError, RetryBudgetExhaustedError, NotOaiResponseError, XmlError,
  ProtocolViolationError, TokenLoopError, EmptyPagesError,
};

export function errorToJson(error: unknown): SerializedError {
  const e = error instanceof Error ? error : new Error(String(error));
  const serialized: SerializedError = { name: e.name, message: e.message, context: {} };
  if (error instanceof HarvestError) {
    const { url, verb, stage, firstId, lastId } = error;
    serialized.context = Object.fromEntries(Object.entries({ url, verb, stage, firstId, lastId }).filter(([, v]) => v !== undefined));
  }
  if (error instanceof OaiError) serialized.errors = error.errors;
  return serialized;
}

/** The error as it was thrown on the other side: same class, message and context. */
export function errorFromJson(json: SerializedError): Error {
  if (json.errors) return oaiErrorFrom(json.errors, json.context);
  const Class = PLAIN_CLASSES[json.name];
  if (Class) return new Class(json.message, json.context);
  const error = new Error(json.message);
  error.name = json.name;
  return error;
}
