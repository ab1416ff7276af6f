// Three server processes on one database, the way each engine scales out:
// on SQLite `serve --workers 3` (one machine, sticky sessions, one primary); on
// PostgreSQL three separate `serve` processes on their own ports (as on three
// machines: no primary between them) behind a TCP balancer, sharing the
// database and socket.io's PostgreSQL adapter. The multi-process tests run the
// same scenario on both (workers.test.ts).
import { after } from 'node:test';
import { join } from 'node:path';
import { startServeProcess, type ServeProcess } from '../e2e/helpers/serve-process.ts';
import { startTestPostgres, type TestPostgres } from '../helpers/postgres.ts';
import { startBalancer, type Balancer } from '../helpers/tcp-balancer.ts';

export type EngineName = 'sqlite' | 'postgres';
export const ENGINE_NAMES: EngineName[] = ['sqlite', 'postgres'];

export interface ThreeServers {
  /** The database they share: a SQLite file or a postgres:// URL (db-reader.ts reads either). */
  db: string;
  /** Where participants connect: the primary (SQLite) or the balancer (PostgreSQL). */
  url: string;
  /**
   * Where a participant connects to land on a process other than the previous
   * connection's: on SQLite the primary (it gives a new connection to the
   * worker with the fewest), on PostgreSQL the i-th process itself.
   */
  processUrl(i: number): string;
  /** SIGKILLs one server process: a worker (the primary starts another) or one whole `serve`. */
  killOne(): Promise<void>;
  stop(): Promise<void>;
}

let pg: Promise<TestPostgres> | undefined;
// Registered when the test file imports this module, so it runs after the file's tests (not after the first test's).
after(async () => (await pg?.catch(() => undefined))?.stop());

/** A fresh database on the file's throwaway PostgreSQL (started on first use, stopped after the file's tests). */
async function newPostgresDatabase(): Promise<string> {
  pg ??= startTestPostgres();
  return (await pg).newDatabase();
}

export async function startThree(engine: EngineName, opts: { dir: string; name: string; study: string; args?: string[] }): Promise<ThreeServers> {
  if (engine === 'sqlite') {
    const db = join(opts.dir, `${opts.name}.db`);
    const server = await startServeProcess({ port: 0, db, study: opts.study, workers: 3, args: opts.args });
    if (server.workerPids.length !== 3) throw new Error(`expected 3 workers, the primary printed ${server.workerPids.join(' ')}`);
    return { db, url: server.url, processUrl: () => server.url, killOne: async () => void process.kill(server.workerPids[0], 'SIGKILL'), stop: () => server.stop() };
  }
  const db = await newPostgresDatabase();
  const started = await Promise.allSettled([0, 1, 2].map(() => startServeProcess({ port: 0, db, study: opts.study, args: opts.args })));
  const servers = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) {
    await Promise.all(servers.map((s) => s.stop()));
    throw failed.reason;
  }
  const balancer: Balancer = await startBalancer(servers.map((s) => s.port));
  return {
    db,
    url: balancer.url,
    processUrl: (i) => servers[i % servers.length].url,
    killOne: () => servers[0].kill(),
    async stop() {
      await balancer.close();
      await Promise.all(servers.map((s: ServeProcess) => s.stop()));
    },
  };
}
