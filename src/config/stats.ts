// The `stats` of a source: where its download statistics come from (IRStats2 or COUNTER).
import { httpUrlProblem, isObject } from './fields.ts';

export type StatsConfig =
  | { type: 'irstats2'; url: string | undefined; months: number }
  | {
      type: 'counter'; url: string; release: '5' | '5.1'; report: 'ir' | 'ir_a1'; customerId: string;
      requestorId: string | undefined; platform: string | undefined; apiKeyEnv: string | undefined; months: number;
    };

export function parseStats(raw: unknown, fail: (field: string, message: string) => never): StatsConfig | undefined {
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
