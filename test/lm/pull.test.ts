// `models pull` against a local server that serves a model directory under the
// Hugging Face URL scheme, including a transfer cut off midway and resumed.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { buildTinyModel } from '../../server/lm/build-tiny.ts';
import { Decoder } from '../../server/lm/decoder.ts';
import { listModels } from '../../server/models/list.ts';
import { pullModel, OfflineError } from '../../server/models/pull.ts';
import { runCli, tempDir } from './helpers.ts';

interface Hit { path: string; range: string | null; status: number }

describe('models pull', () => {
  const tmp = tempDir('pull');
  let src = '';
  let server: http.Server;
  let base = '';
  const hits: Hit[] = [];
  /** path → bytes after which the first request for it is cut. */
  const cut = new Map<string, number>();

  before(async () => {
    src = buildTinyModel({ shape: 'tiny', out: join(tmp.dir, 'src'), external: true, variants: ['fp32'] });
    server = http.createServer((req, res) => {
      const m = /^\/onnx-community\/gpt2-ONNX\/resolve\/main\/(.+)$/.exec(req.url ?? '');
      const file = m ? join(src, decodeURIComponent(m[1])) : '';
      const path = m ? m[1] : String(req.url);
      if (!m || !existsSync(file) || statSync(file).isDirectory()) {
        hits.push({ path, range: req.headers.range ?? null, status: 404 });
        res.writeHead(404).end('not found');
        return;
      }
      const size = statSync(file).size;
      const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
      const start = range ? Number(range[1]) : 0;
      const status = range ? 206 : 200;
      hits.push({ path, range: req.headers.range ?? null, status });
      res.writeHead(status, {
        'content-length': String(size - start),
        'accept-ranges': 'bytes',
        ...(range ? { 'content-range': `bytes ${start}-${size - 1}/${size}` } : {}),
      });
      const limit = cut.get(path);
      if (limit !== undefined) {
        cut.delete(path);
        // Send part of the body, then drop the connection.
        const buf = readFileSync(file).subarray(start, start + limit);
        res.write(buf, () => setTimeout(() => res.socket?.destroy(), 20));
        return;
      }
      createReadStream(file, { start }).pipe(res);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    await new Promise((r) => server.close(r));
    tmp.cleanup();
  });

  const sha = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');

  test('a download cut off midway resumes with Range and ends byte-identical', async () => {
    const models = join(tmp.dir, 'models');
    const dataPath = 'onnx/model.onnx_data';
    const cutAt = 3_000_000;
    cut.set(dataPath, cutAt);
    await assert.rejects(pullModel({ name: 'gpt2', baseUrl: base, modelsDir: models }), /stopped at|terminated|socket|aborted|other side closed/i);
    const part = join(models, 'gpt2', `${dataPath}.part`);
    assert.ok(existsSync(part), 'the partial file stays');
    const have = statSync(part).size;
    assert.ok(have > 0 && have <= cutAt, `partial size ${have}`);
    assert.ok(!existsSync(join(models, 'gpt2', dataPath)));

    const before = hits.length;
    const states: string[] = [];
    const res = await pullModel({ name: 'gpt2', baseUrl: base, modelsDir: models, onFile: (f, s) => states.push(`${f}:${s}`) });
    const resumed = hits.slice(before).find((h) => h.path === dataPath)!;
    assert.equal(resumed.range, `bytes=${have}-`);
    assert.equal(resumed.status, 206);
    assert.ok(states.includes(`${dataPath}:resume`));
    assert.ok(states.includes('config.json:present'), 'finished files are not fetched again');
    for (const f of ['config.json', 'tokenizer.json', 'onnx/model.onnx', dataPath]) {
      assert.equal(sha(join(res.dir, f)), sha(join(src, f)), f);
    }
    assert.ok(!readdirSync(join(res.dir, 'onnx')).some((f) => f.endsWith('.part')));
    // Optional files the server lacks are skipped, not fatal.
    assert.ok(hits.some((h) => h.path === 'special_tokens_map.json' && h.status === 404));
    // The result is a working model directory.
    const d = await Decoder.load(res.dir);
    assert.deepEqual((await d.forward([[15496]])).dims, [1, 1, 50257]);
    await d.dispose();
    const listed = listModels(models);
    assert.deepEqual(listed.map((m) => [m.name, m.dtypes, m.partial]), [['gpt2', ['fp32'], []]]);
  });

  test('a missing graph is an HTTP error naming the URL; an unknown dtype or model is refused', async () => {
    await assert.rejects(pullModel({ name: 'gpt2', dtype: 'fp16', baseUrl: base, modelsDir: join(tmp.dir, 'm2') }), /model_fp16\.onnx: HTTP 404/);
    await assert.rejects(pullModel({ name: 'distilgpt2', dtype: 'q4', baseUrl: base, modelsDir: join(tmp.dir, 'm2') }), /has no q4 export/);
    await assert.rejects(pullModel({ name: 'gpt5', baseUrl: base, modelsDir: join(tmp.dir, 'm2') }), /unknown model "gpt5"/);
  });

  test('offline: a clear message that pull needs the network', async () => {
    const dead = http.createServer();
    await new Promise<void>((r) => dead.listen(0, '127.0.0.1', () => r()));
    const port = (dead.address() as AddressInfo).port;
    await new Promise((r) => dead.close(r));
    await assert.rejects(pullModel({ name: 'gpt2', baseUrl: `http://127.0.0.1:${port}`, modelsDir: join(tmp.dir, 'm3') }),
      (e: Error) => e instanceof OfflineError && /cannot reach http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\).*needs network access/.test(e.message));
  });

  test('the CLI says it downloads, and models list shows size and dtype', async () => {
    const models = join(tmp.dir, 'cli-models');
    const run = (...args: string[]) => runCli(args);
    const pull = await run('models', 'pull', 'gpt2', '--base-url', base, '--models', models);
    assert.equal(pull.status, 0, pull.stderr);
    assert.match(pull.stderr, /Downloading onnx-community\/gpt2-ONNX \(fp32\) from http:\/\/127\.0\.0\.1/);
    const list = await run('models', 'list', '--models', models);
    assert.equal(list.status, 0, list.stderr);
    assert.match(list.stdout, /gpt2\s+gpt2\s+built \(random weights\)\s+fp32\s+\d+(\.\d+)? MB/);
    const bad = await run('models', 'pull', 'gpt2', '--dtype', 'fp64', '--models', models);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /unknown dtype "fp64"/);
  });
});
