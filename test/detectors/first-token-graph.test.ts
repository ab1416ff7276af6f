// The classifier rewrite that runs the last layer's row-wise work on the first
// positions only (server/detectors/first-token-graph.ts): same logits as the
// exported graph, and it leaves alone what it does not recognise.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { buildTinyRoberta } from '../../server/detectors/roberta-build.ts';
import { classifierModel, firstTokenGraph } from '../../server/detectors/first-token-graph.ts';
import { loadRobertaDetector } from '../../server/detectors/roberta.ts';
import { FLOAT, INT64, GraphBuilder, intAttr, intsAttr, valueInfo, type ValueInfo } from '../../server/onnx/graph.ts';
import { readOnnxFile } from '../../server/onnx/rewrite.ts';

let root: string;
before(() => {
  root = mkdtempSync(join(tmpdir(), 'credence-first-token-'));
  buildTinyRoberta({ outDir: join(root, 'tiny-roberta'), seed: 11 });
});
after(() => rmSync(root, { recursive: true, force: true }));

describe('first-token classifier graph', () => {
  test('RoBERTa-shaped: the last layer runs on two rows, logits as the exported graph, padding included', async () => {
    const file = join(root, 'tiny-roberta', 'onnx', 'model.onnx');
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
    const write = (name: string, g: GraphBuilder, outputs: ValueInfo[]) => {
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

  test('a rewrite whose shapes do not work out is caught by a first run at load, and the exported graph is used', async () => {
    // Position-wise in form, but one addend is a per-sequence mean ([B, 1, D]): it has no second row.
    const dir = join(root, 'odd-classifier');
    cpSync(join(root, 'tiny-roberta'), dir, { recursive: true });
    const D = 8;
    const g = new GraphBuilder();
    const emb = g.weight('emb', [50265, D], Float32Array.from({ length: 50265 * D }, (_, i) => Math.sin(i)));
    const x = g.op('Gather', [emb, 'input_ids'], [intAttr('axis', 0)]);
    const h = g.op('MatMul', [x, g.weight('w1', [D, D], Float32Array.from({ length: D * D }, (_, i) => Math.cos(i)))]);
    const mean = g.op('ReduceMean', [x], [intsAttr('axes', [1]), intAttr('keepdims', 1)]);
    const y = g.op('Add', [h, mean]);
    const cls = g.op('Gather', [y, g.int64('zero', [], [0])], [intAttr('axis', 1)]);
    g.op('MatMul', [cls, g.weight('w2', [D, 2], Float32Array.from({ length: D * 2 }, (_, i) => i / 10))], [], undefined, 'logits');
    writeFileSync(join(dir, 'onnx', 'model.onnx'), g.encode({
      inputs: [valueInfo('input_ids', INT64, ['B', 'S']), valueInfo('attention_mask', INT64, ['B', 'S'])],
      outputs: [valueInfo('logits', FLOAT, ['B', 2])],
      producer: 'test',
    }));
    assert.deepEqual(classifierModel(join(dir, 'onnx', 'model.onnx')).firstToken, { rowMatMuls: 1 });
    const det = await loadRobertaDetector(dir);
    try {
      assert.match((det.firstToken as { reason: string }).reason, /failed a first run/);
      const [s] = await det.score(['A text to classify.']);
      assert.ok(s.real_probability > 0 && s.real_probability < 1);
    } finally {
      await det.close();
    }
  });
});
