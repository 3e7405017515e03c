import type { RunSummary, SourceSummary } from '../pipeline/harvest.ts';

/** The short table printed after a run: one row per source, then the reasons for failures. */
export function runTable(run: RunSummary): string {
  const header = ['source', 'status', 'records', 'deleted', 'unchanged', 'pages', 'retries', 'repaired', 'list size', 'seconds'];
  const rows = run.sources.map((s) => {
    const sizes = s.lists.filter((l) => l.completeListSize !== null).map((l) => `${l.received}/${l.completeListSize}`);
    return [
      s.source, s.status, String(s.records), String(s.deleted), String(s.unchanged), String(s.pages), String(s.retries),
      String(s.repairedChars), sizes.join(' ') || '-', (s.durationMs / 1000).toFixed(1),
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const format = (cells: string[]) => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  const lines = [format(header), ...rows.map(format)];
  for (const s of run.sources) {
    if (s.enrichment && s.enrichment.method !== 'none needed') lines.push(`${s.source}: ${enrichmentLine(s.enrichment)}`);
    if (s.error) lines.push(`${s.source}: ${oneLineReason(s.error)}`);
  }
  lines.push(`summary: ${run.summaryFile}`);
  return lines.join('\n');
}

function enrichmentLine(e: NonNullable<SourceSummary['enrichment']>): string {
  const parts = [];
  if (e.fromViews > 0) parts.push(`${e.fromViews} from ${e.viewRequests} browse-view ${e.viewRequests === 1 ? 'export' : 'exports'}`);
  if (e.perRecord + e.unavailable > 0) parts.push(`${e.perRecord} fetched one by one${e.unavailable > 0 ? `, ${e.unavailable} unavailable` : ''}`);
  const why = e.viewsUnavailable ? ` (no browse-view export: ${e.viewsUnavailable})` : '';
  return `EPrints exports: ${parts.join('; ')}${why}`;
}

export function oneLineReason(error: { message: string; verb?: string | undefined; url?: string | undefined }): string {
  const where = [error.verb, error.url].filter(Boolean).join(' ');
  return `${error.message.replace(/\s+/g, ' ')}${where ? ` [${where}]` : ''}`;
}
