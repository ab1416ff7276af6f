// `credence serve` as a child process, so a test can SIGKILL it the way a
// crash or an OOM kill would, and start it again on the same port and database.
// With `workers`, it is `serve --workers N`: the test can SIGKILL one worker.
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

export interface ServeProcess {
  url: string;
  port: number;
  /** The worker processes' ids as the primary printed them (`--workers`); empty for one process. */
  workerPids: number[];
  /** Everything the process printed so far. */
  output(): string;
  /** SIGKILL (the primary: its workers end when their channel to it closes). */
  kill(): Promise<void>;
  /** SIGTERM: a clean stop. */
  stop(): Promise<void>;
}

export interface ServeProcessOptions {
  port: number;
  db: string;
  studiesDir?: string;
  study: string;
  dataDir?: string;
  workers?: number;
  /** More `serve` flags (e.g. --join-limit-exempt 127.0.0.1). */
  args?: string[];
}

export function startServeProcess(opts: ServeProcessOptions): Promise<ServeProcess> {
  const args = ['--import', 'tsx', 'server/cli/main.ts', 'serve', '--port', String(opts.port), '--db', opts.db, '--study', opts.study];
  if (opts.studiesDir) args.push('--studies-dir', opts.studiesDir);
  if (opts.dataDir) args.push('--data-dir', opts.dataDir);
  if (opts.workers) args.push('--workers', String(opts.workers));
  args.push(...(opts.args ?? []));
  const child: ChildProcess = spawn(
    process.execPath,
    args,
    // A fixed password so the first start does not print a generated one.
    { cwd: ROOT, env: { ...process.env, CREDENCE_ADMIN_PASSWORD: 'e2e-restart-only-password-0123456789' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  const end = (signal: NodeJS.Signals) => () =>
    new Promise<void>((done) => {
      if (child.exitCode !== null || child.signalCode !== null) return done();
      child.once('exit', () => done());
      child.kill(signal);
    });
  const kill = end('SIGKILL');
  return new Promise((ok, fail) => {
    const timer = setTimeout(() => {
      void kill();
      fail(new Error(`credence serve did not start in 90 s:\n${out}`));
    }, 90_000);
    const onData = (b: Buffer) => {
      out += b.toString();
      const m = /serving on (http:\/\/127\.0\.0\.1:(\d+))/.exec(out);
      const pids = /worker processes: pids ([\d ]+)/.exec(out);
      if (m && (!opts.workers || opts.workers < 2 || pids)) {
        clearTimeout(timer);
        ok({ url: m[1], port: Number(m[2]), workerPids: pids ? pids[1].trim().split(/\s+/).map(Number) : [], output: () => out, kill, stop: end('SIGTERM') });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      fail(new Error(`credence serve exited (${code ?? signal}) before it served:\n${out}`));
    });
  });
}
