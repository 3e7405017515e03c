// Two generated repositories on loopback for watching the progress display: `kar` answers
// steadily; `dspace` answers 503 (no Retry-After) three times a few pages in, so the display
// shows its retry waits. Run directly, it writes the config and serves until stopped:
//   node tests/support/progress-demo.ts <folder>
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Feed } from './feed.ts';
import { startOaiServer, type TestServer } from './oai-server.ts';

export interface ProgressDemo {
  server: TestServer;
  /** The sources.json naming both repositories. */
  config: string;
}

export async function startProgressDemo(folder: string, size = { kar: 4000, dspace: 3000 }): Promise<ProgressDemo> {
  const kar = new Feed({ records: size.kar, pageSize: 100, latencyMs: 250 });
  const dspace = new Feed({ records: size.dspace, pageSize: 100, latencyMs: 250 });
  const server = await startOaiServer({ feeds: { kar, dspace } });
  const config = join(folder, 'sources.json');
  writeFileSync(config, JSON.stringify({
    sources: [
      { id: 'kar', baseUrl: server.feedUrl('kar'), minDelayMs: 0 },
      { id: 'dspace', baseUrl: server.feedUrl('dspace'), minDelayMs: 0 },
    ],
  }, null, 2));
  const storm = setInterval(() => {
    const pages = server.requests.filter((r) => r.path.endsWith('/dspace') && r.params['verb'] === 'ListRecords').length;
    if (pages < 4) return;
    dspace.faults.status503 = { times: 3, retryAfter: 'none' };
    clearInterval(storm);
  }, 20);
  const close = server.close.bind(server);
  server.close = () => {
    clearInterval(storm);
    return close();
  };
  return { server, config };
}

if (import.meta.main) {
  const folder = process.argv[2];
  if (!folder) throw new Error('usage: node tests/support/progress-demo.ts <folder>');
  const demo = await startProgressDemo(folder);
  process.stdout.write(`${demo.config}\n`);
  const stop = () => void demo.server.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
