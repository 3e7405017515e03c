// The progress display's lines, and how it shares the terminal with log lines.
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { listText, progressLines, terminalDisplay, waitText } from '../../src/cli/progress.ts';
import type { ListProgress, SourceWait } from '../../src/pipeline/harvest.ts';

const T0 = Date.UTC(2026, 11, 1, 12);
const list = (over: Partial<ListProgress> = {}): ListProgress => ({
  source: 'kar', list: 'oai_dc', state: 'running', pages: 12, received: 1200, receivedBefore: 0, completeListSize: 40_000, startedAt: T0, ...over,
});
const retry: SourceWait = { source: 'kar', kind: 'retry', verb: 'ListRecords', reason: '503', attempt: 3, attempts: 6, until: T0 + 30_000 };

describe('the progress line of a list', () => {
  it('gives records of the list size, percentage, pages, rate and time left', () => {
    expect(listText(list(), T0 + 10_000)).toBe('1,200/40,000 records (3%), 12 pages, 120/s, ETA 5 min');
  });

  it('counts the rate over this run only when a harvest resumed, and leaves out what it cannot know', () => {
    expect(listText(list({ received: 1300, receivedBefore: 1000 }), T0 + 10_000)).toBe('1,300/40,000 records (3%), 12 pages, 30/s, ETA 22 min');
    expect(listText(list({ completeListSize: null, pages: 1, received: 100 }), T0 + 500)).toBe('100 records, 1 page');
  });

  it('shows a retry wait as a countdown, with the attempt of how many', () => {
    expect(waitText(retry, T0)).toBe('waiting 30 s for 503 (attempt 3 of 6)');
    expect(waitText(retry, T0 + 29_100)).toBe('waiting 1 s for 503 (attempt 3 of 6)');
    expect(waitText({ ...retry, kind: 'answer', reason: 'no answer yet', attempts: null, attempt: 1, until: T0 + 30_000 }, T0)).toBe('ListRecords: no answer yet, gives up in 30 s (attempt 1)');
  });

  it('puts one line per list, its source\'s wait on it, a source waiting before any list on its own, each cut to the width', () => {
    const lines = progressLines({
      lists: [list(), list({ source: 'dspace', received: 10, pages: 1 })],
      waits: new Map([['dspace', { ...retry, source: 'dspace' }], ['pure', { ...retry, source: 'pure', verb: 'Identify', attempt: 1 }]]),
      now: T0 + 10_000, width: 90,
    });
    expect(lines).toEqual([
      'kar oai_dc: 1,200/40,000 records (3%), 12 pages, 120/s, ETA 5 min',
      'dspace oai_dc: 10/40,000 records (0%), 1 page · waiting 20 s for 503 (attempt 3 of 6)',
      'pure: waiting 20 s for 503 (attempt 1 of 6)',
    ]);
    expect(progressLines({ lists: [list()], waits: new Map(), now: T0 + 10_000, width: 30 })).toEqual(['kar oai_dc: 1,200/40,000 rec…']);
  });
});

/** A terminal that keeps what is written to it. */
function fakeTerminal() {
  const chunks: string[] = [];
  const stream = new Writable({ write: (chunk, _encoding, done) => (chunks.push(String(chunk)), done()) }) as Writable & NodeJS.WriteStream;
  Object.assign(stream, { isTTY: true, columns: 100, rows: 30 });
  return { stream, text: () => chunks.join('') };
}

describe('the terminal display', () => {
  it('is off when the output is not a terminal', async () => {
    const stream = new Writable({ write: (_c, _e, done) => done() }) as Writable & NodeJS.WriteStream;
    expect(await terminalDisplay(stream)).toBeUndefined();
  });

  it('prints log lines above its lines and draws them again below, and leaves nothing behind when closed', async () => {
    const { stream, text } = fakeTerminal();
    const display = (await terminalDisplay(stream))!;
    display.list(list({ startedAt: Date.now() }));
    display.print('[12:00:00] WARN: kar: retrying request\n');
    const afterLog = text();
    const logAt = afterLog.lastIndexOf('retrying request');
    expect(afterLog.lastIndexOf('kar oai_dc: 1,200/40,000 records')).toBeGreaterThan(logAt);
    // The lines drawn before the log line are erased before it is written (ESC [2K is erase-line).
    expect(afterLog.slice(0, logAt)).toContain('\u001B[2K');
    display.list(list({ state: 'complete' }));
    await new Promise((r) => setTimeout(r, 250));
    display.close();
    display.print('after\n');
    expect(text().endsWith('after\n')).toBe(true);
  });
});
