// Issue 15 items 1 and 2 through real servers on a throwaway PostgreSQL: the
// researcher accounts and sessions live in the PostgreSQL database, so the
// /admin login, its CSRF checks and the live monitor's handshake work there;
// `credence admin reset-password --db postgres://…` changes the password the
// running server checks; and `serve --workers 2 --db postgres://…` keeps one
// login valid on whichever worker a request reaches.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { io as ioClient } from 'socket.io-client';
import { asResearcher, FIXTURE, login, startTestServer, type Researcher, type TestServer } from './helpers.ts';
import { startTestPostgres, type TestPostgres } from '../helpers/postgres.ts';
import { startServeProcess } from '../e2e/helpers/serve-process.ts';
import { tempDir } from '../engine/helpers.ts';

const REPO = resolve(import.meta.dirname, '..', '..');
const JSON_TYPE = { 'content-type': 'application/json' };
/** What serve-process.ts starts its servers with. */
const SERVE_PASSWORD = 'e2e-restart-only-password-0123456789';

function cli(args: string[], env: Record<string, string>): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(REPO, 'server', 'cli', 'main.ts'), ...args], { cwd: REPO, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.on('close', (status) => done({ status, stdout, stderr }));
  });
}

let pg: TestPostgres;
before(async () => {
  pg = await startTestPostgres();
});
after(async () => {
  await pg?.stop();
});

describe('researcher area on PostgreSQL', () => {
  let t: TestServer;
  let url: string;
  before(async () => {
    url = await pg.newDatabase();
    t = await startTestServer({ db: url });
  });
  after(async () => {
    await t?.close();
  });

  test('login gives a session kept in PostgreSQL; mutations need the CSRF token; logout ends the session', async () => {
    assert.ok(t.password.length >= 20, 'the first start generated a one-time password');
    await assert.rejects(login(t.url, 'admin', 'wrong-password'), /HTTP 401/);
    const r = await login(t.url, 'admin', t.password);
    assert.equal((await fetch(`${t.url}/api/admin/studies`, asResearcher(r))).status, 200);
    const body = JSON.stringify({ username: 'mallory', password: 'a long enough password' });
    const noToken = await fetch(`${t.url}/api/admin/accounts`, asResearcher(r, { method: 'POST', headers: JSON_TYPE, body }, false));
    assert.equal(noToken.status, 403);
    const forged = await fetch(`${t.url}/api/admin/accounts`, asResearcher({ ...r, csrf: 'forged' }, { method: 'POST', headers: JSON_TYPE, body }));
    assert.equal(forged.status, 403);
    const foreign = await fetch(`${t.url}/api/admin/accounts`, asResearcher(r, { method: 'POST', headers: { ...JSON_TYPE, origin: 'http://evil.example' }, body }));
    assert.equal(foreign.status, 403);
    const accounts = async (who: Researcher) =>
      ((await (await fetch(`${t.url}/api/admin/accounts`, asResearcher(who))).json()) as { accounts: { username: string }[] }).accounts.map((a) => a.username);
    assert.deepEqual(await accounts(r), ['admin'], 'no refused request created an account');
    const ok = await fetch(`${t.url}/api/admin/accounts`, asResearcher(r, { method: 'POST', headers: JSON_TYPE, body }));
    assert.equal(ok.status, 201);
    assert.deepEqual(await accounts(r), ['admin', 'mallory']);
    // The rows are PostgreSQL's: the store the server runs on holds them.
    assert.deepEqual((await t.server.ctx.store.researchers.accounts()).map((a) => a.username), ['admin', 'mallory']);

    const out = await fetch(`${t.url}/api/admin/logout`, asResearcher(r, { method: 'POST' }));
    assert.equal(out.status, 204);
    assert.equal((await fetch(`${t.url}/api/admin/studies`, asResearcher(r))).status, 401, 'the old cookie is dead server-side');
  });

  test('the live monitor namespace admits a PostgreSQL session and refuses a forged one', async () => {
    const r = await login(t.url, 'admin', t.password);
    const handshake = (cookie: string) =>
      new Promise<string>((done) => {
        const s = ioClient(`${t.url}/admin`, { transports: ['websocket'], reconnection: false, forceNew: true, extraHeaders: { cookie } });
        s.on('connect', () => {
          s.disconnect();
          done('connected');
        });
        s.on('connect_error', (e) => {
          s.disconnect();
          done(e.message);
        });
      });
    assert.equal(await handshake(r.cookie), 'connected');
    assert.match(await handshake('credence_admin=forged'), /researcher login required/);
  });

  test('credence admin reset-password --db postgres://… sets the password the running server checks and ends its sessions', async () => {
    const r = await login(t.url, 'admin', t.password);
    const reset = await cli(['admin', 'reset-password', 'admin', '--db', url], { CREDENCE_ADMIN_PASSWORD: 'set from the command line' });
    assert.equal(reset.status, 0, reset.stderr);
    assert.match(reset.stdout, /password of admin set/);
    assert.equal((await fetch(`${t.url}/api/admin/studies`, asResearcher(r))).status, 401, 'the reset ended the session');
    await assert.rejects(login(t.url, 'admin', t.password), /HTTP 401/);
    await login(t.url, 'admin', 'set from the command line');
    const list = await cli(['admin', 'list'], { CREDENCE_DB: url });
    assert.equal(list.status, 0, list.stderr);
    assert.match(list.stdout, /^admin {2}created .*\nmallory {2}created /m);
  });
});

test('serve --workers 2 --db postgres://…: one login holds on both workers; CSRF is checked on each', { timeout: 180_000 }, async () => {
  const url = await pg.newDatabase();
  const tmp = tempDir('credence-admin-pg-workers-');
  const server = await startServeProcess({ port: 0, db: url, study: FIXTURE, studiesDir: join(FIXTURE, '..'), dataDir: tmp.dir, workers: 2 });
  try {
    assert.match(server.output(), /database postgres:\/\/credence@127\.0\.0\.1:\d+\/credence_test_/);
    const r = await login(server.url, 'admin', SERVE_PASSWORD);
    // Fresh connections (no keep-alive) are spread over the workers; every one must know the session.
    const statuses = await Promise.all(
      Array.from({ length: 8 }, () => fetch(`${server.url}/api/admin/session`, { ...asResearcher(r), headers: { cookie: r.cookie, connection: 'close' } }).then((res) => res.status)),
    );
    assert.deepEqual(statuses, Array(8).fill(200));
    const body = JSON.stringify({ username: 'colleague', password: 'a long enough password' });
    const noToken = await fetch(`${server.url}/api/admin/accounts`, asResearcher(r, { method: 'POST', headers: JSON_TYPE, body }, false));
    assert.equal(noToken.status, 403);
    const ok = await fetch(`${server.url}/api/admin/accounts`, asResearcher(r, { method: 'POST', headers: JSON_TYPE, body }));
    assert.equal(ok.status, 201);
    await login(server.url, 'colleague', 'a long enough password');
  } finally {
    await server.stop();
    tmp.cleanup();
  }
});
