// A generated repository in its own process, so the harvester's CPU is measured alone.
//   node tests/bench/bench-server.ts RECORDS [PAGE_SIZE] [LATENCY_MS] [ADDRESS] [503]
import { Feed } from '../support/feed.ts';
import { startOaiServer } from '../support/oai-server.ts';

const records = Number(process.argv[2] ?? 20_000);
const pageSize = Number(process.argv[3] ?? 100);
const latencyMs = Number(process.argv[4] ?? 0);
const address = process.argv[5] ?? '127.0.0.1';
// `503`: a second feed, /feed/failing, answers every request with 503.
const failing = process.argv[6] === '503';
// About 1.7 KB per oai_dc record, as in a typical EPrints repository.
const feed = new Feed({ records, pageSize, padding: 700, latencyMs });
const feeds: Record<string, Feed> = { bench: feed };
if (failing) feeds['failing'] = new Feed({ records, pageSize, latencyMs, faults: { status503: { times: Number.MAX_SAFE_INTEGER, retryAfter: 'none' } } });
const server = await startOaiServer({ feeds, address });
process.stdout.write(`${JSON.stringify({ url: server.feedUrl('bench'), failingUrl: failing ? server.feedUrl('failing') : null })}\n`);
process.on('SIGTERM', () => void server.close().then(() => process.exit(0)));
