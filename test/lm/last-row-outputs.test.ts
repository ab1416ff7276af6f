// The outputs added to decoder graphs (server/lm/last-row-outputs.ts): the
// log-sum-exp at the opsets where the reduce ops take their axes as attributes
// and as inputs, and after float16 logits; the top entries against a sort.
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { onnx, FLOAT, valueInfo } from '../../server/onnx/graph.ts';
import { readOnnxFile } from '../../server/onnx/rewrite.ts';
import { LSE_OUTPUT, lastRowOutputs, TOP_INDICES, TOP_K_INPUT, TOP_VALUES } from '../../server/lm/last-row-outputs.ts';
import { logSumExp, tempDir } from './helpers.ts';

const FLOAT16 = onnx.TensorProto.DataType.FLOAT16;
const scratch = tempDir('last-row');
after(() => scratch.cleanup());

/** logits = Cast(x) to the given type: a stand-in for a decoder's last node. */
function model(opset: number, logitsType: number): string {
  const path = join(scratch.dir, `m${opset}-${logitsType}.onnx`);
  writeFileSync(path, onnx.ModelProto.encode(onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: opset }],
    graph: {
      name: 'g',
      node: [{ opType: 'Cast', input: ['x'], output: ['logits'], attribute: [{ name: 'to', type: 2, i: logitsType }] }],
      input: [valueInfo('x', FLOAT, ['B', 'S', 'V'])],
      output: [valueInfo('logits', logitsType, ['B', 'S', 'V'])],
    },
  })).finish());
  return path;
}

async function session(opset: number, logitsType: number): Promise<ort.InferenceSession> {
  const file = readOnnxFile(model(opset, logitsType));
  const last = lastRowOutputs(file);
  const bytes = file.rewrite({ outputs: [...file.signature.outputs, ...last.outputs], addNodes: last.nodes, addInitializers: last.initializers, addInputs: last.inputs });
  return ort.InferenceSession.create(bytes);
}

describe('log-sum-exp output', () => {
  for (const [opset, type] of [[11, FLOAT], [17, FLOAT], [18, FLOAT], [17, FLOAT16]] as const) {
    test(`opset ${opset}, ${type === FLOAT ? 'float32' : 'float16'} logits: log Σ exp of each sequence's last row`, async () => {
      const s = await session(opset, type);
      const [B, S, V] = [2, 3, 1000];
      // Rows far from 0 as GPT-2's are: a naive log Σ exp would overflow.
      const x = Float32Array.from({ length: B * S * V }, (_, i) => 90 + 8 * Math.sin(i * 0.37));
      const out = (await s.run({ x: new ort.Tensor('float32', x, [B, S, V]), [TOP_K_INPUT]: new ort.Tensor('int64', [1n], [1]) }))[LSE_OUTPUT];
      await s.release();
      assert.deepEqual(out.dims, [B]);
      const got = out.data as Float32Array;
      for (let r = 0; r < B; r++) {
        const row = x.subarray((r * S + S - 1) * V, (r * S + S) * V);
        // float16 logits near 90 are rounded to steps of 1/16 before the sum.
        const want = logSumExp(row);
        assert.ok(Math.abs(got[r] - want) < (type === FLOAT ? 1e-4 : 0.07), `row ${r}: ${got[r]} vs ${want}`);
      }
    });
  }
});

describe('top entries output', () => {
  for (const [opset, type] of [[11, FLOAT], [18, FLOAT], [17, FLOAT16]] as const) {
    test(`opset ${opset}, ${type === FLOAT ? 'float32' : 'float16'} logits: the K largest of each last row, descending, ties in index order`, async () => {
      const s = await session(opset, type);
      const [B, S, V, K] = [3, 2, 5000, 41];
      // Few distinct values (steps of 1/8, exact in float16), so ties cross the top K.
      const x = Float32Array.from({ length: B * S * V }, (_, i) => Math.round(8 * 6 * Math.sin(i * 0.61) * Math.cos(i * 0.013)) / 8);
      const out = await s.run({ x: new ort.Tensor('float32', x, [B, S, V]), [TOP_K_INPUT]: new ort.Tensor('int64', [BigInt(K)], [1]) });
      await s.release();
      assert.deepEqual(out[TOP_VALUES].dims, [B, K]);
      const [values, ids] = [out[TOP_VALUES].data as Float32Array, out[TOP_INDICES].data as BigInt64Array];
      let ties = 0;
      for (let b = 0; b < B; b++) {
        const row = x.subarray((b * S + S - 1) * V, (b * S + S) * V);
        const want = [...row.keys()].sort((i, j) => row[j] - row[i] || i - j).slice(0, K);
        assert.deepEqual([...ids.subarray(b * K, (b + 1) * K)].map(Number), want, `row ${b}`);
        assert.deepEqual([...values.subarray(b * K, (b + 1) * K)], want.map((i) => row[i]));
        for (let i = 1; i < K; i++) if (row[want[i]] === row[want[i - 1]]) ties++;
      }
      assert.ok(ties > 10, `the rows should hold ties inside the top K (${ties})`);
    });
  }

  test('below opset 11 (no defined order for ties) there are no top outputs', () => {
    const last = lastRowOutputs(readOnnxFile(model(10, FLOAT)));
    assert.equal(last.topK, false);
    assert.deepEqual(last.outputs.map((o) => o.name), [LSE_OUTPUT]);
    assert.deepEqual(last.inputs, []);
  });
});
