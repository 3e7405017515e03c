// A throwaway PostgreSQL cluster for a test file: initdb in a temporary folder, a free port on
// 127.0.0.1, trust authentication for the loopback only. PostgreSQL refuses to run as root, and
// CI runs as root: then the cluster runs as the `postgres` user Debian's package creates (or
// `nobody`), which owns its folder.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

export interface PostgresCluster {
  /** The URL of the cluster's `postgres` database. */
  url: string;
  port: number;
  /** A new empty database on the cluster, by URL. */
  createDatabase(name: string): string;
  /** Runs one statement with psql and returns its output, rows tab-separated. */
  psql(database: string, sql: string): string;
  stop(): void;
}

const USER = 'harvester';

function binDir(): string {
  const fromConfig = spawnSync('pg_config', ['--bindir'], { encoding: 'utf8' });
  // Debian keeps the server's programs per major version, newest first here.
  const versions = existsSync('/usr/lib/postgresql') ? readdirSync('/usr/lib/postgresql').filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a)) : [];
  const candidates = [fromConfig.status === 0 ? fromConfig.stdout.trim() : '', ...versions.map((v) => `/usr/lib/postgresql/${v}/bin`)];
  const dir = candidates.find((d) => d && existsSync(join(d, 'initdb')) && existsSync(join(d, 'pg_ctl')));
  if (!dir) throw new Error("PostgreSQL's initdb was not found (pg_config --bindir, /usr/lib/postgresql/*/bin): install Debian's postgresql, as .ci/run does");
  return dir;
}

/** Who runs the cluster: this user, or an unprivileged one when this is root. */
function runAs(): { uid: number; gid: number; prefix: string[] } | undefined {
  if (userInfo().uid !== 0) return undefined;
  for (const name of ['postgres', 'nobody']) {
    const id = spawnSync('id', ['-u', name], { encoding: 'utf8' });
    const gid = spawnSync('id', ['-g', name], { encoding: 'utf8' });
    if (id.status === 0) return { uid: Number(id.stdout.trim()), gid: Number(gid.stdout.trim()), prefix: ['runuser', '-u', name, '--'] };
  }
  throw new Error('running as root, and no unprivileged user (postgres, nobody) to run PostgreSQL as');
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

export async function startPostgres(): Promise<PostgresCluster> {
  const bin = binDir();
  const user = runAs();
  const dir = mkdtempSync(join(tmpdir(), 'oai-pg-'));
  if (user) chownSync(dir, user.uid, user.gid);
  chmodSync(dir, 0o700);
  const run = (program: string, args: string[]): void => {
    const [command, ...rest] = [...(user?.prefix ?? []), join(bin, program), ...args];
    execFileSync(command!, rest, { stdio: ['ignore', 'pipe', 'pipe'] });
  };
  const data = join(dir, 'data');
  run('initdb', ['-D', data, '-U', USER, '--auth=trust', '-E', 'UTF8', '--locale=C', '--no-sync']);
  const port = await freePort();
  // Durability is not what these tests check: no fsync, so a test cluster is fast.
  const settings = `-h 127.0.0.1 -p ${port} -k ${dir} -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200`;
  run('pg_ctl', ['-D', data, '-l', join(dir, 'server.log'), '-o', settings, '-w', '-t', '60', 'start']);
  const url = `postgresql://${USER}@127.0.0.1:${port}/postgres`;
  const psql = (database: string, sql: string): string =>
    execFileSync('psql', ['-X', '-q', '-A', '-t', '-F', '\t', '-v', 'ON_ERROR_STOP=1', '-h', '127.0.0.1', '-p', String(port), '-U', USER, '-d', database, '-c', sql], { encoding: 'utf8' });
  let stopped = false;
  return {
    url,
    port,
    createDatabase(name) {
      psql('postgres', `CREATE DATABASE "${name}"`);
      return `postgresql://${USER}@127.0.0.1:${port}/${name}`;
    },
    psql,
    stop() {
      if (stopped) return;
      stopped = true;
      try {
        run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
