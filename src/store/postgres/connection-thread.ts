// The thread behind a PgConnection: one node-postgres client, answering one request at a
// time. It posts each answer, then raises the shared flag the caller waits on.
import { workerData, type MessagePort } from 'node:worker_threads';
import pg from 'pg';
import type { PgAnswer, PgRequest } from './connection.ts';

const { url, port, answered } = workerData as { url: string; port: MessagePort; answered: Int32Array };

// Counts and offsets are BIGINT: read as numbers, which hold them exactly below 2^53.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));

function answer(reply: PgAnswer): void {
  port.postMessage(reply);
  Atomics.store(answered, 0, 1);
  Atomics.notify(answered, 0);
}

function failure(error: unknown): PgAnswer {
  const e = error as { message?: string; code?: string; detail?: string };
  return { ok: false, message: e.message ?? String(error), sqlState: e.code, detail: e.detail };
}

const client = new pg.Client({ connectionString: url, application_name: 'oai-harvester' });
// A connection lost between requests is reported at the next one, by its failing query.
client.on('error', () => {});

try {
  await client.connect();
  answer({ ok: true, rows: [], rowCount: 0 });
} catch (error) {
  answer(failure(error));
  port.close();
}

port.on('message', async (request: PgRequest | 'close') => {
  if (request === 'close') {
    await client.end().catch(() => {});
    answer({ ok: true, rows: [], rowCount: 0 });
    port.close();
    return;
  }
  try {
    const result = await client.query({ text: request.sql, values: request.params as unknown[] });
    answer({ ok: true, rows: result.rows as Record<string, unknown>[], rowCount: result.rowCount ?? 0 });
  } catch (error) {
    answer(failure(error));
  }
});
