// Abuse suite, HTTP edges (issue 13 findings 7, 8, 9, 12): bad URLs get no stack
// trace or path, the admin bundle and its source map need a session, /healthz
// says only ok, /api/detect is off unless enabled, and every page carries the
// security headers.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { startTestServer, login, type TestServer } from '../admin/helpers.ts';

let t: TestServer;
const logged: string[] = [];

before(async () => {
  t = await startTestServer({ log: (line) => logged.push(line) });
});
after(async () => {
  await t?.close();
});

/** A raw GET, so that the path reaches the server exactly as written (fetch would normalise it). */
function rawGet(url: string, path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  const u = new URL(url);
  return new Promise((ok, fail) => {
    const req = request({ host: u.hostname, port: u.port, path, method: 'GET', headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => ok({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', fail);
    req.end();
  });
}

const LEAKS = /at \w+ \(|node_modules|\/work\/|\/home\/|\/tmp\/|\.ts:\d+|Error:|<pre>/;

describe('errors say nothing they should not', () => {
  test('malformed and traversal URLs get a short message and a request id, never a stack or a path', async () => {
    for (const path of ['/s/%ZZ', '/static/%252e%252e/package.json', '/static/..%2f..%2fpackage.json', '/admin/%E0%A4%A', '/api/admin/studies/%ZZ', '/nowhere/%ZZ']) {
      const res = await rawGet(t.url, path);
      assert.ok(res.status >= 400 && res.status < 500, `${path}: ${res.status}`);
      assert.doesNotMatch(res.body, LEAKS, `${path} leaked: ${res.body}`);
      assert.ok(res.body.length < 300, `${path}: a short message, got ${res.body.length} bytes`);
      assert.match(String(res.headers['x-request-id']), /^[0-9a-f]{12}$/);
    }
    assert.equal((await rawGet(t.url, '/s/%ZZ')).status, 400, 'a %-escape that does not decode is a 400');
  });

  test('a JSON body in an unsupported charset is 415, a broken one 400, both without a stack', async () => {
    const r = await login(t.url, 'admin', t.password);
    const post = (type: string, body: string) =>
      fetch(`${t.url}/api/admin/accounts`, { method: 'POST', headers: { 'content-type': type, cookie: r.cookie, 'x-csrf-token': r.csrf }, body });
    const koi = await post('application/json; charset=koi8-r', '{"username":"x"}');
    assert.equal(koi.status, 415);
    assert.doesNotMatch(await koi.text(), LEAKS);
    const broken = await post('application/json', '{"username":');
    assert.equal(broken.status, 400);
    const body = (await broken.json()) as { error: string; requestId: string };
    assert.match(body.error, /not valid JSON/);
    assert.match(body.requestId, /^[0-9a-f]{12}$/);
  });

  test('each bad request is one log line, and a flood of them is rate limited', async () => {
    logged.length = 0;
    // What reaches stderr beside the server's log (express's default handler printed a 15-line stack there per bad URL).
    const stderr: string[] = [];
    const write = process.stderr.write;
    process.stderr.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      stderr.push(String(chunk));
      return (write as (...a: unknown[]) => boolean).call(process.stderr, chunk, ...rest);
    }) as typeof process.stderr.write;
    const t0 = Date.now();
    try {
      for (let i = 0; i < 60; i++) await rawGet(t.url, `/s/%ZZ${i}`);
    } finally {
      process.stderr.write = write;
    }
    assert.doesNotMatch(stderr.join(''), /at \w+ \(|URIError|Failed to decode/, 'no stack on stderr for a client error');
    // At most 20 lines (and one 'N more' line) per 10 s window; a loaded machine may span more than one window.
    const windows = Math.floor((Date.now() - t0) / 10_000) + 1;
    assert.ok(logged.length >= 1 && logged.length <= 21 * windows, `${logged.length} log lines for 60 bad requests in ${windows} window(s)`);
    if (windows === 1) assert.ok(logged.length <= 21, 'the flood is cut to the burst');
    for (const line of logged) assert.ok(!line.includes('\n'), `one line each: ${line}`);
    assert.doesNotMatch(logged.join('\n'), /at \w+ \(/, 'no stack for a client error');
  });
});

describe('least exposure', () => {
  test('the admin bundle and its source map need a session, under /admin/assets and under /static', async () => {
    for (const path of ['/admin/assets/admin.js', '/admin/assets/admin.js.map', '/static/admin.js', '/static/admin.js.map']) {
      const res = await fetch(`${t.url}${path}`, { redirect: 'manual' });
      const body = await res.text();
      assert.ok(res.status === 302 || res.status === 404, `${path}: ${res.status}`);
      assert.doesNotMatch(body, /credence-admin|customElements|sourcesContent/, `${path} served the bundle`);
    }
    const r = await login(t.url, 'admin', t.password);
    const bundle = await fetch(`${t.url}/admin/assets/admin.js`, { headers: { cookie: r.cookie } });
    assert.equal(bundle.status, 200);
    assert.match(await bundle.text(), /credence-admin/);
  });

  test('/healthz answers ok only; the details are behind the login', async () => {
    const res = await fetch(`${t.url}/healthz`);
    assert.equal(res.status, 200);
    assert.equal((await res.text()).trim(), 'ok');
    assert.equal((await fetch(`${t.url}/api/admin/health`)).status, 401);
    const r = await login(t.url, 'admin', t.password);
    const details = (await (await fetch(`${t.url}/api/admin/health`, { headers: { cookie: r.cookie } })).json()) as { studies: unknown[]; submits: unknown };
    assert.ok(Array.isArray(details.studies) && details.studies.length > 0);
  });

  test('/api/detect is off unless the server was started with --detect', async () => {
    const res = await fetch(`${t.url}/api/detect?Some%20text`);
    assert.equal(res.status, 404);
    assert.match(((await res.json()) as { error: string }).error, /--detect/);
  });

  test('every route sends a CSP with frame-ancestors none, nosniff and a referrer policy (no HSTS over plain HTTP); participant pages a strict CSP', async () => {
    // Pages, assets, researcher pages and API answers, redirects, errors (404, 400, 401), and socket.io's own HTTP answers (which never pass through express).
    const routes = [
      '/s/admin-demo', '/healthz', '/static/participant.js', '/admin/login', '/admin', '/admin/assets/admin.js', '/api/admin/studies', '/api/admin/health',
      '/api/detect', '/favicon.ico', '/nowhere', '/s/%ZZ', '/s/no-such-study', '/socket.io/?EIO=4&transport=polling', '/socket.io/?EIO=99&transport=nonsense',
    ];
    for (const path of routes) {
      const res = await fetch(`${t.url}${path}`, { redirect: 'manual' });
      const csp = res.headers.get('content-security-policy') ?? '';
      assert.match(csp, /frame-ancestors 'none'/, `${path}: ${csp}`);
      assert.equal(res.headers.get('x-content-type-options'), 'nosniff', path);
      assert.ok(res.headers.get('referrer-policy'), path);
      assert.equal(res.headers.get('strict-transport-security'), null, `${path}: HSTS over plain HTTP`);
    }
    const page = await fetch(`${t.url}/s/admin-demo`);
    const csp = page.headers.get('content-security-policy')!;
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.match(csp, /object-src 'none'/);
    assert.doesNotMatch(csp, /unsafe-eval/);
  });
});

describe('HSTS only over HTTPS', () => {
  test('behind a trusted proxy that says https, HSTS is sent; from an untrusted client the header claims nothing', async () => {
    const proxied = await startTestServer({ server: { trustProxy: 'loopback' } });
    try {
      const https = await fetch(`${proxied.url}/s/admin-demo`, { headers: { 'x-forwarded-proto': 'https' } });
      assert.match(https.headers.get('strict-transport-security') ?? '', /max-age=\d+/);
      const plain = await fetch(`${proxied.url}/s/admin-demo`);
      assert.equal(plain.headers.get('strict-transport-security'), null);
    } finally {
      await proxied.close();
    }
    const claimed = await fetch(`${t.url}/s/admin-demo`, { headers: { 'x-forwarded-proto': 'https' } });
    assert.equal(claimed.headers.get('strict-transport-security'), null);
  });
});
