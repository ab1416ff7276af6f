import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { join } from 'node:path';
import express from 'express';
import { mountDetect, unquote } from '../../server/http/detect-route.ts';
import { ensureTinyRoberta } from '../../server/detectors/roberta-build.ts';
import { loadRobertaDetector, type RobertaDetector } from '../../server/detectors/roberta.ts';
import { corpusSentences } from './corpus.ts';

let server: Server;
let missing: Server;
let base: string;
let missingBase: string;
let det: RobertaDetector;

function listen(app: express.Express): Promise<[Server, string]> {
  return new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve([s, `http://127.0.0.1:${(s.address() as AddressInfo).port}`]));
  });
}

before(async () => {
  const dir = ensureTinyRoberta('models');
  det = await loadRobertaDetector(dir);
  const app = express();
  mountDetect(app, { detectorDir: dir });
  [server, base] = await listen(app);
  const app2 = express();
  mountDetect(app2, { detectorDir: join('models', 'no-such-detector') });
  [missing, missingBase] = await listen(app2);
});
after(async () => {
  await det?.close();
  await new Promise((r) => server?.close(r));
  await new Promise((r) => missing?.close(r));
});

describe('GET /api/detect', () => {
  test('answers in the gpt-2-output-dataset demo format', async () => {
    const text = corpusSentences(3).join(' ');
    const res = await fetch(`${base}/api/detect?${encodeURIComponent(text)}`);
    assert.equal(res.status, 200);
    const body = await res.json();
    assert.deepEqual(Object.keys(body).sort(), ['all_tokens', 'fake_probability', 'real_probability', 'used_tokens']);
    const [s] = await det.score([text]);
    assert.equal(body.real_probability, s.real_probability);
    assert.equal(body.fake_probability, s.fake_probability);
    assert.equal(body.all_tokens, s.all_tokens);
    assert.equal(body.used_tokens, s.used_tokens);
  });

  test('long texts are truncated to 510 tokens', async () => {
    const text = corpusSentences(60).join(' ').slice(0, 6000);
    const body = await (await fetch(`${base}/api/detect?${encodeURIComponent(text)}`)).json();
    assert.equal(body.used_tokens, 510);
    assert.ok(body.all_tokens > 510);
  });

  test('a 100k-character query is refused by Node (431) and the server keeps answering', async () => {
    const huge = encodeURIComponent('lorem ipsum '.repeat(9000).slice(0, 100_000));
    const res = await fetch(`${base}/api/detect?${huge}`);
    assert.equal(res.status, 431);
    const ok = await fetch(`${base}/api/detect?still%20alive`);
    assert.equal(ok.status, 200);
  });

  test('empty text is a 400 with a clear message', async () => {
    for (const url of [`${base}/api/detect`, `${base}/api/detect?`, `${base}/api/detect?%20%20`]) {
      const res = await fetch(url);
      assert.equal(res.status, 400, url);
      assert.match((await res.json()).error, /empty/);
    }
  });

  test('badly encoded queries are decoded like Python unquote, never a crash', async () => {
    assert.equal(unquote('a%ZZb%'), 'a%ZZb%');
    assert.equal(unquote('caf%C3%A9'), 'café');
    assert.equal(unquote('x%ED%A0%80y'), 'x\uFFFD\uFFFD\uFFFDy');
    for (const q of ['bad%E0%A4%Aescape', 'x%ED%A0%80y', 'lone%FFbyte', '%']) {
      const res = await fetch(`${base}/api/detect?${q}`);
      assert.equal(res.status, 200, q);
      const body = await res.json();
      assert.ok(body.real_probability > 0 && body.real_probability < 1, q);
    }
  });

  test('503 naming the missing model directory', async () => {
    const res = await fetch(`${missingBase}/api/detect?hello`);
    assert.equal(res.status, 503);
    assert.match((await res.json()).error, /no-such-detector does not exist.*CREDENCE_DETECTOR/);
  });
});
