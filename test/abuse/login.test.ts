// Abuse suite, finding 2: the login limit is counted before the password hash,
// so a burst of concurrent wrong guesses evaluates at most the limit; and it is
// per (account, address), so the right password from another address still logs
// in. Behind a trusted proxy the limit sees the client's address.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { startTestServer, type TestServer } from '../admin/helpers.ts';

/** POST /api/admin/login from a chosen local source address (127.0.0.0/8 all reach a 127.0.0.1 listener). */
function loginFrom(url: string, body: unknown, opts: { localAddress?: string; headers?: Record<string, string> } = {}): Promise<{ status: number; retryAfter?: string }> {
  const u = new URL(url);
  const data = JSON.stringify(body);
  return new Promise((ok, fail) => {
    const req = request(
      { host: u.hostname, port: u.port, path: '/api/admin/login', method: 'POST', localAddress: opts.localAddress, agent: false, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data), ...opts.headers } },
      (res) => {
        res.resume();
        res.on('end', () => ok({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'] as string | undefined }));
      },
    );
    req.on('error', fail);
    req.end(data);
  });
}

/** Attempts per (account, address) per window (server/auth/rate-limit.ts PER_PAIR). */
const PER_PAIR = 8;

describe('login limits', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer();
  });
  after(async () => {
    await t?.close();
  });

  test('60 concurrent wrong passwords evaluate at most the limit; the right password from another address still logs in', async () => {
    const burst = await Promise.all(Array.from({ length: 60 }, (_, i) => loginFrom(t.url, { username: 'admin', password: `wrong-${i}` }, { localAddress: '127.0.0.1' })));
    const evaluated = burst.filter((r) => r.status === 401).length;
    const limited = burst.filter((r) => r.status === 429);
    assert.ok(evaluated <= PER_PAIR, `${evaluated} passwords evaluated, limit ${PER_PAIR}`);
    assert.equal(evaluated + limited.length, 60);
    assert.ok(limited.every((r) => Number(r.retryAfter) > 0), 'every 429 says when to retry');
    // The attacker's address is blocked for this account, even with the right password...
    assert.equal((await loginFrom(t.url, { username: 'admin', password: t.password }, { localAddress: '127.0.0.1' })).status, 429);
    // ...but the researcher elsewhere is not locked out.
    assert.equal((await loginFrom(t.url, { username: 'admin', password: t.password }, { localAddress: '127.0.0.2' })).status, 200);
  });
});

describe('login limits behind a proxy', () => {
  test('with --trust-proxy the limit counts the forwarded client address; without it, X-Forwarded-For is ignored', async () => {
    const proxied = await startTestServer({ server: { trustProxy: 'loopback' } });
    const direct = await startTestServer();
    try {
      const guesses = (url: string, from: string) =>
        Promise.all(Array.from({ length: PER_PAIR + 2 }, (_, i) => loginFrom(url, { username: 'admin', password: `w${i}` }, { headers: { 'x-forwarded-for': from } })));
      await guesses(proxied.url, '198.51.100.1');
      assert.equal((await loginFrom(proxied.url, { username: 'admin', password: proxied.password }, { headers: { 'x-forwarded-for': '198.51.100.2' } })).status, 200, 'another client behind the proxy logs in');
      assert.equal((await loginFrom(proxied.url, { username: 'admin', password: proxied.password }, { headers: { 'x-forwarded-for': '198.51.100.1' } })).status, 429);
      await guesses(direct.url, '198.51.100.1');
      assert.equal((await loginFrom(direct.url, { username: 'admin', password: direct.password }, { headers: { 'x-forwarded-for': '198.51.100.2' } })).status, 429, 'an untrusted header changes nothing');
    } finally {
      await proxied.close();
      await direct.close();
    }
  });
});
