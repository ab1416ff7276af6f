// Abuse suite, finding 9: /api/detect (a detector forward pass per request) was
// public and unlimited. It is off unless the server is started with --detect;
// then visitors are limited per address (an IPv6 /64), a researcher is not, and
// every caller waits in a bounded queue: 429 past the address limit, 503 when the
// queue is full, each with Retry-After.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import express from 'express';
import { detectGuard } from '../../server/http/detect-guard.ts';
import { ensureTinyRoberta } from '../../server/detectors/roberta-build.ts';
import { login, startTestServer } from '../admin/helpers.ts';
import { miniProtocol, sleep, tempDir, writeStudy } from '../engine/helpers.ts';
import { startServeProcess } from '../e2e/helpers/serve-process.ts';

const REPO = join(import.meta.dirname, '..', '..');

/** A real express server with the real guard in front of a handler the test releases by hand. */
async function guarded(opts: Parameters<typeof detectGuard>[0]) {
  const app = express();
  let arrived = 0;
  const held: (() => void)[] = [];
  app.use((_req, _res, next) => {
    arrived++;
    next();
  });
  app.use('/api/detect', detectGuard(opts));
  app.get('/api/detect', (_req, res) => {
    held.push(() => res.json({ ok: true }));
  });
  const server = await new Promise<ReturnType<typeof app.listen>>((ok) => {
    const s = app.listen(0, '127.0.0.1', () => ok(s));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/detect?text`;
  return {
    url,
    held,
    arrived: () => arrived,
    close: () => new Promise<void>((ok) => { server.closeAllConnections(); server.close(() => ok()); }),
  };
}

async function until(what: string, cond: () => boolean, ms = 10_000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

describe('the guard in front of /api/detect', () => {
  test('the queue is bounded: past the running passes and the waiting room, 503 with Retry-After; a freed slot is reused', async () => {
    const g = await guarded({ perMinute: 1000, concurrent: 2, queue: 3 });
    try {
      const first = Array.from({ length: 5 }, () => fetch(g.url));
      await until('two running passes', () => g.held.length === 2);
      await until('five requests at the server', () => g.arrived() === 5);
      await sleep(50); // the three others pass the (asynchronous) address limit and wait in the queue
      const full = await fetch(g.url);
      assert.equal(full.status, 503);
      assert.equal(full.headers.get('retry-after'), '5');
      assert.match(((await full.json()) as { error: string }).error, /busy/);
      assert.equal(g.held.length, 2, 'still only two passes at once');
      // Finishing passes lets the queued ones run, never more than two at a time.
      let served = 0;
      while (served < 5) {
        await until('a running pass', () => g.held.length > 0);
        await sleep(20);
        assert.ok(g.held.length <= 2, `${g.held.length} passes at once`);
        const wave = g.held.splice(0);
        for (const release of wave) release();
        served += wave.length;
      }
      const statuses = (await Promise.all(first)).map((r) => r.status);
      assert.deepEqual(statuses, [200, 200, 200, 200, 200], 'every queued request was served');
      // The queue is empty again: a new request runs at once.
      const later = fetch(g.url);
      await until('a new pass', () => g.held.length === 1);
      g.held.shift()!();
      assert.equal((await later).status, 200);
    } finally {
      await g.close();
    }
  });

  test('a client that gives up while queued leaves the queue', async () => {
    const g = await guarded({ perMinute: 1000, concurrent: 1, queue: 1 });
    try {
      const running = fetch(g.url);
      await until('one running pass', () => g.held.length === 1);
      const gaveUp = new AbortController();
      const queued = fetch(g.url, { signal: gaveUp.signal }).catch(() => 'aborted');
      await until('the queued request', () => g.arrived() === 2);
      await sleep(50);
      assert.equal((await fetch(g.url)).status, 503, 'the one waiting place is taken');
      gaveUp.abort();
      assert.equal(await queued, 'aborted');
      await sleep(100);
      const next = fetch(g.url);
      await until('the request to be at the server', () => g.arrived() === 4);
      await sleep(50);
      g.held.shift()!();
      assert.equal((await running).status, 200);
      await until('the next pass', () => g.held.length === 1);
      g.held.shift()!();
      assert.equal((await next).status, 200, 'it took the place the abandoned request left');
    } finally {
      await g.close();
    }
  });
});

describe('/api/detect on a server started with --detect', () => {
  test('visitors get the per-address limit (429 with Retry-After), a logged-in researcher does not; the detector answers', async () => {
    ensureTinyRoberta(join(REPO, 'models'));
    const t = await startTestServer({ server: { detect: true } });
    try {
      const first = await fetch(`${t.url}/api/detect?${encodeURIComponent('A short text to score.')}`);
      assert.equal(first.status, 200, await first.clone().text());
      const body = (await first.json()) as { real_probability: number; fake_probability: number };
      assert.ok(body.real_probability >= 0 && body.real_probability <= 1);
      assert.ok(Math.abs(body.real_probability + body.fake_probability - 1) < 1e-6);
      // The default is 20 per minute per address; an empty text is answered 400 by the route, after the guard counted it.
      for (let i = 1; i < 20; i++) assert.equal((await fetch(`${t.url}/api/detect`)).status, 400, `request ${i + 1}`);
      const limited = await fetch(`${t.url}/api/detect?${encodeURIComponent('One more.')}`);
      assert.equal(limited.status, 429);
      assert.ok(Number(limited.headers.get('retry-after')) > 0);
      assert.match(((await limited.json()) as { error: string }).error, /too many/);
      const r = await login(t.url, 'admin', t.password);
      const researcher = await fetch(`${t.url}/api/detect?${encodeURIComponent('One more.')}`, { headers: { cookie: r.cookie } });
      assert.equal(researcher.status, 200, 'a researcher session is not limited per address');
    } finally {
      await t.close();
    }
  });

  test('behind a trusted proxy the limit counts the forwarded client, an IPv6 client by its /64', async () => {
    const t = await startTestServer({ server: { detect: true, trustProxy: 'loopback' } });
    try {
      const from = (address: string) => fetch(`${t.url}/api/detect`, { headers: { 'x-forwarded-for': address } }).then((r) => r.status);
      // Twenty addresses of one /64 share one budget of 20.
      for (let i = 1; i <= 20; i++) assert.equal(await from(`2001:db8:1:2::${i.toString(16)}`), 400);
      assert.equal(await from('2001:db8:1:2:ffff:eeee:dddd:1'), 429, 'another address in the same /64');
      assert.equal(await from('2001:db8:1:3::1'), 400, 'the next /64 has its own budget');
      assert.equal(await from('203.0.113.9'), 400, 'so has an IPv4 client');
    } finally {
      await t.close();
    }
  });
});

describe('credence serve --detect', () => {
  /** Starts `credence serve` with these flags, fetches /api/detect once, stops it. */
  async function detectStatus(flags: string[]): Promise<number> {
    const tmp = tempDir();
    try {
      const served = await startServeProcess({ port: 0, db: join(tmp.dir, 'd.db'), study: writeStudy(tmp.dir, miniProtocol()), args: flags });
      try {
        return (await fetch(`${served.url}/api/detect?${encodeURIComponent('Some text.')}`)).status;
      } finally {
        await served.stop();
      }
    } finally {
      tmp.cleanup();
    }
  }

  test('without the flag the route is off (404); with it the detector answers', async () => {
    ensureTinyRoberta(join(REPO, 'models'));
    assert.equal(await detectStatus([]), 404);
    assert.equal(await detectStatus(['--detect']), 200);
  });
});
