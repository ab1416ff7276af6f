// The researcher login's parts on a real database of each engine (a SQLite
// file, a throwaway PostgreSQL): scrypt hashes, the first account, sessions with
// expiry and CSRF tokens, the account commands; and rate limiting, cookie and
// origin parsing.
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { hashPassword, verifyPassword } from '../../server/auth/passwords.ts';
import { ensureAdminAccount, isResearcherRequest, closeAuth, SESSION_COOKIE } from '../../server/auth/index.ts';
import { authFor } from '../../server/auth/auth-context.ts';
import { checkPassword, createAccount, listAccounts } from '../../server/auth/accounts.ts';
import {
  cookieValue,
  createSession,
  csrfMatches,
  deleteOtherSessions,
  readSession,
  SESSION_IDLE_MS,
  SESSION_MAX_MS,
} from '../../server/auth/sessions.ts';
import { LoginLimits } from '../../server/auth/rate-limit.ts';
import { isSameOrigin } from '../../server/auth/origin.ts';
import { addResearcher, registerAdmin, resetResearcherPassword } from '../../server/auth/admin-command.ts';
import { adminLoginNotice } from '../../server/auth/login-notice.ts';
import { Command } from 'commander';
import pgClient from 'pg';
import type { Store } from '../../server/store/store.ts';
import { isPostgresUrl, openStore } from '../../server/store/open.ts';
import { startTestPostgres, type TestPostgres } from '../helpers/postgres.ts';

const dir = mkdtempSync(join(tmpdir(), 'credence-auth-'));
let pg: TestPostgres | undefined;
const opened: Store[] = [];
after(async () => {
  for (const s of opened) await s.close();
  await pg?.stop();
  rmSync(dir, { recursive: true, force: true });
});
let n = 0;

/** The store-facing parts run on each engine, each a named suite. */
const ENGINES: { name: string; newDb(): Promise<string> }[] = [
  { name: 'sqlite', newDb: async () => join(dir, `db${++n}.sqlite`) },
  {
    name: 'postgres',
    newDb: async () => {
      pg ??= await startTestPostgres();
      return pg.newDatabase();
    },
  },
];

/** A fresh database on the engine, with its store as the auth context (`db` for the CLI). */
async function freshCtx(engine: (typeof ENGINES)[number]): Promise<{ store: Store; db: string }> {
  const db = await engine.newDb();
  const store = await openStore({ db });
  opened.push(store);
  return { store, db };
}

/** The stored hash, read beside the store (another connection). */
async function storedHash(db: string, username: string): Promise<string> {
  const sql = 'SELECT password_hash FROM researcher_accounts WHERE username = $1';
  if (isPostgresUrl(db)) {
    const c = new pgClient.Client({ connectionString: db });
    await c.connect();
    try {
      return ((await c.query(sql, [username])).rows[0] as { password_hash: string }).password_hash;
    } finally {
      await c.end();
    }
  }
  const raw = new Database(db, { readonly: true });
  try {
    return (raw.prepare(sql.replace('$1', '?')).get(username) as { password_hash: string }).password_hash;
  } finally {
    raw.close();
  }
}

describe('passwords', () => {
  test('scrypt hashes are salted, verify the right password and refuse others', async () => {
    const a = await hashPassword('correct horse battery');
    const b = await hashPassword('correct horse battery');
    assert.match(a, /^scrypt\$32768\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    assert.notEqual(a, b, 'a random salt makes equal passwords hash differently');
    assert.equal(await verifyPassword('correct horse battery', a), true);
    assert.equal(await verifyPassword('correct horse batterY', a), false);
    assert.equal(await verifyPassword('', a), false);
    assert.equal(await verifyPassword('x', 'plain-text'), false);
    assert.equal(await verifyPassword('x', 'scrypt$0$8$1$AAAA$AAAA'), false);
  });
});

describe('rate limiting, cookies, origins', () => {
  // Contract changed by issue 13: nothing is limited per username alone (that let anyone lock the
  // researcher out); attempts are reserved before hashing per (account, address) and per address.
  test('login limits: reserved per (account, address) with a doubling block, and per address; the right password settles', async () => {
    const limits = new LoginLimits({ perPair: 2, perAddress: 5, windowS: 60, blockS: 10 });
    for (let i = 0; i < 2; i++) {
      const r = await limits.reserve('Ann', '10.0.0.1');
      assert.equal(r.ok, true);
      if (r.ok) await r.settle(false);
    }
    const blocked = await limits.reserve('ann', '10.0.0.1');
    assert.equal(blocked.ok, false, 'usernames compare case-insensitively');
    if (!blocked.ok) assert.equal(blocked.retryAfterMs, 10_000, 'the first block lasts blockS');
    assert.equal((await limits.reserve('ann', '10.0.0.2')).ok, true, 'another address is not locked out');
    assert.equal((await limits.reserve('bob', '10.0.0.1')).ok, true, 'another account from the same address is not locked out');
    // The address limit counts every attempt from it, whatever the account.
    const spray = await limits.reserve('carl', '10.0.0.1');
    assert.equal(spray.ok, true);
    const over = await limits.reserve('dora', '10.0.0.1');
    assert.equal(over.ok, false, 'the address is limited for every account');
    // A successful login gives its address point back and clears its pair.
    const ok = await limits.reserve('eve', '10.0.0.3');
    assert.equal(ok.ok, true);
    if (ok.ok) await ok.settle(true);
    for (let i = 0; i < 4; i++) assert.equal((await limits.reserve(`u${i}`, '10.0.0.3')).ok, true);
  });

  test('login limits: concurrent reservations never exceed the limit', async () => {
    const limits = new LoginLimits({ perPair: 5, perAddress: 100, windowS: 60, blockS: 60 });
    const all = await Promise.all(Array.from({ length: 60 }, () => limits.reserve('admin', '10.0.0.1')));
    assert.equal(all.filter((r) => r.ok).length, 5);
  });

  test('cookieValue and isSameOrigin', () => {
    assert.equal(cookieValue('a=1; credence_admin=xyz; b=2', 'credence_admin'), 'xyz');
    assert.equal(cookieValue('credence_admin_old=1', 'credence_admin'), undefined);
    assert.equal(cookieValue('credence_admin="q%20r"', 'credence_admin'), 'q r');
    assert.equal(cookieValue('credence_admin=%E0%A4%A', 'credence_admin'), undefined);
    assert.equal(cookieValue(undefined, 'credence_admin'), undefined);
    assert.equal(isSameOrigin({ host: '127.0.0.1:3000' }), true, 'no Origin: left to the CSRF token');
    assert.equal(isSameOrigin({ host: '127.0.0.1:3000', origin: 'http://127.0.0.1:3000' }), true);
    assert.equal(isSameOrigin({ host: '127.0.0.1:3000', origin: 'http://evil.example' }), false);
    assert.equal(isSameOrigin({ host: '127.0.0.1:3000', origin: 'null' }), false);
    assert.equal(isSameOrigin({ host: '127.0.0.1:3000', referer: 'http://127.0.0.1:3000/admin' }), true);
    assert.equal(isSameOrigin({ host: '127.0.0.1:3000', referer: 'http://127.0.0.1:3001/admin' }), false);
    assert.equal(isSameOrigin({ host: 'a.example', origin: 'https://a.example' }), true);
  });
});

for (const engine of ENGINES) {
  describe(`${engine.name}: first account`, () => {
    test('a generated one-time password is returned once, stored only as a hash, and works', async () => {
      const ctx = await freshCtx(engine);
      const first = await ensureAdminAccount(ctx, {});
      assert.equal(first.username, 'admin');
      assert.ok(first.password && first.password.length >= 20, 'a long random password');
      const again = await ensureAdminAccount(ctx, {});
      assert.deepEqual(again, { username: 'admin' }, 'the password is never shown again');
      assert.ok(!(await storedHash(ctx.db, 'admin')).includes(first.password!), 'no clear text at rest');
      assert.equal(await checkPassword(authFor(ctx).db, 'admin', first.password!), true);
      closeAuth(ctx);
    });

    test('CREDENCE_ADMIN_PASSWORD sets the password; a too-short one is refused and creates nothing', async () => {
      const ctx = await freshCtx(engine);
      await assert.rejects(ensureAdminAccount(ctx, { CREDENCE_ADMIN_PASSWORD: 'short' }), /CREDENCE_ADMIN_PASSWORD: password: at least 10/);
      assert.deepEqual(await listAccounts(authFor(ctx).db), []);
      const r = await ensureAdminAccount(ctx, { CREDENCE_ADMIN_PASSWORD: 'from-the-environment' });
      assert.deepEqual(r, { username: 'admin' });
      assert.equal(await checkPassword(authFor(ctx).db, 'admin', 'from-the-environment'), true);
      assert.equal(await checkPassword(authFor(ctx).db, 'nobody', 'from-the-environment'), false);
      closeAuth(ctx);
    });
  });

  describe(`${engine.name}: sessions`, () => {
    test('a session is found by its cookie, slides its idle expiry, and ends at the idle or absolute limit', async () => {
      const ctx = await freshCtx(engine);
      const { db } = authFor(ctx);
      await createAccount(db, 'ann', 'a long enough password');
      const t0 = 1_000_000;
      const { id, session } = await createSession(db, 'ann', t0);
      assert.equal(id.length, 43, '32 random bytes, base64url');
      assert.equal((await readSession(db, id, t0 + 1000))?.username, 'ann');
      assert.equal(await readSession(db, id + 'x', t0 + 1000), undefined);
      assert.equal(await readSession(db, undefined, t0), undefined);
      assert.ok(csrfMatches(session, session.csrfToken));
      assert.ok(!csrfMatches(session, session.csrfToken.slice(1) + 'A'));
      assert.ok(!csrfMatches(session, undefined));
      // Used again before the idle limit: it lives on.
      const t1 = t0 + SESSION_IDLE_MS - 1000;
      assert.equal((await readSession(db, id, t1))?.username, 'ann');
      assert.equal((await readSession(db, id, t1 + SESSION_IDLE_MS - 1000))?.username, 'ann');
      // Idle past the limit: gone, and the row is deleted.
      const t2 = t1 + 2 * SESSION_IDLE_MS;
      assert.equal(await readSession(db, id, t2), undefined);
      assert.equal(await db.sessionCount(), 0);
      // However active, a session ends at the absolute limit.
      const s2 = await createSession(db, 'ann', t0);
      let t = t0;
      while (t < t0 + SESSION_MAX_MS - SESSION_IDLE_MS / 2) {
        t += SESSION_IDLE_MS / 2;
        assert.ok(await readSession(db, s2.id, t), `alive at +${t - t0} ms`);
      }
      assert.equal(await readSession(db, s2.id, t0 + SESSION_MAX_MS + 1), undefined);
      closeAuth(ctx);
    });

    test('isResearcherRequest reads the cookie; other sessions end on deleteOtherSessions', async () => {
      const ctx = await freshCtx(engine);
      const { db } = authFor(ctx);
      await createAccount(db, 'bob', 'a long enough password');
      const a = await createSession(db, 'bob');
      const b = await createSession(db, 'bob');
      const cookie = (id: string) => ({ cookie: `other=1; ${SESSION_COOKIE}=${id}; x=y` });
      assert.equal(await isResearcherRequest(cookie(a.id), ctx), true);
      assert.equal(await isResearcherRequest(cookie(a.id)), true, 'without ctx: any live server in the process');
      assert.equal(await isResearcherRequest({ cookie: 'other=1' }, ctx), false);
      assert.equal(await isResearcherRequest({}, ctx), false);
      await deleteOtherSessions(db, 'bob', a.id);
      assert.equal(await isResearcherRequest(cookie(a.id), ctx), true);
      assert.equal(await isResearcherRequest(cookie(b.id), ctx), false);
      closeAuth(ctx);
      assert.equal(await isResearcherRequest(cookie(a.id)), false, 'a closed server answers for nobody');
    });
  });

  describe(`${engine.name}: account commands`, () => {
    test('add and reset-password: generated passwords work once printed; a reset ends the sessions', async () => {
      const ctx = await freshCtx(engine);
      const added = await addResearcher(ctx, 'carol', {});
      assert.ok(added.password);
      await assert.rejects(addResearcher(ctx, 'carol', {}), /username 'carol' is taken/);
      await assert.rejects(addResearcher(ctx, 'bad name', {}), /letters, digits/);
      const { db } = authFor(ctx);
      assert.equal(await checkPassword(db, 'carol', added.password!), true);
      const s = await createSession(db, 'carol');
      const reset = await resetResearcherPassword(ctx, 'carol', { CREDENCE_ADMIN_PASSWORD: 'chosen by the operator' });
      assert.deepEqual(reset, {});
      assert.equal(await checkPassword(db, 'carol', added.password!), false);
      assert.equal(await checkPassword(db, 'carol', 'chosen by the operator'), true);
      assert.equal(await readSession(db, s.id), undefined, 'sessions end on reset');
      await assert.rejects(resetResearcherPassword(ctx, 'nobody', {}), /no researcher account 'nobody'/);
      closeAuth(ctx);
    });

    test('registerAdmin wires list/add/reset-password on a --db database through commander', async () => {
      const ctx = await freshCtx(engine);
      const program = new Command('credence').exitOverride();
      registerAdmin(program);
      const lines: string[] = [];
      const log = console.log;
      console.log = (...a: unknown[]) => lines.push(a.join(' '));
      try {
        await program.parseAsync(['admin', 'add', 'dave', '--db', ctx.db], { from: 'user' });
        await program.parseAsync(['admin', 'list', '--db', ctx.db], { from: 'user' });
      } finally {
        console.log = log;
      }
      const password = /password (\S+) \(shown once\)/.exec(lines[0])?.[1];
      assert.ok(password, lines.join('\n'));
      assert.match(lines[1], /^dave {2}created \d{4}-/);
      assert.equal(await checkPassword(authFor(ctx).db, 'dave', password!), true);
      closeAuth(ctx);
    });
  });
}

describe('serve notice', () => {
  test('the serve notice prints the one-time password only when there is one', () => {
    const first = adminLoginNotice({ username: 'admin', password: 'pw-123' }, 'http://127.0.0.1:3000/admin');
    assert.match(first[0], /user admin {2}password pw-123/);
    assert.match(first[1], /shown this once/);
    assert.deepEqual(adminLoginNotice({ username: 'admin' }, 'http://x/admin'), ['  researcher login:  http://x/admin  user admin']);
  });
});
