import { appendFileSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { updateWorks } from '../../src/sinks/works-output.ts';
import { worksRun } from '../../src/dedupe/recompute-works.ts';
import { snapshotDue, worksFile, writeWorksSnapshot, worksSnapshotLockFile } from '../../src/sinks/works-snapshot.ts';
import { workId } from '../../src/dedupe/merge-work.ts';
import { COMMON_RECORD_SCHEMA_VERSION, emptyFields, type CommonRecord } from '../../src/formats/common-record.ts';
import { acquireLock } from '../../src/store/source-lock.ts';
import { StateStore } from '../../src/store/state.ts';
import { tempDir } from '../support/run.ts';
import { jsonDocumentText } from '../../src/store/json-bytes.ts';

function record(source: string, n: number, title: string, doi: string | null): CommonRecord {
  const { doiCandidates: _unused, ...fields } = emptyFields();
  void _unused;
  return {
    ...fields, schemaVersion: COMMON_RECORD_SCHEMA_VERSION, id: `${source}:oai:${source}:${n}`, source, identifier: `oai:${source}:${n}`,
    deleted: false, datestamp: '2024-01-01T00:00:00Z', sets: [], formats: ['oai_dc'], fieldSources: {}, title,
    creators: [{ name: `Family${n}, A.`, family: `Family${n}`, given: 'A.', orcid: null }], doi,
    doiInfo: doi ? { original: doi, field: 'dc:relation', reason: 'a bare DOI in dc:relation', others: [] } : null,
    landingPage: `https://${source}.example/${n}/`,
  };
}

function save(state: StateStore, r: CommonRecord, deleted = false): void {
  state.transaction(() => state.records.save([{ sourceId: r.source, identifier: r.identifier, deleted: deleted, workId: workId(r), recordJson: JSON.stringify(r) }]));
}

/** What writing works.jsonl whole from the database gives. */
const whole = (state: StateStore) => [...state.works.all()].map((w) => `${jsonDocumentText(w)}\n`).join('');

function setup() {
  const dir = tempDir('oai-works-snapshot-');
  const out = join(dir, 'out');
  const state = StateStore.open(join(dir, 'state.sqlite'));
  let runs = 0;
  const run = (everyHours = 0, now = new Date()) => updateWorks(worksRun(state, { policy: { sourcePriority: [] }, runId: `run-${++runs}`, now, snapshotEveryHours: everyHours }), out);
  return { dir, out, state, run };
}

describe('works.jsonl after a run that changed some works', () => {
  it('is patched from the previous file, and is byte for byte what writing it whole gives', async () => {
    const { out, state, run } = setup();
    // Some ids sort before, between and after others; accents sort by UTF-8 bytes.
    for (let n = 0; n < 40; n++) save(state, record('kar', n, `Paper ${n}`, n % 3 === 0 ? null : `10.1000/${n % 5 === 0 ? 'é' : ''}p${n * 7}`));
    save(state, record('leeds', 1, 'Paper 1, the copy in Leeds', '10.1000/p7'));
    const first = await run();
    expect(first.snapshotOf).toMatchObject({ behind: false });
    expect(state.snapshots.state()).toMatchObject({ written: 'whole' });

    save(state, record('kar', 2, 'Paper 2, retitled', '10.1000/p14'));          // changed
    save(state, record('kar', 4, 'Paper 4, DOI corrected', '10.1000/a-first'));  // moves: one work gone, one added first
    save(state, record('kar', 5, 'Paper 5', '10.1000/ép35'), true);             // deleted: a tombstone
    save(state, record('ucl', 1, 'A new paper', '10.1000/zz-last'));             // added last
    save(state, record('leeds', 1, 'x', '10.1000/p7'), true);                    // a work loses one of two copies
    const second = await run();
    expect(second).toMatchObject({ added: 2, removed: 2, snapshotWritten: true });
    expect(state.snapshots.state()).toMatchObject({ written: 'patched' });
    expect(readFileSync(worksFile(out), 'utf8')).toBe(whole(state));
    expect(second.total).toBe(readFileSync(worksFile(out), 'utf8').trim().split('\n').length);
    // Nothing is left to patch in: the next run changes nothing and rewrites nothing.
    expect(state.snapshots.pendingCount(Number.MAX_SAFE_INTEGER)).toBe(0);
    expect(await run()).toMatchObject({ touched: 0, snapshotWritten: false });
  });

  it('takes in every change of the runs it skipped under works.snapshotEveryHours', async () => {
    const { out, state, run } = setup();
    for (let n = 0; n < 20; n++) save(state, record('kar', n, `Paper ${n}`, `10.1000/p${n}`));
    const start = new Date('2026-11-22T00:00:00Z');
    await run(24, start);
    save(state, record('kar', 3, 'Retitled in the first skipped run', '10.1000/p3'));
    expect(await run(24, new Date('2026-11-22T06:00:00Z'))).toMatchObject({ snapshotWritten: false });
    save(state, record('kar', 3, 'Retitled again', '10.1000/p3'));
    save(state, record('kar', 8, 'Gone', '10.1000/p8'), true);
    expect(await run(24, new Date('2026-11-22T12:00:00Z'))).toMatchObject({ snapshotWritten: false });
    save(state, record('kar', 30, 'Added in the run that writes it', '10.1000/p30'));
    expect(await run(24, new Date('2026-11-23T01:00:00Z'))).toMatchObject({ snapshotWritten: true });
    expect(state.snapshots.state()).toMatchObject({ written: 'patched', behind: false });
    const text = readFileSync(worksFile(out), 'utf8');
    expect(text).toBe(whole(state));
    expect(text).toContain('Retitled again');
    expect(text).not.toContain('Retitled in the first skipped run');
  });

  it('is written whole when the previous file was edited, replaced, or its changes are unknown', async () => {
    const { dir, out, state, run } = setup();
    for (let n = 0; n < 10; n++) save(state, record('kar', n, `Paper ${n}`, `10.1000/p${n}`));
    await run();
    // Edited by hand: its size no longer matches.
    appendFileSync(worksFile(out), '{"schemaVersion":1,"id":"doi:zz-edited"}\n');
    save(state, record('kar', 1, 'Retitled', '10.1000/p1'));
    await run();
    expect(state.snapshots.state()).toMatchObject({ written: 'whole' });
    expect(readFileSync(worksFile(out), 'utf8')).toBe(whole(state));
    // The works file is lost: every work is recomputed, and the changes since the snapshot are unknown.
    state.close();
    rmSync(join(dir, 'state.sqlite-works'));
    const reopened = StateStore.open(join(dir, 'state.sqlite'));
    expect(reopened.snapshots.pendingSince()).toBeUndefined();
    const again = await updateWorks(worksRun(reopened, { policy: { sourcePriority: [] }, runId: 'after-loss' }), out);
    expect(again.snapshotWritten).toBe(true);
    expect(reopened.snapshots.state()).toMatchObject({ written: 'whole' });
    expect(readFileSync(worksFile(out), 'utf8')).toBe(whole(reopened));
    reopened.close();
  });

  it('notes changes from the first snapshot on, and keeps one made after a snapshot took its mark for the next', async () => {
    const { out, state, run } = setup();
    for (let n = 0; n < 5; n++) save(state, record('kar', n, `Paper ${n}`, `10.1000/p${n}`));
    // A first harvest notes nothing: its snapshot is written whole anyway.
    await run();
    expect(state.snapshots.pendingCount(Number.MAX_SAFE_INTEGER)).toBe(0);
    save(state, record('kar', 1, 'Retitled', '10.1000/p1'));
    await run(24);
    expect(state.snapshots.pendingCount(Number.MAX_SAFE_INTEGER)).toBe(1);
    const mark = state.snapshots.begin('racing');
    // Another process recomputes a work after the snapshot took its mark: it stays noted.
    save(state, record('kar', 2, 'Retitled meanwhile', '10.1000/p2'));
    await updateWorks(worksRun(state, { policy: { sourcePriority: [] }, runId: 'other', snapshotEveryHours: 24 }), out);
    state.snapshots.written(mark);
    expect([...state.snapshots.pendingWorks(Number.MAX_SAFE_INTEGER)].map((w) => w.workId)).toEqual(['doi:10.1000/p2']);
  });

  it('waits for another process writing it, and names that process when it gives up', async () => {
    const { out, state, run } = setup();
    save(state, record('kar', 1, 'Paper', '10.1000/p1'));
    await run();
    const held = acquireLock(worksSnapshotLockFile(out));
    expect(held.acquired).toBe(true);
    await expect(writeWorksSnapshot(state, out, 'blocked', () => new Date(), 300)).rejects.toThrow(new RegExp(`being written by process ${process.pid} .*gave up after 0 s`));
    // Released while it waits: the wait lets the holder's own timers run, and then it writes.
    const waiting = writeWorksSnapshot(state, out, 'waited', () => new Date(), 10_000);
    let releasedAt = 0;
    setTimeout(() => held.acquired && (held.release(), (releasedAt = Date.now())), 300);
    const waited = await waiting;
    expect(waited.run).toBe('waited');
    // Stamped when written, after the wait: not when the writer started waiting.
    expect(Date.parse(waited.writtenAt)).toBeGreaterThanOrEqual(releasedAt);
    expect(JSON.parse(readFileSync(join(out, 'works', 'snapshot.json'), 'utf8')).writtenAt).toBe(waited.writtenAt);
    expect(state.snapshots.state()?.run).toBe('waited');
    expect((await writeWorksSnapshot(state, out, 'free', () => new Date())).run).toBe('free');
  });

  it('is due once its interval has passed, or nearly: a daily run a minute quicker than yesterday\'s still writes', () => {
    const written = '2026-11-30T02:10:00.000Z';
    const at = (iso: string) => new Date(iso);
    expect(snapshotDue(written, at('2026-12-01T02:09:00Z'), 24)).toBe(true);
    expect(snapshotDue(written, at('2026-12-01T01:10:00Z'), 24)).toBe(true);
    expect(snapshotDue(written, at('2026-12-01T01:09:00Z'), 24)).toBe(false);
    expect(snapshotDue(written, at('2026-11-30T03:04:00Z'), 1)).toBe(true);
    expect(snapshotDue(written, at('2026-11-30T03:03:00Z'), 1)).toBe(false);
    expect(snapshotDue(written, at('2026-11-30T02:10:00Z'), 0)).toBe(true);
  });
});

describe('a run recomputing and writing many works', () => {
  it('gives the event loop a turn between batches, so the thread\'s timers (a fleet job\'s heartbeats) go on meanwhile', async () => {
    const { state, run } = setup();
    // 2,400 works: five recompute batches of 500, twelve change-file batches, twelve works.jsonl batches.
    state.transaction(() => state.records.save(Array.from({ length: 2400 }, (_, n) => {
      const r = record('kar', n, `Paper ${n}`, `10.1000/many.${n}`);
      return { sourceId: r.source, identifier: r.identifier, deleted: false, workId: workId(r), recordJson: JSON.stringify(r) };
    })));
    let turns = 0;
    let ticking = true;
    const tick = () => {
      turns++;
      if (ticking) setImmediate(tick);
    };
    setImmediate(tick);
    const summary = await run();
    ticking = false;
    expect(summary.added).toBe(2400);
    expect(summary.snapshotWritten).toBe(true);
    // Held for the whole call, the loop would have let the callback run once at most.
    expect(turns).toBeGreaterThanOrEqual(25);
  });
});
