// The log-sum-exp output added to decoder graphs (server/lm/lse-output.ts), at
// the opsets where the reduce ops take their axes as attributes and as inputs,
// and after float16 logits.
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { onnx, FLOAT, valueInfo } from '../../server/detectors/onnx-graph.ts';
import { readOnnxFile } from '../../server/lm/onnx-rewrite.ts';
import { LSE_OUTPUT, lseOutput } from '../../server/lm/lse-output.ts';
import { logSumExp, tempDir } from './helpers.ts';

const FLOAT16 = onnx.TensorProto.DataType.FLOAT16;
const scratch = tempDir('lse');
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

describe('log-sum-exp output', () => {
  for (const [opset, type] of [[11, FLOAT], [17, FLOAT], [18, FLOAT], [17, FLOAT16]] as const) {
    test(`opset ${opset}, ${type === FLOAT ? 'float32' : 'float16'} logits: log Σ exp of each sequence's last row`, async () => {
      const file = readOnnxFile(model(opset, type));
      const lse = lseOutput(file);
      const bytes = file.rewrite({ outputs: [...file.signature.outputs, lse.output], addNodes: lse.nodes, addInitializers: lse.initializers });
      const s = await ort.InferenceSession.create(bytes);
      const [B, S, V] = [2, 3, 1000];
      // Rows far from 0 as GPT-2's are: a naive log Σ exp would overflow.
      const x = Float32Array.from({ length: B * S * V }, (_, i) => 90 + 8 * Math.sin(i * 0.37));
      const out = (await s.run({ x: new ort.Tensor('float32', x, [B, S, V]) }))[LSE_OUTPUT];
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
