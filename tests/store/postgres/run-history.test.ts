// The run history per source, alike on both backends.
import { describe, expect, it } from 'vitest';
import type { SourceRun, SourceRunStatus } from '../../../src/store/run-history.ts';
import { stateBackends } from '../../support/state-backends.ts';

const { backends } = stateBackends();

const run = (runId: string, finishedAt: string, status: SourceRunStatus, sourceId = 's'): SourceRun => ({
  sourceId, runId, startedAt: `${finishedAt}-start`, finishedAt, status, records: 10, deleted: 1,
  error: status === 'failed' ? { code: 'OAIH_HTTP_STATUS', name: 'HttpStatusError', message: `failed ${runId}`, verb: 'ListRecords', url: 'https://x/oai' } : null,
});

describe.each(backends)('run history ($name)', (backend) => {
  it('tells nothing of a source never run', () => {
    const state = backend.open();
    expect(state.runs.ofSource('s')).toEqual({ lastRun: null, lastSuccess: null, lastFailure: null, consecutiveFailures: 0 });
  });

  it('tells the last run, success and failure, and counts failures since the success, locked and interrupted runs passed over', () => {
    const state = backend.open();
    for (const r of [
      run('r1', '2030-01-01', 'failed'), run('r2', '2030-01-02', 'ok'), run('r3', '2030-01-03', 'failed'), run('r4', '2030-01-04', 'locked'),
      run('r5', '2030-01-05', 'failed'), run('r6', '2030-01-06', 'interrupted'), run('o1', '2030-02-01', 'ok', 'other'),
    ]) state.runs.save(r);
    expect(state.runs.ofSource('s')).toEqual({
      lastRun: run('r6', '2030-01-06', 'interrupted'),
      lastSuccess: run('r2', '2030-01-02', 'ok'),
      lastFailure: run('r5', '2030-01-05', 'failed'),
      consecutiveFailures: 2,
    });
  });

  it('counts every failure when the source never succeeded, and orders runs finished together by id', () => {
    const state = backend.open();
    state.runs.save(run('r1', '2030-01-01', 'failed'));
    state.runs.save(run('r3', '2030-01-02', 'failed'));
    state.runs.save(run('r2', '2030-01-02', 'failed'));
    expect(state.runs.ofSource('s')).toMatchObject({ lastRun: { runId: 'r3' }, lastSuccess: null, consecutiveFailures: 3 });
  });

  it('replaces a run saved again', () => {
    const state = backend.open();
    state.runs.save(run('r1', '2030-01-01', 'failed'));
    state.runs.save({ ...run('r1', '2030-01-01', 'ok'), records: 12 });
    expect(state.runs.ofSource('s')).toMatchObject({ lastRun: { status: 'ok', records: 12, error: null }, lastFailure: null, consecutiveFailures: 0 });
  });
});
