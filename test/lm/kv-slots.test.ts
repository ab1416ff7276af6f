// The slotted KV cache (server/lm/kv-slots.ts): the graph rewrite, the column
// writes in both layouts, and generation that matches the plain present-tensor
// path token for token across a slot growth, with batches of ragged prompts.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import ort from 'onnxruntime-node';
import { Decoder } from '../../server/lm/decoder.ts';
import { generate } from '../../server/lm/generate.ts';
import { DEFAULT_SAMPLING } from '../../server/lm/sampling.ts';
import { SLOT_GROWTH, slotGraph, writeColumns } from '../../server/lm/kv-slots.ts';
import { FLOAT, INT64, GraphBuilder, valueInfo } from '../../server/onnx/graph.ts';
import { tempDir, tinyModels } from './helpers.ts';
import { readOnnxFile } from '../../server/onnx/rewrite.ts';
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A graph of the plain-export kind: present = Concat(past, new), the new key `x` and value `y` [B, H, S, D]. */
function concatGraph(withPositions = true): Uint8Array {
  const g = new GraphBuilder();
  g.op('Concat', ['past_key_values.0.key', 'x'], [{ name: 'axis', type: 2, i: 2 }], undefined, 'present.0.key');
  g.op('Concat', ['past_key_values.0.value', 'y'], [{ name: 'axis', type: 2, i: 2 }], undefined, 'present.0.value');
  g.op('Identity', ['x'], [], undefined, 'logits');
  const past = ['key', 'value'].map((k) => valueInfo(`past_key_values.0.${k}`, FLOAT, ['B', 2, 'P', 3]));
  return g.encode({
    inputs: [...(withPositions ? [valueInfo('position_ids', INT64, ['B', 'S'])] : []), ...past, valueInfo('x', FLOAT, ['B', 2, 'S', 3]), valueInfo('y', FLOAT, ['B', 2, 'S', 3])],
    outputs: [valueInfo('logits', FLOAT, ['B', 2, 'S', 3]), ...['key', 'value'].map((k) => valueInfo(`present.0.${k}`, FLOAT, ['B', 2, 'T', 3]))],
    producer: 'test',
  });
}

const scratch = tempDir('kv-slots');
after(() => scratch.cleanup());
let files = 0;
function onnxFile(bytes: Uint8Array) {
  const path = join(scratch.dir, `g${files++}.onnx`);
  writeFileSync(path, bytes);
  return readOnnxFile(path);
}

describe('slotted KV cache', () => {
  test('graph rewrite: Concat(past, new) graphs output the new part, present.* is gone; unknown graphs say why', async () => {
    const names = ['past_key_values.0.key', 'past_key_values.0.value'];
    const file = onnxFile(concatGraph());
    const r = slotGraph(file, names);
    assert.ok('outputs' in r, JSON.stringify(r));
    assert.deepEqual([...r.newOf.values()], [{ output: 'x', layout: 'BNSH' }, { output: 'y', layout: 'BNSH' }]);
    const s = await ort.InferenceSession.create(file.rewrite({ outputs: r.outputs }));
    assert.deepEqual([...s.outputNames].sort(), ['logits', 'x', 'y']);
    await s.release();
    assert.match((slotGraph(onnxFile(concatGraph(false)), names) as { reason: string }).reason, /position_ids/);
    assert.match((slotGraph(onnxFile(concatGraph()), ['past_key_values.0.key', 'past_key_values.1.key']) as { reason: string }).reason, /past_key_values\.1\.key/);
  });

  test('new columns land at the right slot from either layout', () => {
    const [B, H, D, S, cap, at] = [2, 3, 2, 2, 5, 1];
    // Value = b·1000 + h·100 + s·10 + d, in each layout.
    const bnsh = new Float32Array(B * H * S * D);
    const bsd = new Float32Array(B * S * H * D);
    for (let b = 0; b < B; b++) for (let h = 0; h < H; h++) for (let s = 0; s < S; s++) for (let d = 0; d < D; d++) {
      const v = b * 1000 + h * 100 + s * 10 + d;
      bnsh[((b * H + h) * S + s) * D + d] = v;
      bsd[((b * S + s) * H + h) * D + d] = v;
    }
    for (const [src, layout] of [[bnsh, 'BNSH'], [bsd, 'BSD']] as const) {
      const buf = new Float32Array(B * H * cap * D).fill(-1);
      writeColumns(buf, cap, src, layout, B, H, D, S, at);
      for (let b = 0; b < B; b++) for (let h = 0; h < H; h++) for (let c = 0; c < cap; c++) for (let d = 0; d < D; d++) {
        const got = buf[((b * H + h) * cap + c) * D + d];
        const want = c >= at && c < at + S ? b * 1000 + h * 100 + (c - at) * 10 + d : -1;
        assert.equal(got, want, `${layout} b${b} h${h} column ${c} d${d}`);
      }
    }
  });

  describe('on the tiny model', () => {
    let slotted: Decoder;
    let plain: Decoder;
    before(async () => {
      const dir = (await tinyModels())['tiny-m'];
      slotted = await Decoder.load(dir, { skipHash: true });
      plain = await Decoder.load(dir, { skipHash: true, slots: false });
    });
    after(async () => {
      await slotted.dispose();
      await plain.dispose();
    });

    test('model.onnx runs slotted; generation (slots reserved up front) equals the present-tensor path, ragged batches included', async () => {
      assert.equal(slotted.slotted, true, `plain because: ${slotted.plainReason}`);
      assert.equal(plain.slotted, false);
      // The weights stay in model.onnx: the rewritten graph refers to their bytes there instead of copying them.
      const file = join((await tinyModels())['tiny-m'], 'onnx', 'model.onnx');
      const f = readOnnxFile(file);
      const rewritten = f.rewrite({});
      assert.ok(rewritten.length * 10 < statSync(file).size, `${rewritten.length} bytes of graph for a ${statSync(file).size}-byte file`);
      const items = ['The', 'In a shocking finding, scientists discovered a herd of unicorns', 'Hello my name is'].map((prompt, index) => ({ index, prompt }));
      const n = SLOT_GROWTH + 20;
      for (const sampling of [{ ...DEFAULT_SAMPLING, temperature: 0 }, { ...DEFAULT_SAMPLING, topK: 40 }]) {
        const opts = { seed: 7, sampling: { ...sampling, maxNewTokens: n, minNewTokens: n }, batchSize: 3 };
        const [a, b] = [await generate(slotted, items, opts), await generate(plain, items, opts)];
        assert.deepEqual(a.map((s) => s.tokens), b.map((s) => s.tokens));
        assert.deepEqual(a.map((s) => s.ranks), b.map((s) => s.ranks));
        a.forEach((s, i) => s.logprobs.forEach((lp, t) => assert.ok(Math.abs(lp - b[i].logprobs[t]) < 1e-4, `${lp} vs ${b[i].logprobs[t]}`)));
      }
    });

    test('stepping past a slot growth, last-step logits agree with the plain path; a cache that was already continued is refused', async () => {
      const ids = [[464, 3290, 318], [15496, 616, 1438]];
      let [x, y] = [await slotted.forward(ids), await plain.forward(ids)];
      const firstCapacity = x.present!.slots!.capacity;
      for (let step = 0; step < SLOT_GROWTH + 3; step++) {
        const next = [[11], [13]];
        [x, y] = [await slotted.forward(next, { past: x.present }), await plain.forward(next, { past: y.present })];
      }
      assert.ok(x.present!.slots!.capacity > firstCapacity, 'the slots grew');
      let worst = 0;
      x.logits.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - y.logits[i]))));
      assert.ok(worst < 1e-4, `max |Δ logit| ${worst}`);
      const first = await slotted.forward(ids);
      await slotted.forward([[11], [13]], { past: first.present });
      await assert.rejects(slotted.forward([[12], [14]], { past: first.present }), /already continued/);
    });

    test('merged and float16 graphs run the plain way and say why', async () => {
      const dir = (await tinyModels()).tiny;
      const merged = await Decoder.load(dir, { skipHash: true, modelFileName: 'decoder_model_merged' });
      assert.equal(merged.slotted, false);
      assert.match(merged.plainReason!, /no recognised attention/);
      await merged.dispose();
    });
  });
});
