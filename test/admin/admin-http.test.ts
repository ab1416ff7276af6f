// The researcher area over real HTTP against a real server: every route refuses
// a request without a session, login and logout work, wrong passwords and
// floods are refused, mutations need the CSRF token and a same origin, and a
// participant's token opens nothing here.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { io as ioClient } from 'socket.io-client';
import { ensureAdminAccount } from '../../server/auth/index.ts';
import { asResearcher, login, sessionCookieOf, startTestServer, STUDY, type Researcher, type TestServer } from './helpers.ts';

const API_GETS = [
  '/api/admin/session',
  '/api/admin/studies',
  `/api/admin/studies/${STUDY}`,
  `/api/admin/studies/${STUDY}/monitor`,
  `/api/admin/studies/${STUDY}/responses.csv`,
  `/api/admin/studies/${STUDY}/codebook.csv`,
  `/api/admin/studies/${STUDY}/results`,
  `/api/admin/studies/${STUDY}/report.html`,
  '/api/admin/studies/no-such-study/monitor',
  '/api/admin/accounts',
  '/api/admin/no-such-endpoint',
];
const API_POSTS = ['/api/admin/logout', '/api/admin/accounts', '/api/admin/password', '/api/admin/no-such-endpoint'];
const PAGES = ['/admin', '/admin/', '/admin/anything/deeper', '/admin/assets/admin.js', '/admin/assets/admin.js.map'];

let t: TestServer;
before(async () => {
  t = await startTestServer();
});
after(async () => {
  await t.close();
});

async function accountNames(r: Researcher): Promise<string[]> {
  const res = await fetch(`${t.url}/api/admin/accounts`, asResearcher(r));
  assert.equal(res.status, 200);
  return ((await res.json()) as { accounts: { username: string }[] }).accounts.map((a) => a.username);
}

describe('without a session', () => {
  test('every /api/admin route answers 401 and no study data', async () => {
    const cookies = [undefined, 'credence_admin=forged-session-id', 'credence_admin=', 'other=1'];
    for (const cookie of cookies) {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (cookie) headers.cookie = cookie;
      for (const path of API_GETS) {
        const res = await fetch(t.url + path, { headers });
        const text = await res.text();
        assert.equal(res.status, 401, `GET ${path} with cookie ${cookie}`);
        assert.ok(!text.includes('Admin demo'), `GET ${path} leaks nothing`);
        assert.equal(res.headers.get('cache-control'), 'no-store');
      }
      for (const path of API_POSTS) {
        const res = await fetch(t.url + path, { method: 'POST', headers, body: JSON.stringify({ username: 'mallory', password: 'long enough password' }) });
        assert.equal(res.status, 401, `POST ${path} with cookie ${cookie}`);
      }
    }
  });

  test('every /admin page redirects to the login page, and the app bundle is not served', async () => {
    for (const path of PAGES) {
      const res = await fetch(t.url + path, { redirect: 'manual' });
      assert.equal(res.status, 302, path);
      const location = res.headers.get('location') ?? '';
      assert.ok(location.startsWith('/admin/login?next='), `${path} → ${location}`);
      assert.ok(!(await res.text()).includes('customElements'), `${path} serves no script`);
    }
    const login = await fetch(`${t.url}/admin/login`);
    assert.equal(login.status, 200);
    const html = await login.text();
    assert.match(html, /<form method="post" action="\/admin\/login">/);
    assert.match(login.headers.get('content-security-policy') ?? '', /default-src 'none'/);
  });

  test('the /admin socket.io namespace refuses the handshake', async () => {
    const err = await new Promise<Error>((resolve, reject) => {
      const s = ioClient(`${t.url}/admin`, { transports: ['websocket'], reconnection: false, forceNew: true, extraHeaders: { cookie: 'credence_admin=forged' } });
      s.on('connect', () => {
        s.disconnect();
        reject(new Error('connected without a session'));
      });
      s.on('connect_error', (e) => {
        s.disconnect();
        resolve(e);
      });
    });
    assert.match(err.message, /researcher login required/);
  });
});

describe('login', () => {
  test('wrong password, unknown user and malformed bodies are refused without a cookie', async () => {
    const attempts: [unknown, number][] = [
      [{ username: 'admin', password: 'wrong-password' }, 401],
      [{ username: 'nobody', password: t.password }, 401],
      [{ username: 'admin' }, 400],
      [{ username: 'admin', password: 42 }, 400],
    ];
    for (const [body, status] of attempts) {
      const res = await fetch(`${t.url}/api/admin/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      assert.equal(res.status, status, JSON.stringify(body));
      assert.equal(sessionCookieOf(res), undefined);
    }
    const bad = await fetch(`${t.url}/api/admin/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"username":' });
    assert.equal(bad.status, 400);
    assert.match(((await bad.json()) as { error: string }).error, /^body: not valid JSON/);
    const form = await fetch(`${t.url}/admin/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ username: 'admin', password: 'wrong-password', next: '/admin' }),
      redirect: 'manual',
    });
    assert.equal(form.status, 401);
    assert.match(await form.text(), /wrong username or password/);
  });

  test('the right password gives an HttpOnly SameSite=Strict session cookie and a CSRF token; logout ends it', async () => {
    const res = await fetch(`${t.url}/api/admin/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: t.password }),
    });
    assert.equal(res.status, 200);
    const setCookie = res.headers.getSetCookie().find((c) => c.startsWith('credence_admin='))!;
    assert.match(setCookie, /; HttpOnly/i);
    assert.match(setCookie, /; SameSite=Strict/i);
    assert.match(setCookie, /; Path=\//);
    assert.doesNotMatch(setCookie, /; Secure/i, 'plain http: no Secure flag');
    const body = (await res.json()) as { username: string; csrfToken: string };
    assert.equal(body.username, 'admin');
    const r: Researcher = { cookie: sessionCookieOf(res)!, csrf: body.csrfToken };
    const session = await fetch(`${t.url}/api/admin/session`, asResearcher(r));
    assert.deepEqual(((await session.json()) as { csrfToken: string }).csrfToken, r.csrf);

    const out = await fetch(`${t.url}/api/admin/logout`, asResearcher(r, { method: 'POST' }));
    assert.equal(out.status, 204);
    const after = await fetch(`${t.url}/api/admin/studies`, asResearcher(r));
    assert.equal(after.status, 401, 'the old cookie is dead server-side');
  });

  test('behind https (X-Forwarded-Proto) the cookie is Secure; the form login redirects only inside /admin', async () => {
    const res = await fetch(`${t.url}/admin/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-proto': 'https' },
      body: new URLSearchParams({ username: 'admin', password: t.password, next: 'https://evil.example/' }),
      redirect: 'manual',
    });
    assert.equal(res.status, 303);
    assert.equal(res.headers.get('location'), '/admin');
    assert.match(res.headers.getSetCookie().join('\n'), /credence_admin=[^;]+;.*Secure/i);
    const next = await fetch(`${t.url}/admin/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ username: 'admin', password: t.password, next: '/admin#/monitor/admin-demo' }),
      redirect: 'manual',
    });
    assert.equal(next.headers.get('location'), '/admin#/monitor/admin-demo');
  });

  test('a login from another origin is refused', async () => {
    const res = await fetch(`${t.url}/api/admin/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: 'http://evil.example' },
      body: JSON.stringify({ username: 'admin', password: t.password }),
    });
    assert.equal(res.status, 403);
    assert.equal(sessionCookieOf(res), undefined);
  });
});

describe('CSRF', () => {
  test('a mutation without the token, with a forged one, or from another origin is 403 and changes nothing', async () => {
    const r = await login(t.url, 'admin', t.password);
    const before = await accountNames(r);
    const body = JSON.stringify({ username: 'mallory', password: 'a long enough password' });
    const json = { 'content-type': 'application/json' };
    const cases: [string, RequestInit][] = [
      ['no token', asResearcher(r, { method: 'POST', headers: json, body }, false)],
      ['forged token', asResearcher({ ...r, csrf: r.csrf.slice(0, -2) + 'xx' }, { method: 'POST', headers: json, body })],
      ['empty token', asResearcher({ ...r, csrf: '' }, { method: 'POST', headers: json, body })],
      ['foreign origin', asResearcher(r, { method: 'POST', headers: { ...json, origin: 'http://evil.example' }, body })],
      ['foreign referer', asResearcher(r, { method: 'POST', headers: { ...json, referer: 'http://evil.example/page' }, body })],
    ];
    for (const [name, init] of cases) {
      const res = await fetch(`${t.url}/api/admin/accounts`, init);
      assert.equal(res.status, 403, name);
    }
    assert.deepEqual(await accountNames(r), before, 'no account was created');
    // A forged password change leaves the password as it was.
    const change = JSON.stringify({ currentPassword: t.password, newPassword: 'attacker chosen password' });
    const forgedChange = await fetch(`${t.url}/api/admin/password`, asResearcher({ ...r, csrf: 'forged' }, { method: 'POST', headers: json, body: change }));
    assert.equal(forgedChange.status, 403);
    await login(t.url, 'admin', t.password);
    await assert.rejects(login(t.url, 'admin', 'attacker chosen password'), /HTTP 401/);
    // Logout without the token does not end the session either.
    const out = await fetch(`${t.url}/api/admin/logout`, asResearcher(r, { method: 'POST' }, false));
    assert.equal(out.status, 403);
    assert.equal((await fetch(`${t.url}/api/admin/studies`, asResearcher(r))).status, 200);
    // Another researcher's token does not work with this session.
    const other = await login(t.url, 'admin', t.password);
    const crossed = await fetch(`${t.url}/api/admin/accounts`, asResearcher({ cookie: r.cookie, csrf: other.csrf }, { method: 'POST', headers: json, body }));
    assert.equal(crossed.status, 403);
    // With the token and a same-origin header, the same request succeeds.
    const ok = await fetch(`${t.url}/api/admin/accounts`, asResearcher(r, { method: 'POST', headers: { ...json, origin: t.url }, body }));
    assert.equal(ok.status, 201);
    assert.deepEqual(await accountNames(r), [...before, 'mallory'].sort());
    const again = await fetch(`${t.url}/api/admin/accounts`, asResearcher(r, { method: 'POST', headers: json, body }));
    assert.equal(again.status, 409);
    const weak = await fetch(`${t.url}/api/admin/accounts`, asResearcher(r, { method: 'POST', headers: json, body: JSON.stringify({ username: 'x', password: 'short' }) }));
    assert.equal(weak.status, 400);
    assert.match(((await weak.json()) as { error: string }).error, /password: at least 10/);
  });

  test('changing one\'s password needs the current one and ends one\'s other sessions', async () => {
    const a = await login(t.url, 'mallory', 'a long enough password');
    const b = await login(t.url, 'mallory', 'a long enough password');
    const json = { 'content-type': 'application/json' };
    const wrong = await fetch(`${t.url}/api/admin/password`, asResearcher(a, { method: 'POST', headers: json, body: JSON.stringify({ currentPassword: 'nope', newPassword: 'another long password' }) }));
    assert.equal(wrong.status, 403);
    assert.equal((await fetch(`${t.url}/api/admin/studies`, asResearcher(b))).status, 200);
    const ok = await fetch(`${t.url}/api/admin/password`, asResearcher(a, { method: 'POST', headers: json, body: JSON.stringify({ currentPassword: 'a long enough password', newPassword: 'another long password' }) }));
    assert.equal(ok.status, 204);
    assert.equal((await fetch(`${t.url}/api/admin/studies`, asResearcher(a))).status, 200, 'this session stays');
    assert.equal((await fetch(`${t.url}/api/admin/studies`, asResearcher(b))).status, 401, 'the other one ends');
    await assert.rejects(login(t.url, 'mallory', 'a long enough password'), /HTTP 401/);
    await login(t.url, 'mallory', 'another long password');
  });
});

describe('participants', () => {
  test('a participant token opens no admin endpoint, page or socket namespace', async () => {
    const joined = await new Promise<{ token: string; participantId: string }>((resolve, reject) => {
      const s = ioClient(t.url, { transports: ['websocket'], reconnection: false, forceNew: true, auth: { study: STUDY, prolific: { PROLIFIC_PID: 'participant-probe' } } });
      s.on('joined', (j: { token: string; participantId: string }) => {
        s.disconnect();
        resolve(j);
      });
      s.on('refused', (r: unknown) => reject(new Error(JSON.stringify(r))));
      s.on('connect_error', reject);
    });
    assert.ok(joined.token.length > 10);
    const tries: RequestInit[] = [
      { headers: { authorization: `Bearer ${joined.token}` } },
      { headers: { cookie: `credence_admin=${joined.token}` } },
      { headers: { cookie: `token=${joined.token}`, 'x-participant-token': joined.token } },
    ];
    for (const init of tries) {
      for (const path of API_GETS) {
        assert.equal((await fetch(t.url + path, init)).status, 401, `${path} with ${JSON.stringify(init.headers)}`);
        assert.equal((await fetch(`${t.url}${path}?token=${encodeURIComponent(joined.token)}`)).status, 401);
      }
      assert.equal((await fetch(`${t.url}/admin`, { ...init, redirect: 'manual' })).status, 302);
    }
    const err = await new Promise<Error>((resolve, reject) => {
      const s = ioClient(`${t.url}/admin`, { transports: ['websocket'], reconnection: false, forceNew: true, auth: { token: joined.token, study: STUDY } });
      s.on('connect', () => reject(new Error('a participant reached the admin namespace')));
      s.on('connect_error', (e) => {
        s.disconnect();
        resolve(e);
      });
    });
    assert.match(err.message, /researcher login required/);
  });
});

describe('rate limiting', () => {
  test('past 8 failures for a username, even the right password is refused with 429 and Retry-After', async () => {
    const r = await login(t.url, 'admin', t.password);
    const json = { 'content-type': 'application/json' };
    const created = await fetch(`${t.url}/api/admin/accounts`, asResearcher(r, { method: 'POST', headers: json, body: JSON.stringify({ username: 'target', password: 'the right password' }) }));
    assert.equal(created.status, 201);
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) {
      const res = await fetch(`${t.url}/api/admin/login`, { method: 'POST', headers: json, body: JSON.stringify({ username: 'target', password: `guess-${i}` }) });
      statuses.push(res.status);
    }
    assert.deepEqual(statuses, [401, 401, 401, 401, 401, 401, 401, 401, 429, 429]);
    const right = await fetch(`${t.url}/api/admin/login`, { method: 'POST', headers: json, body: JSON.stringify({ username: 'target', password: 'the right password' }) });
    assert.equal(right.status, 429);
    assert.ok(Number(right.headers.get('retry-after')) > 0);
    assert.equal(sessionCookieOf(right), undefined);
    // Other accounts from the same address still log in (the address limit is higher).
    await login(t.url, 'admin', t.password);
  });
});

describe('transports', () => {
  test('the admin namespace also works over long-polling, and polling clients do not crash the server', async () => {
    const r = await login(t.url, 'admin', t.password);
    const s = ioClient(`${t.url}/admin`, { transports: ['polling'], reconnection: false, forceNew: true, extraHeaders: { cookie: r.cookie } });
    try {
      await new Promise<void>((resolve, reject) => {
        s.on('connect', () => resolve());
        s.on('connect_error', reject);
      });
      const view = new Promise<{ studyId: string }>((resolve) => s.once('monitor', resolve));
      assert.deepEqual(await s.timeout(5000).emitWithAck('watch', STUDY), { ok: true });
      assert.equal((await view).studyId, STUDY);
    } finally {
      s.disconnect();
    }
    // Still serving afterwards.
    assert.equal((await fetch(`${t.url}/api/admin/studies`, asResearcher(r))).status, 200);
  });
});

describe('cross-site WebSocket', () => {
  test('a handshake to /admin from another origin is refused even with a live session cookie', async () => {
    const r = await login(t.url, 'admin', t.password);
    const err = await new Promise<Error>((resolve, reject) => {
      const s = ioClient(`${t.url}/admin`, { transports: ['websocket'], reconnection: false, forceNew: true, extraHeaders: { cookie: r.cookie, origin: 'http://evil.example' } });
      s.on('connect', () => {
        s.disconnect();
        reject(new Error('connected from a foreign origin'));
      });
      s.on('connect_error', (e) => {
        s.disconnect();
        resolve(e);
      });
    });
    assert.match(err.message, /cross-origin connection refused/);
  });
});

describe('first start', () => {
  test('before any account exists, the login page says how to make one, and nothing logs in', async () => {
    const bare = await startTestServer({ account: false });
    try {
      const page = await (await fetch(`${bare.url}/admin/login`)).text();
      assert.match(page, /No researcher account exists yet/);
      const res = await fetch(`${bare.url}/api/admin/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: 'anything at all' }) });
      assert.equal(res.status, 401);
      const made = await ensureAdminAccount(bare.server.ctx, { CREDENCE_ADMIN_PASSWORD: 'operator chosen pw' });
      assert.deepEqual(made, { username: 'admin' });
      assert.doesNotMatch(await (await fetch(`${bare.url}/admin/login`)).text(), /No researcher account/);
      await login(bare.url, 'admin', 'operator chosen pw');
    } finally {
      await bare.close();
    }
  });
});
