// Read bandwidth of this machine right now: a JS copy and sum of a 512 MB
// array, and one ORT MatMul streaming a 256 MB weight matrix with the threads a
// decoder session uses (what a batch-1 decode step does, minus everything else).
import os from 'node:os';
import ort from 'onnxruntime-node';
import onnxProto from 'onnx-proto';

function best(n: number, f: () => void): number {
  let b = Infinity;
  for (let i = 0; i < n; i++) { const t = performance.now(); f(); b = Math.min(b, performance.now() - t); }
  return b;
}

export async function measureBandwidth(): Promise<{ copy: number; sum: number; gemv: number }> {
  const n = 128 * 1024 * 1024; // 512 MB of float32
  const src = new Float32Array(n).fill(1);
  const dst = new Float32Array(n);
  dst.set(src);
  // A copy reads n·4 bytes and writes as many: count both.
  const copy = (2 * n * 4) / (best(3, () => dst.set(src)) / 1000) / 1e9;
  let acc = 0;
  const sum = (n * 4) / (best(2, () => { let s = 0; for (let i = 0; i < n; i += 4) s += src[i] + src[i + 1] + src[i + 2] + src[i + 3]; acc += s; }) / 1000) / 1e9;
  if (acc === 42) console.log('');
  // One MatMul [1, K] × [K, N] over 256 MB: pure weight streaming, as a decode step is.
  const { onnx } = onnxProto;
  const K = 4096, N = 16384;
  const w = new Float32Array(K * N).fill(0.001);
  const model = onnx.ModelProto.encode(onnx.ModelProto.create({
    irVersion: 8, opsetImport: [{ domain: '', version: 17 }],
    graph: {
      name: 'gemv', node: [{ opType: 'MatMul', input: ['x', 'W'], output: ['y'] }],
      initializer: [{ name: 'W', dims: [K, N], dataType: 1, rawData: new Uint8Array(w.buffer) }],
      input: [{ name: 'x', type: { tensorType: { elemType: 1, shape: { dim: [{ dimValue: 1 }, { dimValue: K }] } } } }],
      output: [{ name: 'y', type: { tensorType: { elemType: 1, shape: { dim: [{ dimValue: 1 }, { dimValue: N }] } } } }],
    },
  })).finish();
  const sess = await ort.InferenceSession.create(model, { graphOptimizationLevel: 'all', intraOpNumThreads: os.availableParallelism() });
  const x = new ort.Tensor('float32', new Float32Array(K).fill(1), [1, K]);
  await sess.run({ x });
  let b = Infinity;
  for (let i = 0; i < 10; i++) { const t = performance.now(); await sess.run({ x }); b = Math.min(b, performance.now() - t); }
  await sess.release();
  return { copy, sum, gemv: (K * N * 4) / (b / 1000) / 1e9 };
}

