// config/sources.json → typed, validated sources. Every message names the file, the
// source and the field, because cron mail is read by people who did not write the file.
import { readFileSync } from 'node:fs';
import { registerStatePassword } from './state-location.ts';
import { HarvestError, type ErrorCode } from '../oai/errors.ts';
import { checkCron, isObject, isPositiveInteger, isTimeZone, type Fail } from './fields.ts';
import { parseCrossref, type CrossrefConfig } from './crossref.ts';
import { parseBibtexSource, sourceType, type BibtexSourceConfig } from './bibtex-source.ts';
import { parseSource, parseSourceId, type SourceConfig } from './source.ts';

export { DEFAULT_USER_AGENT, VERSION, type SourceConfig } from './source.ts';
export type { StatsConfig } from './stats.ts';
export type { CrossrefConfig } from './crossref.ts';
export type { BibtexSourceConfig } from './bibtex-source.ts';

/** What recomputing works and writing works.jsonl go by. */
export interface WorksConfig {
  sourcePriority: string[];
  mergeProbableDuplicates: boolean;
  snapshotEveryHours: number;
}

export interface HarvestConfig {
  file: string;
  works: WorksConfig;
  /** How many sources are harvested at once (each host stays at its own limit). */
  concurrency: number;
  /** Threads that parse and normalise pages; 0: the run's own thread; unset: cores − 1, at least 1, at most 4. */
  parserThreads: number | undefined;
  /** IANA time zone the cron expressions are read in; the machine's own when unset. */
  timezone: string | undefined;
  /** OAI-PMH sources. */
  sources: SourceConfig[];
  /** Sources of "type": "bibtex": .bib files read as copies. */
  bibtexSources: BibtexSourceConfig[];
  /** Enrich works from the Crossref REST API; without it nothing is sent there. */
  crossref: CrossrefConfig | undefined;
  /** Where the state lives when no --state or OAI_HARVESTER_STATE says: a SQLite file, or a postgres:// URL for a fleet. */
  state: string | undefined;
}

export class ConfigError extends HarvestError {
  override readonly code: ErrorCode = 'OAIH_CONFIG';
  constructor(message: string) {
    super(message, { stage: 'config' });
  }
}

const TOP_KEYS = ['sources', 'concurrency', 'parserThreads', 'works', 'schedule', 'timezone', 'crossref', 'state', '$schema'];
/** Ids that name something else: the Crossref copies, and the records/current/ view. */
const RESERVED_SOURCE_IDS: ReadonlyMap<string, string> = new Map([
  ['crossref', 'the id is reserved for the copies from the Crossref API'],
  ['current', 'the id is reserved: records/current/ holds the current records of every source'],
]);
/** More parser threads than this only take memory: one keeps up with a run's writes on its own. */
const MAX_PARSER_THREADS = 16;
const WORKS_FIELDS = ['sourcePriority', 'mergeProbableDuplicates', 'snapshotEveryHours'];

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
  const fail: Fail = (where, message) => {
    throw new ConfigError(`${file}: ${where}: ${message}`);
  };
  if (!isObject(json)) return fail('top level', 'must be an object with "sources"');
  for (const key of Object.keys(json)) {
    if (!TOP_KEYS.includes(key)) fail(`"${key}"`, `unknown field (expected ${TOP_KEYS.slice(0, -1).map((k) => `"${k}"`).join(', ')})`);
  }
  const concurrency = json['concurrency'] ?? 4;
  if (!isPositiveInteger(concurrency)) fail('"concurrency"', 'must be a positive integer');
  const parserThreads = json['parserThreads'];
  if (parserThreads !== undefined && !(Number.isInteger(parserThreads) && (parserThreads as number) >= 0 && (parserThreads as number) <= MAX_PARSER_THREADS)) {
    fail('"parserThreads"', `must be an integer from 0 (pages parsed in the run's own thread) to ${MAX_PARSER_THREADS}`);
  }
  const timezone = json['timezone'];
  if (timezone !== undefined && (typeof timezone !== 'string' || !isTimeZone(timezone))) fail('"timezone"', 'must be an IANA time zone such as "Europe/London"');
  const schedule = json['schedule'];
  if (schedule !== undefined) checkCron(schedule, timezone as string | undefined, (m) => fail('"schedule"', m));
  const list = json['sources'];
  if (!Array.isArray(list) || list.length === 0) return fail('"sources"', 'must be a non-empty array');
  const seen = new Set<string>();
  const sources: SourceConfig[] = [];
  const bibtexSources: BibtexSourceConfig[] = [];
  for (const [index, raw] of list.entries()) {
    const position = `sources[${index}]`;
    const id = parseSourceId(raw, position, fail);
    if (seen.has(id)) fail(`source "${id}"`, 'the id is used twice');
    if (RESERVED_SOURCE_IDS.has(id)) fail(`source "${id}"`, RESERVED_SOURCE_IDS.get(id)!);
    seen.add(id);
    const fields = raw as Record<string, unknown>;
    const defaults = { schedule: schedule as string | undefined, timezone: timezone as string | undefined };
    if (sourceType(fields, position, fail) === 'bibtex') bibtexSources.push(parseBibtexSource(fields, id, file, fail, defaults));
    else sources.push(parseSource(fields, id, fail, defaults));
  }
  return {
    file, concurrency: concurrency as number, parserThreads: parserThreads as number | undefined, timezone: timezone as string | undefined, sources, bibtexSources, works: parseWorks(json['works'], seen, fail),
    crossref: parseCrossref(json['crossref'], fail), state: parseState(json['state'], fail),
  };
}

/** A state location; a password in a PostgreSQL URL is registered as a secret, never to be logged. */
function parseState(raw: unknown, fail: Fail): string | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string' || raw.trim() === '') return fail('"state"', 'must be a file path or a postgres://USER@HOST:PORT/DB URL');
  if (!registerStatePassword(raw)) return fail('"state"', 'is not a valid postgres:// URL');
  return raw;
}

function parseWorks(raw: unknown, sourceIds: ReadonlySet<string>, fail: Fail): WorksConfig {
  const works = raw ?? {};
  if (!isObject(works)) return fail('"works"', 'must be an object');
  for (const key of Object.keys(works)) {
    if (!WORKS_FIELDS.includes(key)) fail(`"works.${key}"`, `unknown field (expected ${WORKS_FIELDS.map((f) => `"${f}"`).join(', ')})`);
  }
  const snapshotEveryHours = works['snapshotEveryHours'] ?? 0;
  if (typeof snapshotEveryHours !== 'number' || !(snapshotEveryHours >= 0)) fail('"works.snapshotEveryHours"', 'must be a number of hours >= 0 (0: every run that changed works)');
  const mergeProbableDuplicates = works['mergeProbableDuplicates'] ?? false;
  if (typeof mergeProbableDuplicates !== 'boolean') fail('"works.mergeProbableDuplicates"', 'must be true or false');
  const priority = works['sourcePriority'] ?? [];
  if (!Array.isArray(priority) || !priority.every((p) => typeof p === 'string' && sourceIds.has(p))) {
    fail('"works.sourcePriority"', 'must be an array of source ids from "sources"');
  }
  return { sourcePriority: priority as string[], mergeProbableDuplicates: mergeProbableDuplicates as boolean, snapshotEveryHours: snapshotEveryHours as number };
}
