// config/sources.json → typed, validated sources. Every message names the file, the
// source and the field, because cron mail is read by people who did not write the file.
import { readFileSync } from 'node:fs';
import { Cron } from 'croner';
import { DEFAULT_RETRY, type RetryPolicy } from '../oai/http.ts';
import { isDatestamp } from '../oai/dates.ts';
import { registerSecret } from '../oai/secrets.ts';

export const VERSION = '0.1.0';
export const DEFAULT_USER_AGENT = `oai-harvester/${VERSION} (OAI-PMH 2.0 harvester; Node.js)`;

export interface SourceConfig {
  id: string;
  name: string;
  /** Without credentials: those given in it are in `basicAuth`. */
  baseUrl: string;
  /** Basic credentials taken from the configured base URL's userinfo, sent to its origin only. */
  basicAuth: { origin: string; header: string } | undefined;
  metadataPrefixes: string[];
  sets: string[];
  from: string | undefined;
  until: string | undefined;
  minDelayMs: number;
  concurrency: number;
  userAgent: string;
  contact: string | undefined;
  overlapMinutes: number;
  connectTimeoutMs: number;
  readTimeoutMs: number;
  /** The longest a whole request may take (a body trickling in trips no idle timeout). */
  requestTimeoutMs: number;
  maxResponseBytes: number;
  maxEmptyPages: number;
  /** Pages in a row holding only records already harvested in the list before it counts as a loop. */
  maxRepeatedPages: number;
  /** Normalise records into the common record (default); false keeps raw metadata only. */
  commonRecord: boolean;
  /** Formats harvested as well when the server offers them (e.g. rioxx), merged per record. */
  richerFormats: string[];
  /** Download statistics for the source's records. */
  stats: StatsConfig | undefined;
  /** Per-record enrichments, e.g. "eprints-export". */
  enrich: string[];
  /** URL template of the EPrints export, with {id}; derived from baseUrl when unset. */
  exportUrl: string | undefined;
  /** URL template of an EPrints year browse-view export, with {year}; derived when unset; false: per-item exports only. */
  exportViewUrl: string | false | undefined;
  retry: RetryPolicy;
  /** Cron expression for `schedule` (the source's own, else the config's default); undefined: not scheduled. */
  schedule: string | undefined;
  /** `status` calls the data stale after this many hours without a successful run (default: two scheduled intervals, else 48). */
  staleAfterHours: number | undefined;
  /** A first or --full harvest of each list is cut into this many datestamp windows, harvested `concurrency` at a time (1: not cut). */
  partitions: number;
}

export type StatsConfig =
  | { type: 'irstats2'; url: string | undefined; months: number }
  | {
      type: 'counter'; url: string; release: '5' | '5.1'; report: 'ir' | 'ir_a1'; customerId: string;
      requestorId: string | undefined; platform: string | undefined; apiKeyEnv: string | undefined; months: number;
    };

export interface HarvestConfig {
  file: string;
  works: { sourcePriority: string[]; mergeProbableDuplicates: boolean; snapshotEveryHours: number };
  /** How many sources are harvested at once (each host stays at its own limit). */
  concurrency: number;
  /** IANA time zone the cron expressions are read in; the machine's own when unset. */
  timezone: string | undefined;
  sources: SourceConfig[];
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

const SOURCE_KEYS = new Set([
  'id', 'name', 'baseUrl', 'metadataPrefix', 'sets', 'from', 'until', 'minDelayMs', 'concurrency', 'userAgent',
  'contact', 'overlapMinutes', 'connectTimeoutMs', 'readTimeoutMs', 'requestTimeoutMs', 'maxResponseBytes', 'maxEmptyPages', 'maxRepeatedPages', 'retry',
  'commonRecord', 'enrich', 'exportUrl', 'exportViewUrl', 'richerFormats', 'stats', 'schedule', 'staleAfterHours', 'partitions',
]);
const TOP_KEYS = ['sources', 'concurrency', 'works', 'schedule', 'timezone', '$schema'];
const RETRY_KEYS = new Set(Object.keys(DEFAULT_RETRY));

/** An http(s) URL without credentials in it; the reason it is not, otherwise. */
function httpUrlProblem(value: string): string | undefined {
  if (!URL.canParse(value)) return 'must be an http(s) URL';
  const url = new URL(value);
  if (!/^https?:$/.test(url.protocol)) return `must be an http(s) URL (not ${url.protocol.replace(/:$/, '')})`;
  if (url.username || url.password) return 'must not hold credentials (user:password@): give them in the baseUrl, which sends them as Basic auth';
  return undefined;
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

export function loadConfig(file: string): HarvestConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(`${file}: cannot read the configuration: ${(error as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`${file}: not valid JSON: ${(error as Error).message}`);
  }
  return parseConfig(json, file);
}

export function parseConfig(json: unknown, file: string): HarvestConfig {
  const fail = (where: string, message: string): never => {
    throw new ConfigError(`${file}: ${where}: ${message}`);
  };
  if (!isObject(json)) return fail('top level', 'must be an object with "sources"');
  for (const key of Object.keys(json)) {
    if (!TOP_KEYS.includes(key)) fail(`"${key}"`, `unknown field (expected ${TOP_KEYS.slice(0, -1).map((k) => `"${k}"`).join(', ')})`);
  }
  const concurrency = json['concurrency'] ?? 4;
  if (!isPositiveInteger(concurrency)) fail('"concurrency"', 'must be a positive integer');
  const timezone = json['timezone'];
  if (timezone !== undefined && (typeof timezone !== 'string' || !isTimeZone(timezone))) fail('"timezone"', 'must be an IANA time zone such as "Europe/London"');
  const defaultSchedule = json['schedule'];
  if (defaultSchedule !== undefined) checkCron(defaultSchedule, timezone as string | undefined, (m) => fail('"schedule"', m));
  const list = json['sources'];
  if (!Array.isArray(list) || list.length === 0) return fail('"sources"', 'must be a non-empty array');
  const seen = new Set<string>();
  const sources = list.map((raw, index) => {
    const source = parseSource(raw, `sources[${index}]`, fail, defaultSchedule as string | undefined, timezone as string | undefined);
    if (seen.has(source.id)) fail(`source "${source.id}"`, 'the id is used twice');
    seen.add(source.id);
    return source;
  });
  const works = json['works'] ?? {};
  if (!isObject(works)) return fail('"works"', 'must be an object');
  for (const key of Object.keys(works)) {
    if (!WORKS_FIELDS.includes(key)) fail(`"works.${key}"`, `unknown field (expected ${WORKS_FIELDS.map((f) => `"${f}"`).join(', ')})`);
  }
  const snapshotEveryHours = works['snapshotEveryHours'] ?? 0;
  if (typeof snapshotEveryHours !== 'number' || !(snapshotEveryHours >= 0)) fail('"works.snapshotEveryHours"', 'must be a number of hours >= 0 (0: every run that changed works)');
  const mergeProbableDuplicates = works['mergeProbableDuplicates'] ?? false;
  if (typeof mergeProbableDuplicates !== 'boolean') fail('"works.mergeProbableDuplicates"', 'must be true or false');
  const priority = works['sourcePriority'] ?? [];
  if (!Array.isArray(priority) || !priority.every((p) => typeof p === 'string' && seen.has(p))) {
    fail('"works.sourcePriority"', 'must be an array of source ids from "sources"');
  }
  return {
    file, concurrency: concurrency as number, timezone: timezone as string | undefined, sources,
    works: { sourcePriority: priority as string[], mergeProbableDuplicates: mergeProbableDuplicates as boolean, snapshotEveryHours: snapshotEveryHours as number },
  };
}

const WORKS_FIELDS = ['sourcePriority', 'mergeProbableDuplicates', 'snapshotEveryHours'];

function parseSource(
  raw: unknown,
  position: string,
  fail: (where: string, message: string) => never,
  defaultSchedule: string | undefined,
  timezone: string | undefined,
): SourceConfig {
  if (!isObject(raw)) return fail(position, 'must be an object');
  const id = raw['id'];
  if (typeof id !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(id)) {
    return fail(`${position} field "id"`, 'must be a string of letters, digits, ".", "_" or "-" (it names output folders)');
  }
  const where = (field: string) => `source "${id}" field "${field}"`;
  for (const key of Object.keys(raw)) if (!SOURCE_KEYS.has(key)) fail(where(key), 'unknown field');

  const baseUrl = raw['baseUrl'];
  if (typeof baseUrl !== 'string' || !URL.canParse(baseUrl) || !/^https?:$/.test(new URL(baseUrl).protocol)) {
    fail(where('baseUrl'), 'must be an http(s) URL');
  }
  const prefixValue = raw['metadataPrefix'] ?? 'oai_dc';
  const metadataPrefixes = Array.isArray(prefixValue) ? prefixValue : [prefixValue];
  if (metadataPrefixes.length === 0 || !metadataPrefixes.every((p) => typeof p === 'string' && /^[A-Za-z0-9_.!~*'()-]+$/.test(p))) {
    fail(where('metadataPrefix'), 'must be a metadataPrefix such as "oai_dc", or a non-empty array of them');
  }
  const sets = raw['sets'] ?? [];
  if (!Array.isArray(sets) || !sets.every((s) => typeof s === 'string' && s.trim() !== '')) fail(where('sets'), 'must be an array of setSpecs');
  for (const field of ['from', 'until'] as const) {
    const value = raw[field];
    if (value !== undefined && (typeof value !== 'string' || !isDatestamp(value))) {
      fail(where(field), 'must be a date, YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ');
    }
  }
  const integer = (field: string, fallback: number, min = 0): number => {
    const value = raw[field] ?? fallback;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min) fail(where(field), `must be an integer ≥ ${min}`);
    return value as number;
  };
  const optionalString = (field: string): string | undefined => {
    const value = raw[field];
    if (value !== undefined && (typeof value !== 'string' || value.trim() === '')) fail(where(field), 'must be a non-empty string');
    return value as string | undefined;
  };
  const contact = optionalString('contact');
  if (contact !== undefined && !/^[^\s@]+@[^\s@]+$/.test(contact)) fail(where('contact'), 'must be an e-mail address');

  const retryRaw = raw['retry'] ?? {};
  if (!isObject(retryRaw)) fail(where('retry'), 'must be an object');
  const retry: RetryPolicy = { ...DEFAULT_RETRY };
  for (const [key, value] of Object.entries(retryRaw as Record<string, unknown>)) {
    if (!RETRY_KEYS.has(key)) fail(where(`retry.${key}`), `unknown field (expected one of ${[...RETRY_KEYS].join(', ')})`);
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) fail(where(`retry.${key}`), 'must be an integer ≥ 0');
    retry[key as keyof RetryPolicy] = value as number;
  }
  if (retry.maxAttempts < 1 || retry.maxContentAttempts < 1) fail(where('retry'), 'attempts must be at least 1');

  const userAgentBase = optionalString('userAgent') ?? DEFAULT_USER_AGENT;
  const commonRecord = raw['commonRecord'] ?? true;
  if (typeof commonRecord !== 'boolean') fail(where('commonRecord'), 'must be true or false');
  const stats = parseStats(raw['stats'], (field, message) => fail(where(`stats${field ? `.${field}` : ''}`), message));
  const richer = raw['richerFormats'] ?? [];
  if (!Array.isArray(richer) || !richer.every((p) => typeof p === 'string' && /^[A-Za-z0-9_.!~*'()-]+$/.test(p))) {
    fail(where('richerFormats'), 'must be an array of metadataPrefixes, e.g. ["rioxx"]');
  }
  const enrich = raw['enrich'] ?? [];
  if (!Array.isArray(enrich) || !enrich.every((e) => e === 'eprints-export')) fail(where('enrich'), 'must be an array of enrichments: "eprints-export"');
  const exportUrl = optionalString('exportUrl');
  if (exportUrl !== undefined && (!exportUrl.includes('{id}') || httpUrlProblem(exportUrl.replace(/\{id\}/g, '1')))) {
    fail(where('exportUrl'), `must be a URL with {id} where the EPrints id goes${exportUrl.includes('{id}') ? `: ${httpUrlProblem(exportUrl.replace(/\{id\}/g, '1'))}` : ''}`);
  }
  const exportViewUrl = raw['exportViewUrl'];
  if (exportViewUrl !== undefined && exportViewUrl !== false &&
      (typeof exportViewUrl !== 'string' || !exportViewUrl.includes('{year}') || httpUrlProblem(exportViewUrl.replace(/\{year\}/g, '2021')))) {
    fail(where('exportViewUrl'), 'must be an http(s) URL with {year} where the year goes, or false');
  }
  if ((enrich as string[]).length > 0 && !commonRecord) fail(where('enrich'), 'needs the common record (commonRecord: true)');
  // false keeps a source out of the config's default schedule (it is still harvested by `run`).
  const ownSchedule = raw['schedule'];
  if (ownSchedule !== undefined && ownSchedule !== false) checkCron(ownSchedule, timezone, (m) => fail(where('schedule'), m));
  const staleAfterHours = raw['staleAfterHours'];
  if (staleAfterHours !== undefined && (typeof staleAfterHours !== 'number' || !(staleAfterHours > 0))) fail(where('staleAfterHours'), 'must be a number of hours > 0');
  return {
    id,
    name: optionalString('name') ?? id,
    ...basicAuthOf(baseUrl as string),
    metadataPrefixes: [...new Set(metadataPrefixes as string[])],
    sets: sets as string[],
    from: raw['from'] as string | undefined,
    until: raw['until'] as string | undefined,
    minDelayMs: integer('minDelayMs', 1000),
    concurrency: integer('concurrency', 1, 1),
    userAgent: contact && !userAgentBase.includes(contact) ? `${userAgentBase.replace(/\)$/, '')}; mailto:${contact})` : userAgentBase,
    contact,
    overlapMinutes: integer('overlapMinutes', 60),
    connectTimeoutMs: integer('connectTimeoutMs', 30_000, 1),
    readTimeoutMs: integer('readTimeoutMs', 120_000, 1),
    requestTimeoutMs: integer('requestTimeoutMs', 600_000, 1),
    maxResponseBytes: integer('maxResponseBytes', 256 * 1024 * 1024, 1024),
    maxEmptyPages: integer('maxEmptyPages', 10, 1),
    maxRepeatedPages: integer('maxRepeatedPages', 10, 1),
    commonRecord: commonRecord as boolean,
    stats,
    richerFormats: (richer as string[]).filter((p) => !(metadataPrefixes as string[]).includes(p)),
    enrich: enrich as string[],
    exportUrl,
    exportViewUrl: exportViewUrl as string | false | undefined,
    retry,
    schedule: ownSchedule === false ? undefined : ((ownSchedule as string | undefined) ?? defaultSchedule),
    staleAfterHours: staleAfterHours as number | undefined,
    partitions: integer('partitions', 1, 1),
  };
}

function checkCron(expression: unknown, timezone: string | undefined, fail: (message: string) => never): void {
  const hint = 'must be a cron expression such as "0 2 * * *" (minute hour day month weekday, optional seconds first)';
  if (typeof expression !== 'string' || expression.trim() === '') fail(hint);
  try {
    new Cron(expression as string, { paused: true, ...(timezone ? { timezone } : {}) }).stop();
  } catch (error) {
    fail(`${hint}: ${(error as Error).message}`);
  }
}

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

function parseStats(raw: unknown, fail: (field: string, message: string) => never): StatsConfig | undefined {
  if (raw === undefined) return undefined;
  if (!isObject(raw)) return fail('', 'must be an object with "type": "irstats2" or "counter"');
  const months = raw['months'] ?? 12;
  if (typeof months !== 'number' || !Number.isInteger(months) || months < 1) fail('months', 'must be a positive integer (months to fetch on the first run)');
  const text = (field: string, required: boolean): string | undefined => {
    const v = raw[field];
    if (v === undefined && !required) return undefined;
    if (typeof v !== 'string' || v.trim() === '') fail(field, 'must be a non-empty string');
    return v as string;
  };
  if (raw['type'] === 'irstats2') {
    for (const key of Object.keys(raw)) if (!['type', 'url', 'months'].includes(key)) fail(key, 'unknown field');
    const url = text('url', false);
    const problem = url === undefined ? undefined : httpUrlProblem(url);
    if (problem) fail('url', problem);
    return { type: 'irstats2', url, months: months as number };
  }
  if (raw['type'] === 'counter') {
    for (const key of Object.keys(raw)) {
      if (!['type', 'url', 'release', 'report', 'customerId', 'requestorId', 'platform', 'apiKeyEnv', 'months'].includes(key)) fail(key, 'unknown field');
    }
    const url = text('url', true)!;
    const problem = httpUrlProblem(url);
    if (problem) fail('url', problem);
    const release = raw['release'] ?? '5.1';
    if (release !== '5' && release !== '5.1') fail('release', 'must be "5" or "5.1"');
    const report = raw['report'] ?? 'ir';
    if (report !== 'ir' && report !== 'ir_a1') fail('report', 'must be "ir" or "ir_a1"');
    const apiKeyEnv = text('apiKeyEnv', false);
    if (apiKeyEnv !== undefined && !/^[A-Z_][A-Z0-9_]*$/i.test(apiKeyEnv)) fail('apiKeyEnv', 'must name an environment variable (the key itself never goes in the config)');
    return {
      type: 'counter', url, release: release as '5' | '5.1', report: report as 'ir' | 'ir_a1', customerId: text('customerId', true)!,
      requestorId: text('requestorId', false), platform: text('platform', false), apiKeyEnv, months: months as number,
    };
  }
  return fail('type', 'must be "irstats2" or "counter"');
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isPositiveInteger(value: unknown): boolean {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1;
}
