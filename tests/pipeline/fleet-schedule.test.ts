// The fleet's queue: enqueue keys each source's job by its host, a cron slot is queued once
// however many schedulers fire for it, and `schedule` on a PostgreSQL state queues jobs
// instead of harvesting.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgBoss } from 'pg-boss';
import { enqueueHarvests } from '../../src/pipeline/enqueue.ts';
import { HARVEST_QUEUE, slotJobId, type HarvestJob } from '../../src/pipeline/jobs.ts';
import { StateStore } from '../../src/store/state.ts';
import { runSchedule } from '../../src/pipeline/schedule.ts';
import { startPostgres, type PostgresCluster } from '../support/postgres.ts';
import { captureLogger, tempDir, testConfig } from '../support/run.ts';

let cluster: PostgresCluster;
let databases = 0;
beforeAll(async () => {
  cluster = await startPostgres();
});
afterAll(() => cluster?.stop());

function newState(): { url: string; name: string } {
  const name = `fleet_${++databases}`;
  return { url: cluster.createDatabase(name), name };
}

const config = testConfig([
  { id: 'kar', baseUrl: 'http://127.0.0.31:8080/cgi/oai2', richerFormats: ['rioxx'], stats: { type: 'irstats2' }, schedule: '* * * * * *' },
  { id: 'kar-theses', baseUrl: 'http://127.0.0.31:8080/cgi/oai2', sets: ['theses'], schedule: '* * * * * *' },
  { id: 'dspace', baseUrl: 'http://127.0.0.32:8080/oai/request', sets: ['com_1', 'com_2'], schedule: '* * * * * *' },
]);

/** Every job of the harvest queue, as pg-boss stores it. */
function jobs(name: string): { source: string; list: string; key: string; slot: string; state: string }[] {
  return cluster.psql(name, `SELECT data->>'sourceId', (data->'list'->>'metadataPrefix') || COALESCE('|' || (data->'list'->>'set'), ''), singleton_key, COALESCE(data->>'slot', ''), state
                             FROM pgboss.job WHERE name = '${HARVEST_QUEUE}' ORDER BY 1, 2, 4`)
    .trim().split('\n').filter(Boolean).map((line) => {
      const [source, list, key, slot, state] = line.split('\t');
      return { source: source!, list: list!, key: key!, slot: slot!, state: state! };
    });
}

describe('enqueue', () => {
  it('queues one job per list of each source keyed by its host, and none for a list that has one waiting', async () => {
    const { url, name } = newState();
    const first = await enqueueHarvests({ config, stateUrl: url });
    // In turn by host: a host's second job after every host's first; a source's lists in the order a run harvests them.
    expect(first.map((j) => [j.sourceId, j.list, j.host, j.jobId !== null])).toEqual([
      ['kar', 'oai_dc', '127.0.0.31:8080', true], ['dspace', 'oai_dc|com_1', '127.0.0.32:8080', true], ['kar', 'rioxx', '127.0.0.31:8080', true],
      ['dspace', 'oai_dc|com_2', '127.0.0.32:8080', true], ['kar-theses', 'oai_dc|theses', '127.0.0.31:8080', true],
    ]);
    expect(jobs(name).map((j) => [j.source, j.list, j.key, j.state])).toEqual([
      ['dspace', 'oai_dc|com_1', '127.0.0.32:8080', 'created'], ['dspace', 'oai_dc|com_2', '127.0.0.32:8080', 'created'],
      ['kar', 'oai_dc', '127.0.0.31:8080', 'created'], ['kar', 'rioxx', '127.0.0.31:8080', 'created'], ['kar-theses', 'oai_dc|theses', '127.0.0.31:8080', 'created'],
    ]);
    // The first list's job fetches the source's statistics; the others do not.
    expect(cluster.psql(name, `SELECT data->'list'->>'metadataPrefix', COALESCE(data->>'stats', '') FROM pgboss.job WHERE data->>'sourceId' = 'kar' ORDER BY created_on`).trim()).toBe('oai_dc\ttrue\nrioxx');
    const again = await enqueueHarvests({ config, stateUrl: url, sourceIds: ['kar'] });
    expect(again).toEqual([
      expect.objectContaining({ sourceId: 'kar', list: 'oai_dc', jobId: null, pending: { id: first[0]!.jobId, state: 'created' } }),
      expect.objectContaining({ sourceId: 'kar', list: 'rioxx', jobId: null, pending: { id: first[2]!.jobId, state: 'created' } }),
    ]);
    // Taken oldest first, so in that order.
    expect(cluster.psql(name, `SELECT data->>'sourceId' FROM pgboss.job WHERE name = '${HARVEST_QUEUE}' ORDER BY created_on, id`).trim().split('\n'))
      .toEqual(['kar', 'dspace', 'kar', 'dspace', 'kar-theses']);
    const state = StateStore.open(url);
    const counts = state.jobCounts(HARVEST_QUEUE);
    state.close();
    expect(counts).toEqual(new Map([
      ['kar', { queued: 2, retrying: 0, active: 0, failed: 0 }], ['kar-theses', { queued: 1, retrying: 0, active: 0, failed: 0 }], ['dspace', { queued: 2, retrying: 0, active: 0, failed: 0 }],
    ]));
  });

  it('finds a list\'s waiting job behind more finished ones than one answer of the queue holds', async () => {
    const { url, name } = newState();
    const [first] = await enqueueHarvests({ config, stateUrl: url, sourceIds: ['kar-theses'] });
    // A week of an hourly cron's finished jobs, all older than the waiting one.
    const boss = new PgBoss({ connectionString: url, supervise: false, schedule: false });
    await boss.start();
    const data: HarvestJob = { sourceId: 'kar-theses', list: { metadataPrefix: 'oai_dc', set: 'theses' }, full: false };
    await boss.insert(HARVEST_QUEUE, Array.from({ length: 1200 }, () => ({ data })));
    await boss.stop({ graceful: false });
    cluster.psql(name, `UPDATE pgboss.job SET state = 'completed', created_on = now() - interval '1 day' WHERE name = '${HARVEST_QUEUE}' AND id <> '${first!.jobId}'`);
    const [again] = await enqueueHarvests({ config, stateUrl: url, sourceIds: ['kar-theses'] });
    expect(again).toMatchObject({ jobId: null, pending: { id: first!.jobId, state: 'created' } });
  });

  it('queues a cron slot once, even after its job finished, and the next slot anew', async () => {
    const { url, name } = newState();
    const slot = '2026-12-01T02:15:00.000Z';
    const [queued] = await enqueueHarvests({ config, stateUrl: url, sourceIds: ['kar-theses'], slot });
    expect(queued!.jobId).toBe(slotJobId({ sourceId: 'kar-theses', list: { metadataPrefix: 'oai_dc', set: 'theses' } }, slot));
    // The job runs and completes, as a worker would.
    const boss = new PgBoss({ connectionString: url, supervise: false, schedule: false });
    await boss.start();
    const [job] = await boss.fetch<HarvestJob>(HARVEST_QUEUE);
    await boss.complete(HARVEST_QUEUE, job!.id);
    await boss.stop({ graceful: false });
    const [late] = await enqueueHarvests({ config, stateUrl: url, sourceIds: ['kar-theses'], slot });
    expect(late!.jobId).toBeNull();
    const [next] = await enqueueHarvests({ config, stateUrl: url, sourceIds: ['kar-theses'], slot: '2026-12-02T02:15:00.000Z' });
    expect(next!.jobId).not.toBeNull();
    expect(jobs(name).map((j) => [j.slot, j.state])).toEqual([[slot, 'completed'], ['2026-12-02T02:15:00.000Z', 'created']]);
  });
});

describe('schedule on a PostgreSQL state', () => {
  it('queues jobs on each cron for the workers, and two schedulers queue each slot once', async () => {
    const { url, name } = newState();
    // A consumer finishes each job at once, so every slot's job can be queued (a waiting one would make the next slot skip).
    const consumer = new PgBoss({ connectionString: url, supervise: false, schedule: false });
    consumer.on('error', (error) => {
      throw error;
    });
    const schedulers = [new AbortController(), new AbortController()];
    const logs = schedulers.map(() => captureLogger());
    const running = schedulers.map((stop, i) => runSchedule({ config, outDir: tempDir(), stateFile: url, logger: logs[i]!.logger, signal: stop.signal, catchUp: false }));
    await new Promise((r) => setTimeout(r, 1500));
    await consumer.start();
    await consumer.work<HarvestJob>(HARVEST_QUEUE, { pollingIntervalSeconds: 0.5, batchSize: 20 }, async () => {});
    await new Promise((r) => setTimeout(r, 3500));
    for (const stop of schedulers) stop.abort();
    const summaries = await Promise.all(running);
    await consumer.stop({ graceful: true });
    const queued = jobs(name);
    const slots = new Set(queued.filter((j) => j.source === 'kar').map((j) => j.slot));
    expect(slots.size).toBeGreaterThanOrEqual(2);
    const lists = [['kar', 'oai_dc'], ['kar', 'rioxx'], ['kar-theses', 'oai_dc|theses'], ['dspace', 'oai_dc|com_1'], ['dspace', 'oai_dc|com_2']];
    expect(new Set(queued.map((j) => `${j.source} ${j.list}`))).toEqual(new Set(lists.map((l) => l.join(' '))));
    for (const [source, list] of lists) {
      const ofList = queued.filter((j) => j.source === source && j.list === list).map((j) => j.slot);
      expect(ofList, `${source} ${list}`).toEqual([...new Set(ofList)]);
    }
    expect(summaries.reduce((n, s) => n + (s.enqueued ?? 0), 0)).toBe(queued.length);
    expect(summaries.every((s) => s.runs === 0)).toBe(true);
    // Both schedulers fired for the slots, and one of them found each already queued.
    expect(logs.flatMap((l) => l.lines).filter((l) => l['msg'] === 'job not queued: already queued').length).toBeGreaterThan(0);
  }, 30_000);
});
