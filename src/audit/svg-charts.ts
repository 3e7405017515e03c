// Charts as inline SVG strings: the report must open anywhere, offline, with no script
// library. Every bar carries its number (data-count and a tooltip) so it can be checked.

export interface Part {
  series: string;
  value: number;
  color: string;
}

export interface Column {
  label: string;
  parts: Part[];
}

const FONT = 'font-family="system-ui, sans-serif" font-size="11"';

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** Stacked columns with a y axis of counts and a label under each column. */
export function stackedColumns(columns: readonly Column[], options: { title: string; height?: number; className?: string }): string {
  const height = options.height ?? 200;
  const barWidth = columns.length > 24 ? 14 : 24;
  const gap = 6;
  const left = 40;
  // Room for month labels turned 45°.
  const bottom = 58;
  const width = left + columns.length * (barWidth + gap) + gap;
  const max = Math.max(1, ...columns.map((c) => c.parts.reduce((n, p) => n + p.value, 0)));
  const scale = (height - bottom - 10) / max;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" class="chart ${options.className ?? ''}" role="img" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`);
  out.push(`<title>${escapeXml(options.title)}</title>`);
  out.push(axis(left, height - bottom, width, max, scale));
  columns.forEach((column, i) => {
    const x = left + gap + i * (barWidth + gap);
    let y = height - bottom;
    const total = column.parts.reduce((n, p) => n + p.value, 0);
    out.push(`<g class="column" data-label="${escapeXml(column.label)}" data-total="${total}">`);
    for (const part of column.parts) {
      const h = part.value * scale;
      y -= h;
      out.push(
        `<rect class="bar" data-series="${escapeXml(part.series)}" data-count="${part.value}" x="${x}" y="${round(y)}" width="${barWidth}" height="${round(h)}" fill="${part.color}">` +
          `<title>${escapeXml(`${column.label}: ${part.value} ${part.series}`)}</title></rect>`,
      );
    }
    const labelY = height - bottom + 12;
    out.push(`<text ${FONT} x="${x + barWidth / 2}" y="${labelY}" text-anchor="end" transform="rotate(-45 ${x + barWidth / 2} ${labelY})">${escapeXml(column.label)}</text>`);
    out.push('</g>');
  });
  out.push('</svg>');
  return out.join('');
}

/** Small columns with no axis, for a per-work trend next to a table row. */
export function sparkColumns(values: readonly { label: string; value: number }[], options: { title: string; color?: string }): string {
  const height = 32;
  const barWidth = 6;
  const width = Math.max(1, values.length) * (barWidth + 1);
  const max = Math.max(1, ...values.map((v) => v.value));
  const bars = values.map((v, i) => {
    const h = Math.max(v.value > 0 ? 1 : 0, (v.value / max) * height);
    return `<rect class="bar" data-label="${escapeXml(v.label)}" data-count="${v.value}" x="${i * (barWidth + 1)}" y="${round(height - h)}" width="${barWidth}" height="${round(h)}" fill="${options.color ?? '#4e79a7'}"><title>${escapeXml(`${v.label}: ${v.value}`)}</title></rect>`;
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" class="chart spark" role="img" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}"><title>${escapeXml(options.title)}</title>${bars.join('')}</svg>`;
}

function axis(left: number, baseline: number, width: number, max: number, scale: number): string {
  const step = niceStep(max);
  const ticks: string[] = [`<line x1="${left}" y1="${baseline}" x2="${width}" y2="${baseline}" stroke="#888"/>`];
  for (let v = step; v <= max; v += step) {
    const y = round(baseline - v * scale);
    ticks.push(`<line x1="${left}" y1="${y}" x2="${width}" y2="${y}" stroke="#e3e3e3"/><text ${FONT} x="${left - 4}" y="${y + 4}" text-anchor="end">${v}</text>`);
  }
  return `<g class="axis">${ticks.join('')}<text ${FONT} x="${left - 4}" y="${baseline + 4}" text-anchor="end">0</text></g>`;
}

function niceStep(max: number): number {
  const raw = max / 4;
  const magnitude = 10 ** Math.floor(Math.log10(Math.max(1, raw)));
  for (const m of [1, 2, 5, 10]) if (m * magnitude >= raw) return Math.max(1, m * magnitude);
  return 10 * magnitude;
}

function round(x: number): number {
  return Math.round(x * 10) / 10;
}
