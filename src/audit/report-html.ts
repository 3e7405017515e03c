// audit/report.html: the page a repository manager reads. One self-contained file (inline
// CSS and SVG, no script, a CSP that forbids any request), so it can be mailed or archived.
import { daysBeyondDeadline, type AuditRule, type DepositAudit, type Verdict } from './deposit-audit.ts';
import type { AuditSummary, Tally } from './audit-report.ts';
import { escapeXml as esc, sparkColumns, stackedColumns, type Column } from './svg-charts.ts';

export interface WorkDownloads {
  metric: string;
  months: { month: string; count: number }[];
}

export interface ReportInput {
  generatedAt: string;
  rule: AuditRule;
  from: string | null;
  to: string | null;
  summary: AuditSummary;
  /** The worst late and unknown copies, listed one by one, worst first (at most LISTED_AT_MOST). */
  listed: readonly DepositAudit[];
  /** How many late and unknown copies there are in all; those beyond `listed` are in the CSV. */
  listedTotal: number;
  /** One audit of each retracted or corrected work, whatever its verdict. */
  flagged: readonly DepositAudit[];
  /** Per work id, its downloads per month, when statistics exist. */
  downloads: ReadonlyMap<string, WorkDownloads>;
}

const COLORS: Record<Verdict, string> = { 'on time': '#59a14f', late: '#e15759', unknown: '#bab0ac' };
const VERDICTS: readonly Verdict[] = ['on time', 'late', 'unknown'];
const RULES: Record<AuditRule, string> = {
  ref2021: 'REF 2021: deposited within three months of acceptance',
  ref2029: 'REF 2029: deposited within three months of publication',
};

export function renderReport(input: ReportInput): string {
  const { summary } = input;
  const total = VERDICTS.reduce((n, v) => n + summary.total[v], 0);
  const period = input.from || input.to ? `reference dates ${input.from ?? 'any'} to ${input.to ?? 'any'}` : 'every reference date';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Deposit audit – ${esc(RULES[input.rule])}</title>
<style>${CSS}</style>
</head>
<body>
<header>
<h1>Deposit audit</h1>
<p class="rule">${esc(RULES[input.rule])}; ${esc(period)}</p>
<p class="meta">Generated ${esc(input.generatedAt)} from ${num(total)} ${total === 1 ? 'copy' : 'copies'} in ${Object.keys(summary.byRepository).length} repositories.
A work held by several repositories is judged once per repository. Partial dates count as the end of their period.</p>
<p class="files">Every copy: <a href="deposit-audit.csv">deposit-audit.csv</a> · <a href="deposit-audit.jsonl">deposit-audit.jsonl</a> · <a href="../tables/audit.parquet">tables/audit.parquet</a> · <a href="summary.json">summary.json</a></p>
</header>
<section id="totals" class="cards">${VERDICTS.map((v) => card(v, summary.total[v], total)).join('')}</section>
${trendSection(summary)}
<section id="compliance">
<h2>Compliance by repository and month</h2>
<p class="note">Month of the reference date (the deposit date when there is none).</p>
${legend()}
${Object.entries(summary.byRepositoryMonth).sort(([a], [b]) => a.localeCompare(b)).map(([repo, months]) => repositoryFigure(repo, months, summary.byRepository[repo]!)).join('\n')}
</section>
<section id="lag">
<h2>Deposit lag</h2>
<p class="note">Days from the reference date to the deposit; three months is about 92 days.</p>
${stackedColumns(summary.lagHistogram.map((b) => ({ label: b.bin, parts: [{ series: 'copies', value: b.count, color: '#4e79a7' }] })), { title: 'Copies by deposit lag in days', className: 'histogram', height: 200 })}
${table(['Lag (days)', 'Copies'], summary.lagHistogram.map((b) => [esc(b.bin), num(b.count)]), 'lag-table')}
</section>
<section id="breakdowns">
<h2>By year and by division</h2>
<div class="columns">
${tallyTable('Year', summary.byYear, 'year-table')}
${tallyTable('Division', summary.byDivision, 'division-table')}
</div>
</section>
${unknownSection(summary.unknown)}
${flaggedSection(input.flagged)}
<section id="listed">
<h2>Late and unknown (${num(input.listedTotal)})</h2>
${input.listedTotal > input.listed.length ? `<p class="note">The ${num(input.listed.length)} worst: late copies, the latest first, then unknown ones. All ${num(input.listedTotal)} are in <a href="deposit-audit.csv">deposit-audit.csv</a>.</p>` : ''}
${listedTable(input.listed, input.downloads)}
</section>
</body>
</html>
`;
}

/** Why copies could not be judged, per repository, and the setting that brings the missing date. */
function unknownSection(groups: AuditSummary['unknown']): string {
  if (groups.length === 0) return '';
  const rows = groups.map((g) => [esc(g.source), esc(g.cause), num(g.count), g.fix ? esc(`To fix it, ${g.fix}.`) : 'The repository does not record it in the formats harvested.']);
  return `<section id="unknown">
<h2>Why copies are unknown</h2>
${table(['Repository', 'Missing', 'Copies', 'What fixes it'], rows, 'unknown-table')}
</section>`;
}

/** Works with a retraction or correction notice: a deposit on time does not make them count as they were. */
function flaggedSection(flagged: readonly DepositAudit[]): string {
  if (flagged.length === 0) return '';
  const rows = [...flagged].sort((a, b) => Number(b.retracted) - Number(a.retracted) || a.work.localeCompare(b.work)).map((a) => [
    `<span class="flag">${a.retracted ? 'retracted' : 'corrected'}</span>`,
    `${esc(a.title ?? a.work)}${a.doi ? `<br><a class="doi" href="https://doi.org/${esc(a.doi)}">${esc(a.doi)}</a>` : ''}`,
    a.notices.map((n) => `${esc(n.type)} <a href="https://doi.org/${esc(n.doi)}">${esc(n.doi)}</a>${n.date ? ` (${esc(n.date)})` : ''}`).join('<br>'),
  ]);
  return `<section id="flagged">
<h2>Retracted and corrected works (${flagged.length})</h2>
<p class="note">From the notices linked to each work's DOI at Crossref.</p>
${table(['Flag', 'Work', 'Notices'], rows, 'flagged-table')}
</section>`;
}

function card(verdict: Verdict, count: number, total: number): string {
  const share = total === 0 ? '–' : `${Math.round((count / total) * 1000) / 10}%`;
  return `<div class="card" data-verdict="${verdict}" style="border-color:${COLORS[verdict]}"><div class="count">${num(count)}</div><div>${verdict}</div><div class="share">${share}</div></div>`;
}

function legend(): string {
  return `<p class="legend">${VERDICTS.map((v) => `<span><i style="background:${COLORS[v]}"></i>${v}</span>`).join('')}</p>`;
}

function repositoryFigure(repo: string, months: Record<string, Tally>, totals: Tally): string {
  const columns: Column[] = Object.keys(months)
    .sort((a, b) => (a === 'unknown' ? 1 : b === 'unknown' ? -1 : a.localeCompare(b)))
    .map((month) => ({ label: month, parts: VERDICTS.map((v) => ({ series: v, value: months[month]![v], color: COLORS[v] })) }));
  const sum = VERDICTS.reduce((n, v) => n + totals[v], 0);
  const onTime = sum === 0 ? 0 : Math.round((totals['on time'] / sum) * 1000) / 10;
  return `<figure class="repository" data-repository="${esc(repo)}">
<figcaption><strong>${esc(repo)}</strong>: ${num(totals['on time'])} on time, ${num(totals.late)} late, ${num(totals.unknown)} unknown (${onTime}% on time)</figcaption>
<div class="scroll">${stackedColumns(columns, { title: `${repo}: compliance by month`, className: 'compliance', height: 240 })}</div>
</figure>`;
}

function tallyTable(heading: string, tallies: Record<string, Tally>, id: string): string {
  const rows = Object.entries(tallies)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, t]) => [esc(key), ...VERDICTS.map((v) => num(t[v]))]);
  return table([heading, ...VERDICTS], rows, id);
}

function listedTable(listed: readonly DepositAudit[], downloads: ReadonlyMap<string, WorkDownloads>): string {
  if (listed.length === 0) return '<p>None: every copy was deposited on time.</p>';
  const rows = listed.map((a) => {
    const flag = a.retracted ? ' <span class="flag">retracted</span>' : a.corrected ? ' <span class="flag">corrected</span>' : '';
    const title = `${esc(a.title ?? a.work)}${flag}`;
    const link = a.landingPage ? `<a href="${esc(a.landingPage)}">${title}</a>` : title;
    const doi = a.doi ? `<a class="doi" href="https://doi.org/${esc(a.doi)}">${esc(a.doi)}</a>` : '';
    const d = downloads.get(a.work);
    const chart = d
      ? `${sparkColumns(d.months.map((m) => ({ label: m.month, value: m.count })), { title: `${a.work}: ${d.metric} per month` })}<div class="small">${esc(d.metric)}, ${d.months[0]?.month ?? ''} to ${d.months.at(-1)?.month ?? ''}</div>`
      : '<span class="small">no statistics</span>';
    const beyond = daysBeyondDeadline(a);
    return `<tr data-work="${esc(a.work)}" data-source="${esc(a.source)}" data-verdict="${a.verdict}">` +
      `<td class="verdict" style="color:${COLORS[a.verdict]}">${a.verdict}</td><td>${esc(a.source)}</td><td>${link}<br>${doi}</td>` +
      `<td class="date">${esc(a.deposit?.value.slice(0, 10) ?? '–')}</td><td class="date">${a.reference ? `${esc(a.reference.date)} ${esc(a.reference.value)}` : '–'}</td>` +
      `<td class="date">${esc(a.deadline ?? '–')}</td><td class="num">${a.lagDays ?? '–'}</td><td class="num beyond">${beyond ?? '–'}</td><td class="reason">${esc(a.reason)}</td><td class="downloads">${chart}</td></tr>`;
  });
  return `<table id="listed-table"><thead><tr><th>Verdict</th><th>Repository</th><th>Work</th><th>Deposited</th><th>Reference</th><th>Deadline</th><th>Lag (days)</th><th>Beyond deadline (days)</th><th>Why</th><th>Downloads per month</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

/** Compliance over time, all repositories together: the share on time per month of the reference date. */
function trendSection(summary: AuditSummary): string {
  const months = new Map<string, Tally>();
  for (const byMonth of Object.values(summary.byRepositoryMonth)) {
    for (const [month, t] of Object.entries(byMonth)) {
      if (month === 'unknown') continue;
      const sum = months.get(month) ?? { 'on time': 0, late: 0, unknown: 0 };
      for (const v of VERDICTS) sum[v] += t[v];
      months.set(month, sum);
    }
  }
  if (months.size === 0) return '';
  const columns: Column[] = [...months.keys()].sort().map((month) => ({ label: month, parts: VERDICTS.map((v) => ({ series: v, value: months.get(month)![v], color: COLORS[v] })) }));
  const share = [...months.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([month, t]) => {
    const sum = VERDICTS.reduce((n, v) => n + t[v], 0);
    return [esc(month), num(sum), sum === 0 ? '–' : `${Math.round((t['on time'] / sum) * 1000) / 10}%`];
  });
  return `<section id="trend">
<h2>Compliance over time</h2>
<p class="note">All repositories, by month of the reference date.</p>
${legend()}
<div class="scroll">${stackedColumns(columns, { title: 'All repositories: compliance by month', className: 'trend', height: 260 })}</div>
<details><summary>As a table</summary>${table(['Month', 'Copies', 'On time'], share, 'trend-table')}</details>
</section>`;
}

function table(headings: readonly string[], rows: readonly string[][], id: string): string {
  return `<table id="${id}"><thead><tr>${headings.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c, i) => `<td${i > 0 && /^[\d,.]+%?$/.test(c) ? ' class="num"' : ''}>${c}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

function num(n: number): string {
  return n.toLocaleString('en-GB');
}

const CSS = `
body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:1200px;padding:0 1rem;color:#222}
h1{margin-bottom:.2rem}h2{margin-top:2.2rem;border-bottom:1px solid #ddd;padding-bottom:.3rem}
.rule{font-size:1.1rem;margin:.2rem 0}.meta,.note,.small{color:#555;font-size:.85rem}
.cards{display:flex;gap:1rem;margin-top:1rem}.card{border-left:6px solid;padding:.6rem 1rem;background:#f7f7f7;min-width:9rem}
.card .count{font-size:1.8rem;font-weight:600}.card .share{color:#555}
.legend span{margin-right:1rem}.legend i{display:inline-block;width:.8rem;height:.8rem;margin-right:.3rem;vertical-align:middle}
figure{margin:1rem 0}.scroll{overflow-x:auto}
table{border-collapse:collapse;font-size:.85rem;margin:.5rem 0}th,td{border-bottom:1px solid #e3e3e3;padding:.25rem .5rem;text-align:left;vertical-align:top}
td.num{text-align:right}.columns{display:flex;gap:2rem;flex-wrap:wrap}.reason{max-width:22rem}.verdict{font-weight:600}.flag{background:#e15759;color:#fff;border-radius:3px;padding:0 .3em;font-size:.8em}
td.date{white-space:nowrap}.files{font-size:.9rem}svg.chart{max-width:100%;height:auto}
@media print{
body{max-width:none;margin:0;padding:0;font-size:9pt}a{color:inherit;text-decoration:none}.scroll{overflow:visible}
section{break-inside:avoid-page}#listed,#flagged{break-inside:auto}tr{break-inside:avoid}details{display:none}
.cards{gap:.5rem}.card{min-width:6rem;padding:.3rem .6rem}td.downloads,#listed-table th:last-child{display:none}
}
`;
