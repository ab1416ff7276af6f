// The scoring worker pool survives workers that die: the dead worker is
// replaced, its job runs once more, and a job that kills its worker twice
// fails with an error saying so (the hand-written pool this replaced waited
// forever once its workers were gone). Real onnxruntime sessions on the tiny
// RoBERTa detector, killed with process.exit inside a job.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { buildTinyRoberta } from '../../server/detectors/roberta-build.ts';
import { startWorkers, type WorkerPool } from '../../server/detectors/session-workers.ts';

let root: string;
let modelFile: string;
let pool: WorkerPool;
let reference: Float32Array;

const ids = [0, 713, 16, 10, 1296, 2];
const feeds = () => ({
  input_ids: { type: 'int64', data: BigInt64Array.from(ids, BigInt), dims: [1, ids.length] },
  attention_mask: { type: 'int64', data: new BigInt64Array(ids.length).fill(1n), dims: [1, ids.length] },
});
const job = (die?: string) => ({ die, job: { feeds: feeds(), outputs: ['logits'] } });
const logitsOf = (r: unknown) => (r as { logits: { data: Float32Array } }).logits.data;

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'credence-pool-'));
  buildTinyRoberta({ outDir: join(root, 'tiny-roberta'), seed: 7 });
  modelFile = join(root, 'tiny-roberta', 'onnx', 'model.onnx');
  const session = await ort.InferenceSession.create(modelFile);
  const f = feeds();
  const out = await session.run({
    input_ids: new ort.Tensor('int64', f.input_ids.data, f.input_ids.dims),
    attention_mask: new ort.Tensor('int64', f.attention_mask.data, f.attention_mask.dims),
  }, ['logits']);
  reference = out.logits.data as Float32Array;
  await session.release();
  pool = await startWorkers(2, { kind: 'onnx', model: { source: modelFile, options: {} }, threads: 1 }, new URL('./fixtures/dying-worker.ts', import.meta.url));
});
after(async () => {
  await pool?.close();
  rmSync(root, { recursive: true, force: true });
});

describe('scoring worker pool', () => {
  test('reports what each worker loaded', () => {
    assert.equal(pool.size, 2);
    assert.ok((pool.info as { inputNames: string[] }).inputNames.includes('input_ids'));
  });

  test('a worker that dies mid-job is replaced and its job runs again on a live one', async () => {
    const marker = join(root, 'died-once');
    const before = new Set(pool.threads.map((t) => t.threadId));
    const results = await Promise.all([job(), job(marker), job(), job(), job(), job()].map((j) => pool.run(j)));
    assert.ok(existsSync(marker), 'the job killed its worker once');
    for (const r of results) assert.deepEqual([...logitsOf(r)], [...reference]);
    // The pool is back to two workers, one of them new.
    await waitFor(() => pool.threads.length === 2);
    assert.ok(pool.threads.some((t) => !before.has(t.threadId)), 'a new worker replaced the dead one');
  });

  test('a job that kills its worker twice fails with a clear error, and the pool keeps working', async () => {
    await assert.rejects(pool.run(job('always')), /a scoring worker died twice running the same job.*exited with code: 7/);
    // Both workers may have died; the replacements score, nothing waits forever.
    const again = await Promise.all([pool.run(job()), pool.run(job())]);
    for (const r of again) assert.deepEqual([...logitsOf(r)], [...reference]);
    await waitFor(() => pool.threads.length === 2);
  });

  test('a worker that cannot set up fails the start with its error', async () => {
    await assert.rejects(
      startWorkers(1, { kind: 'onnx', model: { source: join(root, 'nowhere.onnx'), options: {} }, threads: 1 }),
      /nowhere\.onnx/,
    );
  });
});

async function waitFor(cond: () => boolean, ms = 10_000): Promise<void> {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
