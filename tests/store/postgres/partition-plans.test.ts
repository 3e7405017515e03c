// Partition plans, alike on both backends; on PostgreSQL, plans started at once by two workers.
import { describe, expect, it } from 'vitest';
import { windowListKey, type PartitionPlan } from '../../../src/store/partition-plans.ts';
import { PgConnection } from '../../../src/store/postgres/connection.ts';
import { contender, stateBackends, waitForLockWaiters } from '../../support/state-backends.ts';

const { backends, cluster } = stateBackends();

const plan = (planId: string, full = false): PartitionPlan => ({
  sourceId: 's', listKey: 'oai_dc', planId, full, windows: [{ from: undefined, until: '2020-01-01' }, { from: '2020-01-01', until: undefined }],
});

describe.each(backends)('partition plans ($name)', (backend) => {
  it('gives back the running plan with its windows, open ends as undefined', () => {
    const state = backend.open();
    expect(state.plans.running('s', 'oai_dc')).toBeUndefined();
    state.plans.start(plan('p1', true));
    expect(state.plans.running('s', 'oai_dc')).toEqual(plan('p1', true));
    expect(state.plans.running('s', 'other')).toBeUndefined();
  });

  it('replaces a plan left running with a newer one', () => {
    const state = backend.open();
    state.plans.start(plan('p1'));
    state.plans.start(plan('p2'));
    expect(state.plans.running('s', 'oai_dc')?.planId).toBe('p2');
  });

  it('completes the list as of the earliest server time any window started at', () => {
    const state = backend.open();
    const p = plan('p1');
    state.plans.start(p);
    state.harvests.markListComplete('s', windowListKey(p, 0), '2030-01-02T00:00:00Z', 'h1');
    state.harvests.markListComplete('s', windowListKey(p, 1), '2030-01-01T00:00:00Z', 'h2');
    state.plans.complete(p);
    expect(state.plans.running('s', 'oai_dc')).toBeUndefined();
    expect(state.harvests.lastCompleteResponseDate('s', 'oai_dc')).toBe('2030-01-01T00:00:00Z');
  });
});

describe('partition plans (postgres, several workers)', () => {
  const postgres = backends.find((b) => b.name === 'postgres')!;

  it('leaves one plan running when two workers start one at once', async () => {
    const location = postgres.newLocation();
    postgres.open(location).plans.start(plan('p0'));
    const workers = await Promise.all([contender(), contender()]);
    // Both workers' starts wait on the running plan, locked here, and go on together once it is free.
    const holder = new PgConnection(location);
    try {
      holder.query('BEGIN');
      holder.run(`UPDATE partition_plans SET created_at = created_at WHERE plan_id = 'p0'`);
      const started = workers.map((w, i) => w.go({ location, call: 'plans.start', args: [plan(`p${i + 1}`)] }));
      await waitForLockWaiters(cluster(), new URL(location).pathname.slice(1), 2);
      holder.query('COMMIT');
      expect(await Promise.all(started)).toEqual([{ ok: true, result: null }, { ok: true, result: null }]);
    } finally {
      holder.close();
    }
    const running = postgres.open(location).plans.running('s', 'oai_dc');
    expect(['p1', 'p2']).toContain(running?.planId);
    const statuses = cluster().psql(new URL(location).pathname.slice(1), `SELECT plan_id, status FROM partition_plans ORDER BY plan_id`);
    expect(statuses.trim().split('\n').filter((l) => l.endsWith('running'))).toEqual([`${running!.planId}\trunning`]);
  });
});
