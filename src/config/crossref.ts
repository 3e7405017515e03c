// "crossref" in sources.json: enrich every work with a DOI from the Crossref REST API.
import { DEFAULT_RETRY } from '../oai/retry-policy.ts';
import { FieldReader, httpUrlProblem, isObject, type Fail } from './fields.ts';

export interface CrossrefConfig {
  baseUrl: string;
  mailto: string;
  /** The environment variable holding a Metadata Plus token; the token itself never goes in the config. */
  tokenEnv: string | undefined;
  /** A cached Crossref record is fetched again after this many days. */
  refreshDays: number;
  /** A DOI Crossref does not know is asked about again after this many days. */
  missingDays: number;
  /** Waits between retries, and their budget, for the whole run. */
  retry: typeof DEFAULT_RETRY;
}

const KEYS = ['mailto', 'baseUrl', 'tokenEnv', 'refreshDays', 'missingDays', 'retryBudgetMs'];

export function parseCrossref(raw: unknown, fail: Fail): CrossrefConfig | undefined {
  if (raw === undefined) return undefined;
  if (!isObject(raw)) return fail('"crossref"', 'must be an object with "mailto"');
  const fields = new FieldReader(raw, (field) => `"crossref.${field}"`, fail);
  for (const key of Object.keys(raw)) if (!KEYS.includes(key)) fields.fail(key, `unknown field (expected one of ${KEYS.join(', ')})`);
  const mailto = fields.optionalString('mailto');
  if (!mailto || !/^[^\s@]+@[^\s@]+$/.test(mailto)) fields.fail('mailto', 'must be an e-mail address: Crossref asks for one to be in its polite pool');
  const baseUrl = fields.optionalString('baseUrl') ?? 'https://api.crossref.org';
  const problem = httpUrlProblem(baseUrl);
  if (problem) fields.fail('baseUrl', problem);
  const tokenEnv = fields.optionalString('tokenEnv');
  if (tokenEnv !== undefined && !/^[A-Z_][A-Z0-9_]*$/i.test(tokenEnv)) fields.fail('tokenEnv', 'must name an environment variable (the token itself never goes in the config)');
  return {
    baseUrl, mailto: mailto!, tokenEnv,
    refreshDays: fields.integer('refreshDays', 30, 1),
    missingDays: fields.integer('missingDays', 30, 1),
    retry: { ...DEFAULT_RETRY, budgetMs: fields.integer('retryBudgetMs', 600_000, 0) },
  };
}
