// The progress display on a terminal: one line per running list, and per source waiting, redrawn
// in place by log-update; log lines are printed above it, never through it.
import type { ListProgress, ProgressListener, SourceWait } from '../pipeline/harvest.ts';

/** How often the lines are redrawn at most, and at least while anything waits (its countdown). */
const REDRAW_MS = 200;
const TICK_MS = 1_000;

export interface TerminalDisplay extends ProgressListener {
  /** Writes text (whole lines) above the display. */
  print(text: string): void;
  /** Takes the display off the screen for good. */
  close(): void;
}

/** A display on `stream` when it is a terminal; undefined elsewhere (cron, pipes, CI). */
export async function terminalDisplay(stream: NodeJS.WriteStream = process.stderr): Promise<TerminalDisplay | undefined> {
  if (!stream.isTTY) return undefined;
  // Loaded for a terminal only: unattended runs never pay for it.
  const { createLogUpdate } = await import('log-update');
  const update = createLogUpdate(stream);
  const lists = new Map<string, ListProgress>();
  const waits = new Map<string, SourceWait>();
  let drawnAt = 0;
  let pending: NodeJS.Timeout | undefined;
  let closed = false;
  let shown = false;
  const draw = () => {
    pending = undefined;
    drawnAt = Date.now();
    const lines = progressLines({ lists: [...lists.values()], waits, now: drawnAt, width: stream.columns ?? 100 });
    // log-update draws an empty frame as a blank line: nothing to show is cleared instead.
    if (lines.length > 0) update(lines.join('\n'));
    else if (shown) update.clear();
    shown = lines.length > 0;
  };
  const redraw = () => {
    if (closed || pending) return;
    const wait = REDRAW_MS - (Date.now() - drawnAt);
    if (wait <= 0) draw();
    else pending = setTimeout(draw, wait).unref();
  };
  const tick = setInterval(() => {
    if (waits.size > 0) redraw();
  }, TICK_MS).unref();
  return {
    list(progress) {
      const key = `${progress.source}\u0000${progress.list}`;
      if (progress.state === 'running') lists.set(key, { ...progress });
      else lists.delete(key);
      // A page came: whatever the source was waiting for is over.
      if (progress.pages > 0) waits.delete(progress.source);
      redraw();
    },
    wait(source, wait) {
      if (wait) waits.set(source, wait);
      else waits.delete(source);
      redraw();
    },
    print(text) {
      if (closed) {
        stream.write(text);
        return;
      }
      update.persist(text.replace(/\n$/, ''));
      shown = false;
      draw();
    },
    close() {
      if (closed) return;
      closed = true;
      clearInterval(tick);
      if (pending) clearTimeout(pending);
      if (shown) update.clear();
      update.done();
    },
  };
}

export interface ProgressScreen {
  lists: readonly ListProgress[];
  waits: ReadonlyMap<string, SourceWait>;
  now: number;
  width: number;
}

/** The display's lines: each running list, with its source's wait, and each source waiting before any list. */
export function progressLines(screen: ProgressScreen): string[] {
  const lines: string[] = [];
  const shown = new Set<string>();
  for (const list of screen.lists) {
    const wait = screen.waits.get(list.source);
    // While its source waits, the wait says more than a rate falling and an ETA rising.
    const text = wait ? `${listText(list, screen.now, { counts: true })} · ${waitText(wait, screen.now)}` : listText(list, screen.now);
    lines.push(fit(`${list.source} ${list.list}: ${text}`, screen.width));
    shown.add(list.source);
  }
  for (const [source, wait] of screen.waits) {
    if (!shown.has(source)) lines.push(fit(`${source}: ${waitText(wait, screen.now)}`, screen.width));
  }
  return lines;
}

/** "1,200/40,000 records (3%), 12 pages, 85/s, ETA 7 min" */
export function listText(list: ListProgress, now: number, only: { counts?: boolean } = {}): string {
  const count = (n: number) => n.toLocaleString('en-GB');
  const size = list.completeListSize;
  const seconds = (now - list.startedAt) / 1000;
  const rate = seconds >= 1 ? (list.received - list.receivedBefore) / seconds : 0;
  const parts = [size !== null && size > 0
    ? `${count(list.received)}/${count(size)} records (${Math.min(100, Math.floor((100 * list.received) / size))}%)`
    : `${count(list.received)} records`];
  parts.push(`${count(list.pages)} ${list.pages === 1 ? 'page' : 'pages'}`);
  if (only.counts) return parts.join(', ');
  if (rate > 0) parts.push(`${count(Math.round(rate))}/s`);
  if (size !== null && rate > 0 && size > list.received) parts.push(`ETA ${duration((size - list.received) / rate)}`);
  return parts.join(', ');
}

/** "waiting 30 s for 503 (attempt 3 of 6)", or "ListRecords: no answer yet, gives up in 15 s (attempt 1)" */
export function waitText(wait: SourceWait, now: number): string {
  const left = duration(Math.max(0, (wait.until - now) / 1000));
  if (wait.kind === 'retry') return `waiting ${left} for ${wait.reason} (attempt ${wait.attempt} of ${wait.attempts})`;
  return `${wait.verb ?? 'request'}: ${wait.reason}, gives up in ${left} (attempt ${wait.attempt})`;
}

function duration(seconds: number): string {
  const s = Math.ceil(seconds);
  if (s < 90) return `${s} s`;
  if (s < 90 * 60) return `${Math.round(s / 60)} min`;
  return `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min`;
}

function fit(line: string, width: number): string {
  return line.length < width ? line : `${line.slice(0, Math.max(1, width - 2))}…`;
}
