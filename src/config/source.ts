// One entry of "sources" → a typed source: who it is, how it is asked, what is harvested and
// read from it, and when.
import { DEFAULT_RETRY, type RetryPolicy } from '../oai/retry-policy.ts';
import { isDatestamp } from '../oai/dates.ts';
import { registerSecret } from '../oai/secrets.ts';
import { checkCron, FieldReader, httpUrlProblem, isObject, unknownField, type Fail } from './fields.ts';
import { parseStats, type StatsConfig } from './stats.ts';

export const VERSION = '0.1.0';
export const DEFAULT_USER_AGENT = `oai-harvester/${VERSION} (OAI-PMH 2.0 harvester; Node.js)`;

export interface SourceIdentity {
  id: string;
  name: string;
  /** Without credentials: those given in it are in `basicAuth`. */
  baseUrl: string;
  /** Basic credentials taken from the configured base URL's userinfo, sent to its origin only. */
  basicAuth: { origin: string; header: string } | undefined;
}

/** How the source's server is asked (the oai stage's HttpOptions are made from these). */
export interface SourceHttpConfig {
  minDelayMs: number;
  concurrency: number;
  userAgent: string;
  contact: string | undefined;
  connectTimeoutMs: number;
  readTimeoutMs: number;
  /** The longest a whole request may take (a body trickling in trips no idle timeout). */
  requestTimeoutMs: number;
  maxResponseBytes: number;
  retry: RetryPolicy;
}

/** Which lists are harvested, and how a list is kept honest. */
export interface SourceListConfig {
  metadataPrefixes: string[];
  sets: string[];
  from: string | undefined;
  until: string | undefined;
  overlapMinutes: number;
  maxEmptyPages: number;
  /** Pages in a row holding only records already harvested in the list before it counts as a loop. */
  maxRepeatedPages: number;
  /** A first or --full harvest of each list is cut into this many datestamp windows, harvested `concurrency` at a time (1: not cut). */
  partitions: number;
}

/** What is read from each record, and from where besides the list. */
export interface SourceRecordConfig {
  /** Normalise records into the common record (default); false keeps raw metadata only. */
  commonRecord: boolean;
  /** Formats harvested as well when the server offers them (e.g. rioxx), merged per record. */
  richerFormats: string[];
  /** Per-record enrichments, e.g. "eprints-export". */
  enrich: string[];
  /** URL template of the EPrints export, with {id}; derived from baseUrl when unset. */
  exportUrl: string | undefined;
  /** URL template of an EPrints year browse-view export, with {year}; derived when unset; false: per-item exports only. */
  exportViewUrl: string | false | undefined;
  /** Download statistics for the source's records. */
  stats: StatsConfig | undefined;
}

export interface SourceScheduleConfig {
  /** Cron expression for `schedule` (the source's own, else the config's default); undefined: not scheduled. */
  schedule: string | undefined;
  /** `status` calls the data stale after this many hours without a successful run (default: two scheduled intervals, else 48). */
  staleAfterHours: number | undefined;
}

export type SourceConfig = SourceIdentity & SourceHttpConfig & SourceListConfig & SourceRecordConfig & SourceScheduleConfig;

/** The config's defaults a source falls back on. */
export interface SourceDefaults {
  schedule: string | undefined;
  timezone: string | undefined;
}

const SOURCE_KEYS = new Set([
  'type',
  'id', 'name', 'baseUrl', 'metadataPrefix', 'sets', 'from', 'until', 'minDelayMs', 'concurrency', 'userAgent',
  'contact', 'overlapMinutes', 'connectTimeoutMs', 'readTimeoutMs', 'requestTimeoutMs', 'maxResponseBytes', 'maxEmptyPages', 'maxRepeatedPages', 'retry',
  'commonRecord', 'enrich', 'exportUrl', 'exportViewUrl', 'richerFormats', 'stats', 'schedule', 'staleAfterHours', 'partitions',
]);
const RETRY_KEYS = new Set(Object.keys(DEFAULT_RETRY));
const PREFIX = /^[A-Za-z0-9_.!~*'()-]+$/;

/** A source's id: it names output folders, so it is kept to safe characters. */
export function parseSourceId(raw: unknown, position: string, fail: Fail): string {
  if (!isObject(raw)) return fail(position, 'must be an object');
  const id = raw['id'];
  if (typeof id !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(id)) {
    return fail(`${position} field "id"`, 'must be a string of letters, digits, ".", "_" or "-" (it names output folders)');
  }
  return id;
}

export function parseSource(raw: Record<string, unknown>, id: string, fail: Fail, defaults: SourceDefaults): SourceConfig {
  const fields = new FieldReader(raw, (field) => `source "${id}" field "${field}"`, fail);
  for (const key of Object.keys(raw)) if (!SOURCE_KEYS.has(key)) fields.fail(key, unknownField(key, SOURCE_KEYS));
  const baseUrl = raw['baseUrl'];
  if (typeof baseUrl !== 'string' || !URL.canParse(baseUrl) || !/^https?:$/.test(new URL(baseUrl).protocol)) fields.fail('baseUrl', 'must be an http(s) URL');
  const lists = parseLists(fields);
  return {
    id,
    name: fields.optionalString('name') ?? id,
    ...basicAuthOf(baseUrl as string),
    ...parseHttp(fields),
    ...lists,
    ...parseRecords(fields, lists.metadataPrefixes),
    ...parseSchedule(fields, defaults),
  };
}

function parseHttp(fields: FieldReader): SourceHttpConfig {
  const contact = fields.optionalString('contact');
  if (contact !== undefined && !/^[^\s@]+@[^\s@]+$/.test(contact)) fields.fail('contact', 'must be an e-mail address');
  const userAgent = fields.optionalString('userAgent') ?? DEFAULT_USER_AGENT;
  return {
    minDelayMs: fields.integer('minDelayMs', 1000),
    concurrency: fields.integer('concurrency', 1, 1),
    userAgent: contact && !userAgent.includes(contact) ? `${userAgent.replace(/\)$/, '')}; mailto:${contact})` : userAgent,
    contact,
    connectTimeoutMs: fields.integer('connectTimeoutMs', 30_000, 1),
    readTimeoutMs: fields.integer('readTimeoutMs', 60_000, 1),
    requestTimeoutMs: fields.integer('requestTimeoutMs', 600_000, 1),
    maxResponseBytes: fields.integer('maxResponseBytes', 256 * 1024 * 1024, 1024),
    retry: parseRetry(fields),
  };
}

function parseRetry(fields: FieldReader): RetryPolicy {
  const raw = fields.raw['retry'] ?? {};
  if (!isObject(raw)) fields.fail('retry', 'must be an object');
  const retry: RetryPolicy = { ...DEFAULT_RETRY };
  for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
    if (!RETRY_KEYS.has(key)) fields.fail(`retry.${key}`, `unknown field (expected one of ${[...RETRY_KEYS].join(', ')})`);
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) fields.fail(`retry.${key}`, 'must be an integer ≥ 0');
    retry[key as keyof RetryPolicy] = value as number;
  }
  if (retry.maxAttempts < 1 || retry.maxContentAttempts < 1) fields.fail('retry', 'attempts must be at least 1');
  return retry;
}

function parseLists(fields: FieldReader): SourceListConfig {
  const prefixValue = fields.raw['metadataPrefix'] ?? 'oai_dc';
  const metadataPrefixes = Array.isArray(prefixValue) ? prefixValue : [prefixValue];
  if (metadataPrefixes.length === 0 || !metadataPrefixes.every((p) => typeof p === 'string' && PREFIX.test(p))) {
    fields.fail('metadataPrefix', 'must be a metadataPrefix such as "oai_dc", or a non-empty array of them');
  }
  const bound = (field: 'from' | 'until') => {
    const value = fields.raw[field];
    if (value !== undefined && (typeof value !== 'string' || !isDatestamp(value))) fields.fail(field, 'must be a date, YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ');
    return value as string | undefined;
  };
  return {
    metadataPrefixes: [...new Set(metadataPrefixes as string[])],
    sets: fields.strings('sets', [], (s) => s.trim() !== '', 'must be an array of setSpecs'),
    from: bound('from'),
    until: bound('until'),
    overlapMinutes: fields.integer('overlapMinutes', 60),
    maxEmptyPages: fields.integer('maxEmptyPages', 10, 1),
    maxRepeatedPages: fields.integer('maxRepeatedPages', 10, 1),
    partitions: fields.integer('partitions', 1, 1),
  };
}

function parseRecords(fields: FieldReader, metadataPrefixes: readonly string[]): SourceRecordConfig {
  const commonRecord = fields.boolean('commonRecord', true);
  const stats = parseStats(fields.raw['stats'], (field, message) => fields.fail(`stats${field ? `.${field}` : ''}`, message));
  const richer = fields.strings('richerFormats', [], (p) => PREFIX.test(p), 'must be an array of metadataPrefixes, e.g. ["rioxx"]');
  const enrich = fields.strings('enrich', [], (e) => e === 'eprints-export', 'must be an array of enrichments: "eprints-export"');
  const exportUrl = fields.optionalString('exportUrl');
  if (exportUrl !== undefined && (!exportUrl.includes('{id}') || httpUrlProblem(exportUrl.replace(/\{id\}/g, '1')))) {
    fields.fail('exportUrl', `must be a URL with {id} where the EPrints id goes${exportUrl.includes('{id}') ? `: ${httpUrlProblem(exportUrl.replace(/\{id\}/g, '1'))}` : ''}`);
  }
  const exportViewUrl = fields.raw['exportViewUrl'];
  if (exportViewUrl !== undefined && exportViewUrl !== false &&
      (typeof exportViewUrl !== 'string' || !exportViewUrl.includes('{year}') || httpUrlProblem(exportViewUrl.replace(/\{year\}/g, '2021')))) {
    fields.fail('exportViewUrl', 'must be an http(s) URL with {year} where the year goes, or false');
  }
  if (enrich.length > 0 && !commonRecord) fields.fail('enrich', 'needs the common record (commonRecord: true)');
  return {
    commonRecord, stats, richerFormats: richer.filter((p) => !metadataPrefixes.includes(p)), enrich, exportUrl,
    exportViewUrl: exportViewUrl as string | false | undefined,
  };
}

function parseSchedule(fields: FieldReader, defaults: SourceDefaults): SourceScheduleConfig {
  // false keeps a source out of the config's default schedule (it is still harvested by `run`).
  const own = fields.raw['schedule'];
  if (own !== undefined && own !== false) checkCron(own, defaults.timezone, (m) => fields.fail('schedule', m));
  const staleAfterHours = fields.raw['staleAfterHours'];
  if (staleAfterHours !== undefined && (typeof staleAfterHours !== 'number' || !(staleAfterHours > 0))) fields.fail('staleAfterHours', 'must be a number of hours > 0');
  return { schedule: own === false ? undefined : ((own as string | undefined) ?? defaults.schedule), staleAfterHours: staleAfterHours as number | undefined };
}

/**
 * Credentials in a base URL (https://user:pass@host/oai) are taken out of it and sent as Basic
 * auth to that origin only: the URL that is logged, summarised and stored has none.
 */
function basicAuthOf(baseUrl: string): { baseUrl: string; basicAuth: SourceConfig['basicAuth'] } {
  const url = new URL(baseUrl);
  if (!url.username && !url.password) return { baseUrl, basicAuth: undefined };
  const user = decodeURIComponent(url.username);
  const password = decodeURIComponent(url.password);
  const header = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
  for (const secret of [password, url.password, `${user}:${password}`, header.slice(6)]) registerSecret(secret);
  url.username = '';
  url.password = '';
  return { baseUrl: url.href, basicAuth: { origin: url.origin, header } };
}
