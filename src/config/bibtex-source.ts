// A source of "type": "bibtex": a .bib file read as copies of works (a publisher's export, a
// Pure export), re-read whenever it changes.
import { dirname, resolve } from 'node:path';
import type { FileVersion } from '../formats/common-record.ts';
import { checkCron, FieldReader, isObject, type Fail } from './fields.ts';
import type { SourceDefaults } from './source.ts';

export interface BibtexSourceConfig {
  type: 'bibtex';
  id: string;
  name: string;
  /** Absolute; a relative "path" is read from the configuration file's folder. */
  path: string;
  /** The version of the text every entry describes (default: the version of record). */
  version: FileVersion;
  /** When `schedule` reads the file again (the source's own, else the config's default); undefined: not scheduled. */
  schedule: string | undefined;
}

const KEYS = new Set(['id', 'name', 'type', 'path', 'version', 'schedule']);
const VERSIONS: readonly FileVersion[] = ['published', 'accepted', 'submitted'];

export function parseBibtexSource(raw: Record<string, unknown>, id: string, configFile: string, fail: Fail, defaults: SourceDefaults): BibtexSourceConfig {
  const fields = new FieldReader(raw, (field) => `source "${id}" field "${field}"`, fail);
  for (const key of Object.keys(raw)) if (!KEYS.has(key)) fields.fail(key, `unknown field for a bibtex source (expected one of ${[...KEYS].join(', ')})`);
  const path = fields.optionalString('path');
  if (!path) return fields.fail('path', 'must name the .bib file to read');
  const version = fields.optionalString('version') ?? 'published';
  if (!VERSIONS.includes(version as FileVersion)) fields.fail('version', `must be one of ${VERSIONS.join(', ')}`);
  const schedule = fields.optionalString('schedule') ?? defaults.schedule;
  if (schedule !== undefined) checkCron(schedule, defaults.timezone, (m) => fields.fail('schedule', m));
  return { type: 'bibtex', id, name: fields.optionalString('name') ?? id, path: resolve(dirname(resolve(configFile)), path), version: version as FileVersion, schedule };
}

/** The "type" of a "sources" entry: OAI-PMH unless it says otherwise. */
export function sourceType(raw: unknown, position: string, fail: Fail): 'oai-pmh' | 'bibtex' {
  const type = isObject(raw) ? (raw['type'] ?? 'oai-pmh') : 'oai-pmh';
  if (type !== 'oai-pmh' && type !== 'bibtex') return fail(`${position} field "type"`, 'must be "oai-pmh" (the default) or "bibtex"');
  return type;
}
