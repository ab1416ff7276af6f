// Int8 products on MatMulNBits (server/lm/int8-nbits.ts): both quantized
// forms a GPT-2 export can have are found and re-laid with the same weights,
// and the tiny int8 model decodes on it close to its exported graph.
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import onnxProto from 'onnx-proto';
import { int8ToNbits } from '../../server/lm/int8-nbits.ts';
import { readOnnxFile } from '../../server/lm/onnx-rewrite.ts';
import { Decoder } from '../../server/lm/decoder.ts';
import { generate, provenanceOf } from '../../server/lm/generate.ts';
import { DEFAULT_SAMPLING } from '../../server/lm/sampling.ts';
import { FLOAT, GraphBuilder, valueInfo } from '../../server/detectors/onnx-graph.ts';
import { tempDir, tinyModels } from './helpers.ts';

const { onnx } = onnxProto;
const { INT8, UINT8 } = onnx.TensorProto.DataType;
const MS = 'com.microsoft';
// K is not a multiple of the block (64), so the padding is exercised too.
const K = 96, N = 40;

interface Quantized { signed: boolean; perColumn: boolean; zero: boolean }

/** Weights q [K, N], scales and zero points, and their dequantized values (q − zero) × scale. */
function weights(form: Quantized) {
  const q = new Uint8Array(K * N);
  for (let i = 0; i < q.length; i++) q[i] = (i * 2654435761) >>> 24;
  const scales = Float32Array.from({ length: form.perColumn ? N : 1 }, (_, c) => 0.01 + c * 0.001);
  const zeros = new Uint8Array(form.perColumn ? N : 1).map((_, c) => (form.zero ? (form.signed ? (c % 5) - 2 : 120 + (c % 9)) : 0) & 0xff);
  const value = (byte: number) => (form.signed ? (byte << 24) >> 24 : byte);
  const deq = new Float32Array(K * N);
  for (let r = 0; r < K; r++) for (let c = 0; c < N; c++) {
    const j = form.perColumn ? c : 0;
    deq[r * N + c] = (value(q[r * N + c]) - value(zeros[j])) * scales[j];
  }
  return { q, scales, zeros, deq };
}

function tensor(name: string, dims: number[], dataType: number, bytes: Uint8Array) {
  return onnx.TensorProto.create({ name, dims, dataType, rawData: bytes });
}

/** y = x·W as DynamicQuantizeMatMul (the project's builds) or as quantize_dynamic's MatMulInteger chain. */
function graph(kind: 'dqmm' | 'chain', form: Quantized): Uint8Array {
  const { q, scales, zeros } = weights(form);
  const g = new GraphBuilder();
  const t = form.signed ? INT8 : UINT8;
  const sdims = form.perColumn ? [N] : [];
  g.initializers.push(tensor('W', [K, N], t, q), tensor('W_scale', sdims, FLOAT, new Uint8Array(scales.buffer)));
  if (form.zero) g.initializers.push(tensor('W_zero', sdims, t, zeros));
  if (kind === 'dqmm') {
    g.nodes.push({ opType: 'DynamicQuantizeMatMul', domain: MS, input: ['x', 'W', 'W_scale', form.zero ? 'W_zero' : ''], output: ['y'] });
  } else {
    g.nodes.push(
      { opType: 'DynamicQuantizeLinear', input: ['x'], output: ['xq', 'x_scale', 'x_zero'] },
      { opType: 'MatMulInteger', input: ['xq', 'W', 'x_zero', ...(form.zero ? ['W_zero'] : [])], output: ['mm'] },
      { opType: 'Cast', input: ['mm'], output: ['mm_float'], attribute: [{ name: 'to', type: 2, i: FLOAT }] },
      { opType: 'Mul', input: ['x_scale', 'W_scale'], output: ['scales_mul'] },
      { opType: 'Mul', input: ['mm_float', 'scales_mul'], output: ['y'] },
    );
  }
  return g.encode({ inputs: [valueInfo('x', FLOAT, ['M', K])], outputs: [valueInfo('y', FLOAT, ['M', N])], producer: 'test' });
}

const scratch = tempDir('int8-nbits');
after(() => scratch.cleanup());

describe('int8 products on MatMulNBits', () => {
  const forms: [string, Quantized][] = [
    ['int8, a scale per column, no zero points', { signed: true, perColumn: true, zero: false }],
    ['int8, a scale per column, zero points', { signed: true, perColumn: true, zero: true }],
    ['uint8, one scale and zero point', { signed: false, perColumn: false, zero: true }],
  ];
  for (const kind of ['dqmm', 'chain'] as const) {
    for (const [label, form] of forms) {
      test(`${kind === 'dqmm' ? 'DynamicQuantizeMatMul' : 'MatMulInteger chain'}, ${label}: same weights, one MatMulNBits node`, async () => {
        const path = join(scratch.dir, `${kind}-${label.replace(/\W+/g, '-')}.onnx`);
        writeFileSync(path, graph(kind, form));
        const file = readOnnxFile(path);
        const r = int8ToNbits(file);
        assert.ok(r && 'edit' in r, JSON.stringify(r));
        assert.equal(r.count, 1);
        assert.deepEqual(r.edit.nodes.map((n) => n.opType), ['MatMulNBits']);
        assert.ok(r.edit.dropInitializers.has('W'));
        // The identity as input: each row of the output is one row of the dequantized weights. One-hot
        // rows quantize exactly under both kernels' activation schemes, so this checks the re-laid
        // weights, scales, zero points and the padding past K bit for bit (up to one float rounding).
        const x = new Float32Array(K * K);
        for (let i = 0; i < K; i++) x[i * K + i] = 1;
        const s = await ort.InferenceSession.create(file.rewrite(r.edit), { extra: { session: { model_external_initializers_file_folder_path: scratch.dir } } });
        const y = (await s.run({ x: new ort.Tensor('float32', x, [K, K]) })).y.data as Float32Array;
        await s.release();
        const { deq } = weights(form);
        for (let i = 0; i < deq.length; i++) assert.ok(Math.abs(y[i] - deq[i]) <= 1e-6 * Math.max(1, Math.abs(deq[i])), `element ${i}: ${y[i]} vs ${deq[i]}`);
        // The re-laid weights were written once, next to the graph.
        assert.equal(readdirSync(join(scratch.dir, '.credence')).filter((f) => f.startsWith(`${file.path.split('/').pop()}.int8-nbits.`)).length, 1);
      });
    }
  }

  test('a graph without int8 products is left alone', () => {
    const g = new GraphBuilder();
    g.op('Identity', ['x'], [], undefined, 'y');
    const path = join(scratch.dir, 'plain.onnx');
    writeFileSync(path, g.encode({ inputs: [valueInfo('x', FLOAT, [1])], outputs: [valueInfo('y', FLOAT, [1])], producer: 'test' }));
    assert.equal(int8ToNbits(readOnnxFile(path)), null);
  });

  test('the tiny int8 model decodes on MatMulNBits, close to its exported graph, reproducibly', async () => {
    const dir = (await tinyModels())['tiny-m'];
    const [nbits, exported, fp32] = await Promise.all([
      Decoder.load(dir, { dtype: 'q8', skipHash: true }),
      Decoder.load(dir, { dtype: 'q8', skipHash: true, int8: 'as-exported' }),
      Decoder.load(dir, { skipHash: true }),
    ]);
    try {
      // 3 layers × 4 products + the lm_head.
      assert.deepEqual(nbits.int8, { kernel: 'MatMulNBits (8-bit, accuracy level 4)', count: 13 });
      assert.equal(exported.int8, null);
      assert.equal(fp32.int8, null);
      assert.equal(nbits.slotted, true);
      assert.ok(existsSync(join(dir, 'onnx', '.credence')));
      const ids = nbits.tokenizer.encode('The quick brown fox jumps over the lazy dog');
      const [a, b, c] = [await nbits.forward([ids]), await exported.forward([ids]), await fp32.forward([ids])];
      let nbitsVsFp32 = 0, exportedVsFp32 = 0;
      for (let i = 0; i < c.logits.length; i++) {
        nbitsVsFp32 = Math.max(nbitsVsFp32, Math.abs(a.logits[i] - c.logits[i]));
        exportedVsFp32 = Math.max(exportedVsFp32, Math.abs(b.logits[i] - c.logits[i]));
      }
      // Both are int8 approximations of the same fp32 model, of the same size.
      assert.ok(nbitsVsFp32 > 0 && nbitsVsFp32 < 2 * exportedVsFp32 + 0.05, `MatMulNBits vs fp32 ${nbitsVsFp32}, exported int8 vs fp32 ${exportedVsFp32}`);
      const items = [{ index: 0, prompt: 'Hello' }, { index: 1, prompt: 'In a shocking finding' }];
      const opts = { seed: 5, sampling: { ...DEFAULT_SAMPLING, topK: 40, maxNewTokens: 20, minNewTokens: 20 }, batchSize: 2 };
      const [s1, s2] = [await generate(nbits, items, opts), await generate(nbits, items, { ...opts, batchSize: 1 })];
      assert.deepEqual(s1.map((s) => s.tokens), s2.map((s) => s.tokens));
      assert.equal(s1[0].tokens.length, 20);
      // Records say which kernel made them; fp32 records carry no such field.
      assert.equal(provenanceOf(nbits, opts, s1[0]).int8_kernel, 'MatMulNBits (8-bit, accuracy level 4)');
      assert.equal('int8_kernel' in provenanceOf(fp32, opts, s1[0]), false);
    } finally {
      await Promise.all([nbits.dispose(), exported.dispose(), fp32.dispose()]);
    }
  });
});
