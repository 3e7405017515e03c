// Reading untrusted JSON fields into typed values, each failure naming the field.
import { Cron } from 'croner';

/** Throws the configuration error for `where`: never returns. */
export type Fail = (where: string, message: string) => never;

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function isPositiveInteger(value: unknown): boolean {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1;
}

/** An http(s) URL without credentials in it; the reason it is not, otherwise. */
export function httpUrlProblem(value: string): string | undefined {
  if (!URL.canParse(value)) return 'must be an http(s) URL';
  const url = new URL(value);
  if (!/^https?:$/.test(url.protocol)) return `must be an http(s) URL (not ${url.protocol.replace(/:$/, '')})`;
  if (url.username || url.password) return 'must not hold credentials (user:password@): give them in the baseUrl, which sends them as Basic auth';
  return undefined;
}

export function checkCron(expression: unknown, timezone: string | undefined, fail: (message: string) => never): void {
  const hint = 'must be a cron expression such as "0 2 * * *" (minute hour day month weekday, optional seconds first)';
  if (typeof expression !== 'string' || expression.trim() === '') fail(hint);
  // croner also takes a seventh field (years), which cron and systemd do not: "0 2 * * * 1 2026"
  // would run at another time than the one its writer meant.
  const fields = (expression as string).trim().split(/\s+/).length;
  if (!(expression as string).trim().startsWith('@') && (fields < 5 || fields > 6)) fail(`${hint}: it has ${fields} fields, not 5 or 6`);
  try {
    new Cron(expression as string, { paused: true, ...(timezone ? { timezone } : {}) }).stop();
  } catch (error) {
    fail(`${hint}: ${(error as Error).message}`);
  }
}

/** "unknown field", with the field probably meant (same letters but for case or one typo), and every valid one. */
export function unknownField(key: string, valid: Iterable<string>): string {
  const names = [...valid];
  const meant = names.find((n) => n.toLowerCase() === key.toLowerCase()) ?? names.find((n) => editDistance(n.toLowerCase(), key.toLowerCase()) <= 2);
  return `unknown field${meant ? ` (did you mean "${meant}"?)` : ''}; the fields are ${names.join(', ')}`;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row[j] = Math.min(previous[j]! + 1, row[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    previous = row;
  }
  return previous[b.length]!;
}

export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** The fields of one object, read with the name of each in every message. */
export class FieldReader {
  readonly raw: Record<string, unknown>;
  private readonly where: (field: string) => string;
  private readonly failWith: Fail;

  constructor(raw: Record<string, unknown>, where: (field: string) => string, fail: Fail) {
    this.raw = raw;
    this.where = where;
    this.failWith = fail;
  }

  fail(field: string, message: string): never {
    return this.failWith(this.where(field), message);
  }

  integer(field: string, fallback: number, min = 0): number {
    const value = this.raw[field] ?? fallback;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min) this.fail(field, `must be an integer ≥ ${min}`);
    return value as number;
  }

  optionalString(field: string): string | undefined {
    const value = this.raw[field];
    if (value !== undefined && (typeof value !== 'string' || value.trim() === '')) this.fail(field, 'must be a non-empty string');
    return value as string | undefined;
  }

  boolean(field: string, fallback: boolean): boolean {
    const value = this.raw[field] ?? fallback;
    if (typeof value !== 'boolean') this.fail(field, 'must be true or false');
    return value as boolean;
  }

  /** An array of strings each passing `valid`, or the message. */
  strings(field: string, fallback: string[], valid: (value: string) => boolean, message: string): string[] {
    const value = this.raw[field] ?? fallback;
    if (!Array.isArray(value) || !value.every((v) => typeof v === 'string' && valid(v))) this.fail(field, message);
    return value as string[];
  }
}
