// The classifier rewrite that runs the last layer's row-wise work on the first
// positions only (server/detectors/first-token-graph.ts): same logits as the
// exported graph, and it leaves alone what it does not recognise.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { buildTinyRoberta } from '../../server/detectors/roberta-build.ts';
import { classifierModel, firstTokenGraph } from '../../server/detectors/first-token-graph.ts';
import { FLOAT, GraphBuilder, intAttr, valueInfo } from '../../server/detectors/onnx-graph.ts';
import { readOnnxFile } from '../../server/lm/onnx-rewrite.ts';

let root: string;
before(() => { root = mkdtempSync(join(tmpdir(), 'credence-first-token-')); });
after(() => rmSync(root, { recursive: true, force: true }));

describe('first-token classifier graph', () => {
  test('RoBERTa-shaped: the last layer runs on two rows, logits as the exported graph, padding included', async () => {
    const dir = join(root, 'tiny-roberta');
    buildTinyRoberta({ outDir: dir, seed: 11 });
    const file = join(dir, 'onnx', 'model.onnx');
    const m = classifierModel(file);
    // Query, output projection and the two feed-forward products of the last layer.
    assert.deepEqual(m.firstToken, { rowMatMuls: 4 });
    const [B, S] = [3, 20];
    const ids = BigInt64Array.from({ length: B * S }, (_, i) => BigInt(4 + ((i * 7919) % 50000)));
    const mask = BigInt64Array.from({ length: B * S }, (_, i) => (i % S < S - 4 * (Math.floor(i / S)) ? 1n : 0n));
    for (let b = 0; b < B; b++) for (let j = 0; j < S; j++) if (!mask[b * S + j]) ids[b * S + j] = 1n; // <pad>
    const feeds = { input_ids: new ort.Tensor('int64', ids, [B, S]), attention_mask: new ort.Tensor('int64', mask, [B, S]) };
    const exported = await ort.InferenceSession.create(file);
    const rewritten = await ort.InferenceSession.create(m.source as Uint8Array, m.options);
    const [a, b] = [(await exported.run(feeds)).logits.data as Float32Array, (await rewritten.run(feeds)).logits.data as Float32Array];
    await exported.release();
    await rewritten.release();
    assert.equal(a.length, B * 2);
    for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) < 1e-5, `logit ${i}: ${a[i]} vs ${b[i]}`);
  });

  test('left alone: no position-0 head, or nothing row-wise between the last mixing op and it', () => {
    const write = (name: string, g: GraphBuilder, outputs: Record<string, unknown>[]) => {
      const path = join(root, name);
      writeFileSync(path, g.encode({ inputs: [valueInfo('x', FLOAT, ['B', 'S', 4])], outputs, producer: 'test' }));
      return readOnnxFile(path);
    };
    const plain = new GraphBuilder();
    plain.op('Identity', ['x'], [], undefined, 'y');
    assert.match((firstTokenGraph(write('plain.onnx', plain, [valueInfo('y', FLOAT, ['B', 'S', 4])])) as { reason: string }).reason, /no Gather of position 0/);
    // Softmax over the sequence mixes positions: nothing before the head may move.
    const mixing = new GraphBuilder();
    const s = mixing.op('Softmax', ['x'], [intAttr('axis', 1)]);
    mixing.op('Gather', [s, mixing.int64('zero', [], [0])], [intAttr('axis', 1)], undefined, 'y');
    assert.match((firstTokenGraph(write('mixing.onnx', mixing, [valueInfo('y', FLOAT, ['B', 4])])) as { reason: string }).reason, /row by row/);
    // A causal attention's queries are not independent rows.
    const causal = new GraphBuilder();
    const w = causal.weight('w', [4, 4], new Float32Array(16).fill(0.1));
    const q = causal.op('MatMul', ['x', w]);
    const att = causal.op('MultiHeadAttention', [q, 'x', 'x'], [intAttr('num_heads', 1), intAttr('unidirectional', 1)], 'com.microsoft');
    causal.op('Gather', [att, causal.int64('zero', [], [0])], [intAttr('axis', 1)], undefined, 'y');
    assert.match((firstTokenGraph(write('causal.onnx', causal, [valueInfo('y', FLOAT, ['B', 4])])) as { reason: string }).reason, /row by row/);
  });
});
