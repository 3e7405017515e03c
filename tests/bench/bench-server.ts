// A generated repository in its own process, so the harvester's CPU is measured alone.
//   node tests/bench/bench-server.ts RECORDS [PAGE_SIZE] [LATENCY_MS]
import { Feed } from '../support/feed.ts';
import { startOaiServer } from '../support/oai-server.ts';

const records = Number(process.argv[2] ?? 20_000);
const pageSize = Number(process.argv[3] ?? 100);
const latencyMs = Number(process.argv[4] ?? 0);
// About 1.7 KB per oai_dc record, as in a typical EPrints repository.
const feed = new Feed({ records, pageSize, padding: 700, latencyMs });
const server = await startOaiServer({ feeds: { bench: feed } });
process.stdout.write(`${JSON.stringify({ url: server.feedUrl('bench') })}\n`);
process.on('SIGTERM', () => void server.close().then(() => process.exit(0)));
