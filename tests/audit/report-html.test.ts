// The HTML report opened in real headless Chromium (Debian's package; .ci/run installs it).
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditedOutput } from '../support/audited-output.ts';

const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
/** Kept after the run for a person to look at. */
const SCREENSHOT = resolve(import.meta.dirname, '../../output/test-artifacts/audit-report.png');
const PRINT_SCREENSHOT = resolve(import.meta.dirname, '../../output/test-artifacts/audit-report-print.png');

let out = '';
let stop = async () => {};
let browser: Browser | undefined;
let page: Page;
const requested: string[] = [];
let reportUrl = '';

const jsonl = (file: string) => readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, any>);

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: install Debian's chromium package (.ci/run does) or set CHROMIUM_PATH`);
  ({ out, stop } = await auditedOutput());
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on('request', (r) => requested.push(r.url()));
  reportUrl = pathToFileURL(join(out, 'audit', 'report.html')).href;
  await page.goto(reportUrl, { waitUntil: 'load' });
  mkdirSync(resolve(SCREENSHOT, '..'), { recursive: true });
  await page.screenshot({ path: SCREENSHOT, fullPage: true });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await stop();
});

const summary = () => JSON.parse(readFileSync(join(out, 'audit', 'summary.json'), 'utf8'));

describe('audit/report.html in headless Chromium', () => {
  it('loads as one file: no request leaves the page', () => {
    expect(requested).toEqual([reportUrl]);
    expect(existsSync(SCREENSHOT)).toBe(true);
  });

  it('shows the totals of summary.json', async () => {
    const s = summary();
    expect(s.total).toEqual({ on_time: 1, late: 1, unknown: 2 });
    for (const verdict of ['on time', 'late', 'unknown']) {
      expect(await page.locator(`.card[data-verdict="${verdict}"] .count`).textContent()).toBe(String(s.total[verdict.replace(' ', '_')]));
    }
    expect(s.byYear).toEqual([{ year: '2021', on_time: 1, late: 1, unknown: 0 }, { year: 'unknown', on_time: 0, late: 0, unknown: 2 }]);
    const years = await page.$$eval('#year-table tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));
    expect(years).toEqual([['2021', '1', '1', '0'], ['unknown', '0', '0', '2']]);
  });

  it('draws compliance per repository and month with the numbers of summary.json', async () => {
    const s = summary();
    const drawn = await page.$$eval('figure.repository', (figures) =>
      figures.map((f) => ({
        repository: f.getAttribute('data-repository'),
        columns: [...f.querySelectorAll('g.column')].map((g) => ({
          month: g.getAttribute('data-label'),
          bars: [...g.querySelectorAll('rect.bar')].map((r) => ({
            series: r.getAttribute('data-series'), count: Number(r.getAttribute('data-count')), height: r.getBoundingClientRect().height,
          })),
        })),
      })),
    );
    const months = s.byRepositoryMonth as { repository: string; month: string; on_time: number; late: number; unknown: number }[];
    expect(drawn.map((d) => d.repository)).toEqual([...new Set(months.map((m) => m.repository))].sort());
    for (const figure of drawn) {
      const expected = months.filter((m) => m.repository === figure.repository);
      expect(figure.columns.map((c) => c.month).sort()).toEqual(expected.map((m) => m.month).sort());
      for (const column of figure.columns) {
        for (const bar of column.bars) {
          const row = expected.find((m) => m.month === column.month)!;
          expect(bar.count).toBe(row[bar.series!.replace(' ', '_') as 'on_time' | 'late' | 'unknown']);
          // Rendered: a bar with copies has height on screen, an empty one none.
          expect(bar.height > 0).toBe(bar.count > 0);
        }
      }
    }
    expect(months.filter((m) => m.repository === 'kar')).toEqual([
      { repository: 'kar', month: '2021-07', on_time: 1, late: 1, unknown: 0 },
      { repository: 'kar', month: 'unknown', on_time: 0, late: 0, unknown: 1 },
    ]);
  });

  it('draws the deposit-lag histogram from summary.json', async () => {
    const s = summary();
    const bars = await page.$$eval('svg.histogram g.column', (gs) =>
      gs.map((g) => ({ bin: g.getAttribute('data-label'), count: Number(g.getAttribute('data-total')), height: g.getBoundingClientRect().height })),
    );
    expect(bars.map(({ bin, count }) => ({ bin, count }))).toEqual(s.lagHistogram);
    expect(s.lagHistogram.find((b: { bin: string }) => b.bin === '0–30').count).toBe(1);
    expect(s.lagHistogram.find((b: { bin: string }) => b.bin === '183–365').count).toBe(1);
    for (const bar of bars) if (bar.count > 0) expect(bar.height).toBeGreaterThan(0);
  });

  it('lists the late and unknown copies with links to their landing pages', async () => {
    const audits = jsonl(join(out, 'audit', 'deposit-audit.jsonl')).filter((a) => a.verdict !== 'on time');
    const rows = await page.$$eval('#listed-table tbody tr', (trs) =>
      trs.map((tr) => ({
        work: tr.getAttribute('data-work'), source: tr.getAttribute('data-source'), verdict: tr.getAttribute('data-verdict'),
        link: tr.querySelector('td:nth-child(3) a:not(.doi)')?.getAttribute('href') ?? null, lag: tr.querySelector('td:nth-child(7)')?.textContent,
      })),
    );
    expect(rows).toHaveLength(audits.length);
    expect(rows[0]).toMatchObject({ work: 'doi:10.3399/late.2021.1', verdict: 'late', link: 'https://kar.kent.ac.uk/89600/', lag: '252' });
    for (const a of audits) {
      expect(rows).toContainEqual(expect.objectContaining({ work: a.work, source: a.source, verdict: a.verdict, link: a.landingPage }));
    }
    expect(await page.locator('#listed-table').textContent()).toContain('A paper dated only by dc:date & nothing else');
  });

  it('names the rule and period, links every file with all the copies, and gives the days beyond the deadline', async () => {
    expect(await page.locator('header .rule').textContent()).toBe('REF 2021: deposited within three months of acceptance; every reference date');
    expect(await page.$$eval('header .files a', (links) => links.map((a) => a.getAttribute('href')))).toEqual(['deposit-audit.csv', 'deposit-audit.jsonl', '../tables/audit.parquet', 'summary.json']);
    for (const href of ['deposit-audit.csv', 'deposit-audit.jsonl', 'summary.json']) expect(existsSync(join(out, 'audit', href))).toBe(true);
    const late = jsonl(join(out, 'audit', 'deposit-audit.jsonl')).find((a) => a.verdict === 'late')!;
    expect(await page.locator(`tr[data-work="${late.work}"] td.beyond`).textContent()).toBe('160');
    expect(late).toMatchObject({ deadline: '2021-10-06', deposit: { value: '2022-03-15T09:00:00Z' } });
    expect(await page.locator('#trend svg.trend g.column').count()).toBeGreaterThan(0);
  });

  it('prints: the print stylesheet drops the download charts and lets the tables run across pages', async () => {
    await page.emulateMedia({ media: 'print' });
    await page.setViewportSize({ width: 794, height: 1123 });
    try {
      expect(await page.locator('#listed-table td.downloads').first().isVisible()).toBe(false);
      expect(await page.locator('#listed-table td.reason').first().isVisible()).toBe(true);
      await page.screenshot({ path: PRINT_SCREENSHOT, fullPage: true });
      expect(existsSync(PRINT_SCREENSHOT)).toBe(true);
    } finally {
      await page.emulateMedia({ media: 'screen' });
      await page.setViewportSize({ width: 1280, height: 900 });
    }
  });

  it('charts a listed work\'s downloads per month from stats/downloads.jsonl', async () => {
    const downloads = jsonl(join(out, 'stats', 'downloads.jsonl')).filter((d) => d.work === 'doi:10.3399/late.2021.1');
    const bars = await page.$$eval('tr[data-work="doi:10.3399/late.2021.1"] svg.spark rect.bar', (rects) =>
      rects.map((r) => ({ month: r.getAttribute('data-label'), count: Number(r.getAttribute('data-count')), height: r.getBoundingClientRect().height })),
    );
    // Every month from the first to the last, a month with no downloads drawn as zero.
    expect(bars.map(({ month, count }) => ({ month, count }))).toEqual([
      { month: '2024-01', count: 3 }, { month: '2024-02', count: 0 }, { month: '2024-03', count: 9 },
    ]);
    for (const d of downloads) expect(bars.find((b) => b.month === d.month)?.count).toBe(d.count);
    expect(bars.filter((b) => b.count > 0).every((b) => b.height > 0)).toBe(true);
    expect(await page.locator('tr[data-work="doi:10.1000/dated-2021"] .downloads').textContent()).toBe('no statistics');
  });
});
