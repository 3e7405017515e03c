// The run as a person sees it in a real terminal (tmux): a progress line per list, retry waits
// counted down, log lines above the display and never torn by it.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startProgressDemo, type ProgressDemo } from '../support/progress-demo.ts';
import { tempDir } from '../support/run.ts';

const MAIN = resolve(import.meta.dirname, '../../src/cli/bin.ts');
const LOG_LINE = /^\[\d\d:\d\d:\d\d\] (INFO|WARN|ERROR): /;
const PROGRESS_LINE = /^(kar|dspace) oai_dc: /;

/** A tmux server of this test's own, so parallel tests and a user's sessions are left alone. */
function tmux(socket: string, ...args: string[]): string {
  return execFileSync('tmux', ['-L', socket, ...args], { encoding: 'utf8' });
}

let demo: ProgressDemo | undefined;
let socket: string | undefined;
afterEach(async () => {
  if (socket) execFileSync('tmux', ['-L', socket, 'kill-server'], { stdio: 'ignore' });
  await demo?.server.close();
  demo = socket = undefined;
});

describe('a run on a terminal', () => {
  it('shows both sources\' lists and a retry wait below the log lines, tears no line, and leaves only the table', async () => {
    const dir = tempDir();
    demo = await startProgressDemo(dir, { kar: 2500, dspace: 1500 });
    socket = `oai-harvester-test-${process.pid}`;
    const done = join(dir, 'exit-code');
    const command = `'${process.execPath}' '${MAIN}' run --config '${demo.config}' --out '${join(dir, 'out')}'; echo $? > '${done}'; sleep 60`;
    // Wide enough that no log line wraps: every line on the screen is whole, or torn.
    tmux(socket, 'new-session', '-d', '-s', 'run', '-x', '2000', '-y', '60', command);
    const screens: string[][] = [];
    while (!existsSync(done)) {
      screens.push(tmux(socket, 'capture-pane', '-p', '-t', 'run').split('\n').filter((l) => l.trim() !== ''));
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(readFileSync(done, 'utf8').trim()).toBe('0');
    const both = screens.find((s) => s.some((l) => /^kar oai_dc: [\d,]+\/2,500 records \(\d+%\), \d+ pages?, [\d,]+\/s, ETA \d+ s$/.test(l))
      && s.some((l) => /^dspace oai_dc: [\d,]+\/1,500 records \(\d+%\), \d+ pages? · waiting \d+ s for 503 \(attempt [1-3] of 6\)$/.test(l)));
    expect(both, 'a screen with kar harvesting while dspace waits to retry').toBeDefined();
    for (const whole of screens) {
      // Log lines above, progress lines below, nothing else and nothing in between, until the table.
      const table = whole.findIndex((l) => l.startsWith('source  status'));
      const screen = table === -1 ? whole : whole.slice(0, table);
      const firstProgress = screen.findIndex((l) => PROGRESS_LINE.test(l));
      const above = firstProgress === -1 ? screen : screen.slice(0, firstProgress);
      const below = firstProgress === -1 ? [] : screen.slice(firstProgress);
      expect(above.every((l) => LOG_LINE.test(l)), above.join('\n')).toBe(true);
      expect(below.every((l) => PROGRESS_LINE.test(l)), below.join('\n')).toBe(true);
    }
    const last = tmux(socket, 'capture-pane', '-p', '-t', 'run').split('\n').filter((l) => l.trim() !== '');
    expect(last.some((l) => PROGRESS_LINE.test(l))).toBe(false);
    expect(last.findLast((l) => /^dspace +ok +1500 /.test(l))).toBeDefined();
    expect(last.findLast((l) => LOG_LINE.test(l) && l.includes('dspace: retrying request'))).toMatch(/"attempt":\d,"attempts":6,/);
  }, 60_000);

  it('on Ctrl-C commits the page in hand, takes the display off, and records the source as interrupted, exit 130', async () => {
    const dir = tempDir();
    demo = await startProgressDemo(dir, { kar: 4000, dspace: 3000 });
    socket = `oai-harvester-test-${process.pid}-c`;
    const done = join(dir, 'exit-code');
    const out = join(dir, 'out');
    const command = `'${process.execPath}' '${MAIN}' run --config '${demo.config}' --out '${out}'; echo $? > '${done}'; sleep 60`;
    tmux(socket, 'new-session', '-d', '-s', 'run', '-x', '2000', '-y', '60', command);
    const screen = () => tmux(socket!, 'capture-pane', '-p', '-t', 'run').split('\n').filter((l) => l.trim() !== '');
    while (!screen().some((l) => /^kar oai_dc: [\d,]+\/4,000 records \(([1-9]\d*)%\)/.test(l))) await new Promise((r) => setTimeout(r, 50));
    tmux(socket, 'send-keys', '-t', 'run', 'C-c');
    while (!existsSync(done)) await new Promise((r) => setTimeout(r, 100));
    expect(readFileSync(done, 'utf8').trim()).toBe('130');
    const last = screen();
    expect(last.some((l) => PROGRESS_LINE.test(l))).toBe(false);
    expect(last.find((l) => l.startsWith('kar '))).toMatch(/^kar\s+interrupted\s/);
    expect(last.some((l) => /WARN: stopping after the current page/.test(l))).toBe(true);
    // Not healthy (status exits 1), but interrupted: not failing, not stale.
    const status = spawnSync(process.execPath, [MAIN, 'status', '--json', '--config', demo.config, '--out', out], { encoding: 'utf8' });
    expect(status.status).toBe(1);
    expect(JSON.parse(status.stdout).sources.find((s: { source: string }) => s.source === 'kar')).toMatchObject({ health: 'interrupted', lastRun: { status: 'interrupted' } });
  }, 60_000);
});
