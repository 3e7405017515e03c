// `oai-harvester works show DOI`: one work with the provenance of every value, for a person
// asking "why does it say this?".
import type { CommonRecord } from '../formats/common-record.ts';
import { CROSSREF_SOURCE } from '../crossref/to-record.ts';
import type { Chosen, Work } from '../dedupe/work.ts';
import { doiKey, normalizeDoi } from '../identifiers/doi.ts';
import type { StateStore } from '../store/state.ts';
import { storedRecord } from '../store/source-records.ts';

export function findWork(state: StateStore, doiOrId: string): { work: Work; records: CommonRecord[] } | undefined {
  const doi = normalizeDoi(doiOrId);
  const id = doi ? `doi:${doiKey(doi)}` : doiOrId;
  const held = state.works.work(id);
  if (!held) return undefined;
  const records = state.records.ofWork(id).map(storedRecord);
  return { work: JSON.parse(held.workJson) as Work, records };
}

export function explainWork(work: Work, records: readonly CommonRecord[]): string {
  const byId = new Map(records.map((r) => [r.id, r]));
  const version = (id: string) => work.sources.find((s) => s.id === id)?.version ?? 'deleted';
  const origin = (c: { from: string }) => `from ${c.from} (${version(c.from) === 'published' ? 'version of record' : version(c.from) === 'accepted' ? 'accepted manuscript' : version(c.from)})`;
  const lines: string[] = [];
  const copies = work.sources.filter((s) => !s.deleted).length;
  const flag = work.retracted ? ', RETRACTED' : work.corrected ? ', corrected' : '';
  lines.push(`${work.id}  ${work.status}, ${copies} ${copies === 1 ? 'copy' : 'copies'}${flag}`);
  const show = (label: string, chosen: Chosen<unknown> | null, render: (v: never) => string = String) => {
    if (!chosen) return lines.push(`  ${label.padEnd(13)} —`);
    lines.push(`  ${label.padEnd(13)} ${truncate(render(chosen.value as never))}`);
    lines.push(`  ${''.padEnd(13)} ${origin(chosen)}`);
  };
  show('title', work.title);
  for (const v of work.variants.title) lines.push(`  ${''.padEnd(13)} other title: ${truncate(v.value)} (from ${v.from})`);
  show('abstract', work.abstract);
  for (const v of work.variants.abstract) lines.push(`  ${''.padEnd(13)} other abstract: ${truncate(v.value)} (from ${v.from})`);
  show('creators', work.creators, (v: { name: string }[]) => v.map((p) => p.name).join('; '));
  show('type', work.type, (v: { label: string | null; original: string[] }) => v.label ?? v.original.join(', '));
  show('peer reviewed', work.peerReviewed);
  show('container', work.container, (v: { title: string | null; volume: string | null; issue: string | null; pages: string | null }) =>
    [v.title, v.volume && `vol ${v.volume}`, v.issue && `no ${v.issue}`, v.pages && `pp ${v.pages}`].filter(Boolean).join(', '));
  show('licence', work.licence);
  lines.push('  dates');
  for (const name of ['published', 'accepted', 'deposited', 'firstCompliantDeposit', 'available', 'modified'] as const) {
    const chosen = work.dates[name];
    if (!chosen) continue;
    const field = byId.get(chosen.from)?.dates[name]?.field;
    lines.push(`    ${name.padEnd(22)} ${chosen.value}  from ${chosen.from}${field ? ` (${field})` : ''}`);
  }
  for (const c of work.dates.conflicts) lines.push(`    conflict on ${c.date}: ${c.values.map((v) => `${v.value} (${v.from})`).join(' vs ')}`);
  // Works written before notices were kept have none (their next recompute adds the field).
  const updates = work.updates ?? [];
  if (updates.length > 0) {
    lines.push('  notices');
    for (const u of updates) {
      const what = u.direction === 'updated-by' ? `${u.type} notice ${u.doi}` : `is the ${u.type} notice of ${u.doi}`;
      lines.push(`    ${what}${u.date ? `, ${u.date}` : ''}${u.source ? ` (asserted by ${u.source})` : ''}  from ${u.from}`);
    }
  }
  lines.push('  copies');
  for (const s of work.sources) {
    const publisher = s.source === CROSSREF_SOURCE ? ' (the publisher\'s record at Crossref)' : '';
    lines.push(`    ${s.id}${s.deleted ? ' (deleted)' : ''}${publisher}`);
    lines.push(`      ${s.version}; files: ${s.fileVersions.join(', ') || 'none'}; deposited ${s.dates.deposited ?? '—'}; landing page ${s.landingPage ?? '—'}`);
  }
  if (work.files.length > 0) {
    lines.push('  files');
    for (const f of work.files) lines.push(`    ${f.url}  ${f.version ?? 'version unknown'}  from ${f.from}`);
  }
  return lines.join('\n');
}

function truncate(text: string, length = 100): string {
  const flat = text.replace(/\s+/g, ' ');
  return flat.length > length ? `${flat.slice(0, length)}…` : flat;
}
