// `credence serve` as a child process, so a test can SIGKILL it the way a
// crash or an OOM kill would, and start it again on the same port and database.
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

export interface ServeProcess {
  url: string;
  port: number;
  kill(): Promise<void>;
}

export function startServeProcess(opts: { port: number; db: string; studiesDir: string; study: string; dataDir: string }): Promise<ServeProcess> {
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', 'server/cli/main.ts', 'serve', '--port', String(opts.port), '--db', opts.db, '--studies-dir', opts.studiesDir, '--study', opts.study, '--data-dir', opts.dataDir],
    // A fixed password so the first start does not print a generated one.
    { cwd: ROOT, env: { ...process.env, CREDENCE_ADMIN_PASSWORD: 'e2e-restart-only-password-0123456789' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  const kill = () =>
    new Promise<void>((done) => {
      if (child.exitCode !== null || child.signalCode !== null) return done();
      child.once('exit', () => done());
      child.kill('SIGKILL');
    });
  return new Promise((ok, fail) => {
    const timer = setTimeout(() => {
      void kill();
      fail(new Error(`credence serve did not start in 60 s:\n${out}`));
    }, 60_000);
    const onData = (b: Buffer) => {
      out += b.toString();
      const m = /serving on (http:\/\/127\.0\.0\.1:(\d+))/.exec(out);
      if (m) {
        clearTimeout(timer);
        ok({ url: m[1], port: Number(m[2]), kill });
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
