// A throwaway PostgreSQL for the suites that run on both engines: initdb in a
// temp folder, a free port, a Unix socket in that folder, stopped and removed
// afterwards. PostgreSQL refuses to run as root, so as root the server runs as
// an unprivileged user (`nobody`, through setpriv). CREDENCE_TEST_PG=postgres://…
// points the suites at an existing server instead (each test gets its own database).
// Not found is an error saying how to install it, never a skip.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { freePort } from './free-port.ts';

const HOW_TO_INSTALL =
  'PostgreSQL server binaries (initdb, pg_ctl, postgres) were not found on PATH or in /usr/lib/postgresql/*/bin. ' +
  "Install them (Debian/Ubuntu: apt-get install postgresql; .ci/run does this) or set CREDENCE_TEST_PG=postgres://user@host/db to use a running server.";

/** The folder holding initdb, from PATH or Debian's versioned folders (newest first). */
export function findPgBin(): string {
  const candidates = (process.env.PATH ?? '').split(delimiter).filter(Boolean);
  const debian = '/usr/lib/postgresql';
  if (existsSync(debian)) {
    for (const v of readdirSync(debian).sort((a, b) => Number(b) - Number(a))) candidates.push(join(debian, v, 'bin'));
  }
  const found = candidates.find((d) => existsSync(join(d, 'initdb')) && existsSync(join(d, 'postgres')));
  if (!found) throw new Error(HOW_TO_INSTALL);
  return found;
}

export interface TestPostgres {
  /** A URL of the server's admin database (postgres); tests make their own with newDatabase(). */
  url: string;
  /** A fresh, empty database on the server, as a URL. */
  newDatabase(): Promise<string>;
  /** The server's process id when the harness started it (a benchmark counts its CPU); undefined for CREDENCE_TEST_PG. */
  pid?: number;
  stop(): Promise<void>;
}

/** Runs a server binary as `nobody` when we are root (PostgreSQL refuses root). */
function asServerUser(cmd: string, args: string[]): { cmd: string; args: string[] } {
  if (process.getuid?.() !== 0) return { cmd, args };
  return { cmd: 'setpriv', args: ['--reuid=nobody', '--regid=nogroup', '--clear-groups', '--', cmd, ...args] };
}

async function databaseMaker(adminUrl: string): Promise<(name?: string) => Promise<string>> {
  return async () => {
    const name = `credence_test_${randomBytes(6).toString('hex')}`;
    const c = new pg.Client({ connectionString: adminUrl });
    await c.connect();
    try {
      await c.query(`CREATE DATABASE ${name} TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'`);
    } finally {
      await c.end();
    }
    const u = new URL(adminUrl);
    u.pathname = `/${name}`;
    return u.toString();
  };
}

export interface TestPostgresOptions {
  /** An existing server to make the databases on (default CREDENCE_TEST_PG); none: start a throwaway one. */
  url?: string;
  /** Keep fsync on (a benchmark compares durable commits); tests leave it off. */
  durable?: boolean;
  /**
   * Connect through the server's Unix socket (in its temporary folder) rather
   * than TCP on loopback, as a PostgreSQL on the same machine usually is: the
   * benchmark's one-machine comparison with SQLite.
   */
  unixSocket?: boolean;
}

/** Starts a throwaway server (or uses opts.url / CREDENCE_TEST_PG). */
export async function startTestPostgres(opts: TestPostgresOptions = {}): Promise<TestPostgres> {
  const existing = opts.url ?? process.env.CREDENCE_TEST_PG;
  if (existing) {
    return { url: existing, newDatabase: await databaseMaker(existing), stop: async () => {} };
  }
  const bin = findPgBin();
  const dir = mkdtempSync(join(tmpdir(), 'credence-pg-'));
  const data = join(dir, 'data');
  // The server user must reach the folder (nobody: through mode bits).
  chmodSync(dir, 0o777);
  const port = await freePort();
  const init = asServerUser(join(bin, 'initdb'), ['-D', data, '-U', 'credence', '-A', 'trust', '--no-sync', '-E', 'UTF8', '--locale=C']);
  execFileSync(init.cmd, init.args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const run = asServerUser(join(bin, 'postgres'), [
    '-D', data,
    '-p', String(port),
    '-k', dir,
    '-c', 'listen_addresses=127.0.0.1',
    '-c', 'max_connections=200',
    '-c', 'shared_buffers=32MB',
    // A test database is thrown away: durability is SQLite's and the store's promise, not this server's.
    ...(opts.durable ? [] : ['-c', 'fsync=off', '-c', 'full_page_writes=off']),
  ]);
  const server: ChildProcess = spawn(run.cmd, run.args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  server.stderr!.on('data', (d) => (log = (log + String(d)).slice(-4000)));
  const url = opts.unixSocket
    ? `postgres://credence@localhost:${port}/postgres?host=${encodeURIComponent(dir)}`
    : `postgres://credence@127.0.0.1:${port}/postgres`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (server.exitCode != null) throw new Error(`test PostgreSQL exited (${server.exitCode}): ${log}`);
    try {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      await c.end();
      break;
    } catch (err) {
      if (Date.now() > deadline) {
        server.kill('SIGKILL');
        throw new Error(`test PostgreSQL did not accept connections in 30 s: ${(err as Error).message}\n${log}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    url,
    newDatabase: await databaseMaker(url),
    pid: server.pid,
    stop: async () => {
      if (server.exitCode == null) {
        const exited = new Promise((r) => server.once('exit', r));
        server.kill('SIGINT'); // fast shutdown
        await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
        if (server.exitCode == null) server.kill('SIGKILL');
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
