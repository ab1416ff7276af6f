// Issue 12 item 7, through the real command line: `bots` says within 5 s that
// it cannot reach the server and exits 1 (a closed port, and a server that
// never answers); its progress is plain lines when stderr is not a terminal;
// `analyze` writes to results/<study>/ when no --out is given.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer, type Server, type Socket } from 'node:net';
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { startServer, type RunningServer } from '../../server/http/server.ts';
import { FIXTURES, tempDir } from '../engine/helpers.ts';

const REPO = resolve(import.meta.dirname, '..', '..');
const MAIN = join(REPO, 'server', 'cli', 'main.ts');
// Absolute, so the command also runs from another working directory.
const TSX = import.meta.resolve('tsx');

/** Runs the CLI without blocking this process (the server under test lives here). */
function run(args: string[], cwd = REPO): Promise<{ status: number | null; stdout: string; stderr: string; ms: number }> {
  const t0 = performance.now();
  return new Promise((done) => {
    const child = spawn(process.execPath, ['--import', TSX, MAIN, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.on('close', (status) => done({ status, stdout, stderr, ms: performance.now() - t0 }));
  });
}

/** What a command may take beyond its own waiting: twice the measured start-up plus 3 s (socket.io's own default would be 20 s). */
const slack = (startupMs: number) => 2 * startupMs + 3000;

/**
 * Runs a command and, at the same time, `bots --help` (the same start-up, no waiting), so the
 * start-up it is measured against saw the same load. Measured beforehand it did not: at load 10
 * a start-up of 5.0 s was followed by a refused run of 13.1 s.
 */
async function withStartUp(args: string[]): Promise<[Awaited<ReturnType<typeof run>>, number]> {
  const [result, startup] = await Promise.all([run(args), run(['bots', '--help'])]);
  return [result, startup.ms];
}

describe('the command line says what it does', () => {
  let server: RunningServer;
  let tmp: ReturnType<typeof tempDir>;
  let db: string;

  before(async () => {
    tmp = tempDir();
    db = join(tmp.dir, 'cli.db');
    server = await startServer({ port: 0, db: db, dataDir: tmp.dir, studies: [join(FIXTURES, 'mini.yaml')], buildClient: false, log: () => {}, joinLimitExempt: ['127.0.0.1'] });
  });
  after(async () => {
    await server.close();
    tmp.cleanup();
  });

  test('bots: a closed port and a server that never answers are each reported within 5 s, exit 1', async () => {
    // A port nothing listens on.
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const closedPort = (probe.address() as { port: number }).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const [refused, startup] = await withStartUp(['bots', join(FIXTURES, 'mini.yaml'), '-n', '1', '--url', `http://127.0.0.1:${closedPort}`]);
    assert.equal(refused.status, 1, refused.stderr);
    assert.match(refused.stderr, new RegExp(`cannot reach the server at http://127\\.0\\.0\\.1:${closedPort} \\(.*ECONNREFUSED.*\\); start it with \`npm start\` or give --url`));
    assert.ok(refused.ms < slack(startup), `refused after ${refused.ms.toFixed(0)} ms (start-up ${startup.toFixed(0)} ms)`);

    // A server that accepts the connection and never says a word.
    const sockets: Socket[] = [];
    const silent: Server = createServer((s) => sockets.push(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    try {
      const port = (silent.address() as { port: number }).port;
      const [hung, startup2] = await withStartUp(['bots', join(FIXTURES, 'mini.yaml'), '-n', '1', '--url', `http://127.0.0.1:${port}`]);
      assert.equal(hung.status, 1, hung.stderr);
      assert.match(hung.stderr, /cannot reach the server at .* \(no answer within 5 s\)/);
      assert.ok(hung.ms >= 5000, `gave the server its 5 s (${hung.ms.toFixed(0)} ms)`);
      assert.ok(hung.ms < slack(startup2) + 5000, `gave up after ${hung.ms.toFixed(0)} ms (start-up ${startup2.toFixed(0)} ms)`);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => silent.close(() => r()));
    }
  });

  test('bots: progress is plain lines (no carriage returns) when stderr is not a terminal', async () => {
    const r = await run(['bots', join(FIXTURES, 'mini.yaml'), '-n', '4', '--concurrency', '2', '--url', server.url]);
    assert.equal(r.status, 0, r.stderr);
    assert.ok(!r.stderr.includes('\r'), JSON.stringify(r.stderr));
    const lines = r.stderr.split('\n').filter((l) => /bots done/.test(l));
    assert.ok(lines.length >= 2, r.stderr);
    for (const l of lines) assert.match(l, /^\d+\/4 bots done after \d+\.\d s$/);
    assert.match(lines.at(-1)!, /^4\/4 bots done/);
    assert.match(r.stdout, /completed 4/);
  });

  test('analyze writes into results/<study>/ when --out is not given', async () => {
    const cwd = tempDir();
    try {
      const r = await run(['analyze', 'mini', '--db', db, '--include', 'bot', '--no-transfer'], cwd.dir);
      assert.equal(r.status, 0, r.stderr);
      const out = join(cwd.dir, 'results', 'mini');
      assert.match(r.stdout, /wrote \d+ files to results[\\/]mini/);
      for (const f of ['report.html', 'long.csv', 'wide.csv', 'responses.jsonl', 'codebook.csv', 'metadata.json']) assert.ok(existsSync(join(out, f)), f);
      assert.deepEqual(readdirSync(cwd.dir), ['results']);
    } finally {
      cwd.cleanup();
    }
  });
});
