// The real-world corpus (tests/formats/corpus/README.md): every record of every capture is
// normalised and compared with the truth a person wrote by reading it. A field whose accuracy
// drops below its floor fails the test, listing the records it got wrong.
// CORPUS_EXTRA=<dir> adds another corpus laid out the same way (captures.json, truth/);
// CORPUS_REPORT=<file> writes every record a field got wrong there, as JSON lines.
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CommonRecord } from '../../src/formats/common-record.ts';
import { normalizeRecord } from '../../src/formats/normalize.ts';
import { resolveDoi } from '../../src/identifiers/record-doi.ts';
import { recordsIn } from './support.ts';

interface Capture { capture: string; repository: string; platform: string; prefix: string }
interface Truth {
  identifier: string;
  doi: string | null;
  title: string | null;
  firstCreator: string | null;
  type: string | null;
  version: 'submitted' | 'accepted' | 'published' | null;
  published: string | null;
  container: { title: string | null; volume: string | null; issue: string | null; pages: string | null } | null;
}

const ROOT = resolve(import.meta.dirname, '../..');
const CORPORA = [join(import.meta.dirname, 'corpus'), ...(process.env['CORPUS_EXTRA'] ? [resolve(process.env['CORPUS_EXTRA'])] : [])];

/** Floors, in percent of the records each field is judged on. */
const FLOORS = {
  'doi (records with one)': 99,
  'doi (all records)': 99,
  title: 99,
  'first creator': 98,
  type: 95,
  'version (where stated)': 98,
  published: 99,
  'container (where named)': 80,
} as const;
type Field = keyof typeof FLOORS;

interface Judged { field: Field; ok: boolean; where: string; expected: unknown; actual: unknown }

function judge(truth: Truth, record: CommonRecord, where: string): Judged[] {
  const j = (field: Field, ok: boolean, expected: unknown, actual: unknown): Judged => ({ field, ok, where, expected, actual });
  const out: Judged[] = [];
  const doi = record.doi;
  if (truth.doi) out.push(j('doi (records with one)', doi === truth.doi.toLowerCase(), truth.doi, doi));
  out.push(j('doi (all records)', (doi ?? null) === (truth.doi?.toLowerCase() ?? null), truth.doi, doi));
  out.push(j('title', text(record.title) === text(truth.title), truth.title, record.title));
  const creator = record.creators[0]?.name ?? null;
  out.push(j('first creator', nameTokens(creator) === nameTokens(truth.firstCreator), truth.firstCreator, creator));
  out.push(j('type', (record.type.coar ?? null) === truth.type, truth.type, record.type.coar));
  if (truth.version) out.push(j('version (where stated)', record.version?.value === truth.version, truth.version, record.version?.value ?? null));
  const published = record.dates.published?.value ?? null;
  out.push(j('published', dayOf(published) === truth.published, truth.published, published));
  if (truth.container) {
    const c = record.container;
    const parts = ['title', 'volume', 'issue', 'pages'] as const;
    const ok = parts.every((p) => text(c[p])?.toLowerCase() === text(truth.container![p])?.toLowerCase());
    out.push(j('container (where named)', ok, truth.container, { title: c.title, volume: c.volume, issue: c.issue, pages: c.pages }));
  }
  return out;
}

function text(value: string | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  const v = value.normalize('NFC').replace(/[\u200B-\u200D\u2060\uFEFF\u00AD]/g, '').replace(/[–—‐]/g, '-').replace(/\s+/g, ' ').trim();
  return v === '' ? null : v;
}

/** A name as the set of its words, so "Schmitt, Jenni" is "Jenni Schmitt". */
function nameTokens(name: string | null): string | null {
  if (!name) return null;
  const tokens = name.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').toLowerCase().split(/[^\p{L}\p{N}]+/u).filter(Boolean);
  return tokens.sort().join(' ') || null;
}

function dayOf(value: string | null): string | null {
  return value && /T/.test(value) ? value.slice(0, 10) : value;
}

function normalised(record: Parameters<typeof normalizeRecord>[2], prefix: string): CommonRecord {
  const result = normalizeRecord('corpus', prefix, record);
  if ('reject' in result) throw new Error(`${record.header.identifier}: ${result.reject}`);
  if ('bug' in result) throw new Error(result.bug.stack);
  return resolveDoi(result.record);
}

function judgeCorpus(dir: string): { judged: Judged[]; records: number; platforms: Set<string>; repositories: Set<string> } {
  const captures = JSON.parse(readFileSync(join(dir, 'captures.json'), 'utf8')) as Capture[];
  const judged: Judged[] = [];
  let records = 0;
  for (const capture of captures) {
    const truthFile = join(dir, 'truth', `${basename(capture.capture, '.xml')}.json`);
    expect(existsSync(truthFile), `${truthFile} is missing`).toBe(true);
    const truth = (JSON.parse(readFileSync(truthFile, 'utf8')) as { records: Truth[] }).records;
    const live = recordsIn(resolve(dir === CORPORA[0] ? ROOT : dir, capture.capture)).filter((r) => !r.header.deleted);
    expect(live.map((r) => r.header.identifier.trim()), `${capture.capture}: truth and capture list other records`).toEqual(truth.map((t) => t.identifier));
    live.forEach((r, i) => judged.push(...judge(truth[i]!, normalised(r, capture.prefix), `${basename(capture.capture)} ${r.header.identifier}`)));
    records += live.length;
  }
  return { judged, records, platforms: new Set(captures.map((c) => c.platform.replace(/ \(.*$/, ''))), repositories: new Set(captures.map((c) => c.repository)) };
}

describe.each(CORPORA)('the real-world corpus %s', (dir) => {
  it('is read right: every field at or above its floor', () => {
    const { judged, records, platforms, repositories } = judgeCorpus(dir);
    const rows = (Object.keys(FLOORS) as Field[]).map((field) => {
      const of = judged.filter((x) => x.field === field);
      const right = of.filter((x) => x.ok).length;
      return { field, right, of: of.length, percent: of.length === 0 ? 100 : (100 * right) / of.length };
    });
    console.log(
      `${records} records, ${repositories.size} repositories, ${platforms.size} platforms\n` +
        rows.map((r) => `${r.field.padEnd(26)} ${r.percent.toFixed(1).padStart(5)}% (${r.right} of ${r.of}; floor ${FLOORS[r.field]}%)`).join('\n'),
    );
    if (dir === CORPORA[0]) {
      expect(records).toBeGreaterThanOrEqual(500);
      expect(platforms.size).toBeGreaterThanOrEqual(12);
    }
    const report = process.env['CORPUS_REPORT'];
    if (report) for (const w of judged.filter((x) => !x.ok)) appendFileSync(report, `${JSON.stringify(w)}\n`);
    const below = rows.filter((r) => r.percent < FLOORS[r.field]);
    const wrong = judged.filter((x) => !x.ok && below.some((b) => b.field === x.field)).slice(0, 40);
    expect(below.map((r) => `${r.field}: ${r.percent.toFixed(1)}%`), wrong.map((w) => `${w.field} ${w.where}: expected ${JSON.stringify(w.expected)}, got ${JSON.stringify(w.actual)}`).join('\n')).toEqual([]);
  });
});
