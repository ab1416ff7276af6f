// Builds a RobertaForSequenceClassification with seeded random weights in the
// Hugging Face ONNX layout of onnx-community/roberta-*-openai-detector-ONNX
// (config.json, tokenizer.json, tokenizer_config.json, onnx/model.onnx), so
// tests and benchmarks run the real detector code path with no download.
// Architecture as in transformers' modeling_roberta: word + position (offset by
// padding_idx + 1, pads keep padding_idx) + token-type embeddings, LayerNorm,
// post-LN encoder layers with bidirectional attention under the padding mask
// and an erf-GELU feed-forward, and the classification head
// dense → tanh → out_proj on the <s> position.
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { createRng, deriveSeed, type Rng } from '../../studies/random.ts';
import { FLOAT, INT64, GraphBuilder, floatAttr, intAttr, valueInfo } from '../onnx/graph.ts';
import {
  BOS_ID,
  EOS_ID,
  PAD_ID,
  ROBERTA_VOCAB_SIZE,
  buildRobertaTokenizerJson,
  robertaTokenizerConfig,
} from './roberta-tokenizer-build.ts';

export type RobertaShape = 'tiny-roberta' | 'roberta-base';

export interface RobertaDims {
  hidden: number;
  layers: number;
  heads: number;
  intermediate: number;
}

export const ROBERTA_SHAPES: Record<RobertaShape, RobertaDims> = {
  'tiny-roberta': { hidden: 32, layers: 2, heads: 4, intermediate: 64 },
  'roberta-base': { hidden: 768, layers: 12, heads: 12, intermediate: 3072 },
};

const MAX_POSITIONS = 514;
const LN_EPS = 1e-5;

export interface BuildTinyRobertaOptions {
  outDir: string;
  seed: number;
  shape?: RobertaShape;
}

/** Uniform weights with the given standard deviation (speed of the model does not depend on the law). */
function randomWeights(rng: Rng, n: number, std: number): Float32Array {
  const a = std * Math.sqrt(3);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (rng.next() * 2 - 1) * a;
  return out;
}

function ones(n: number): Float32Array {
  return new Float32Array(n).fill(1);
}

function buildGraph(dims: RobertaDims, seed: number): Uint8Array {
  const { hidden: D, layers, heads, intermediate: F } = dims;
  const g = new GraphBuilder();
  const rnd = (name: string, shape: number[], std: number) =>
    g.weight(name, shape, randomWeights(createRng(deriveSeed(seed, name)), shape.reduce((a, b) => a * b, 1), std));
  const zerosW = (name: string, n: number) => g.weight(name, [n], new Float32Array(n));
  const lnorm = (x: string, prefix: string) =>
    g.op('LayerNormalization', [x, g.weight(`${prefix}.weight`, [D], ones(D)), zerosW(`${prefix}.bias`, D)], [
      intAttr('axis', -1),
      floatAttr('epsilon', LN_EPS),
    ]);
  // Bias init is small but non-zero so that a wrong bias wiring shows up in parity.
  const linear = (x: string, prefix: string, inDim: number, outDim: number, std: number) =>
    g.op('Add', [
      g.op('MatMul', [x, rnd(`${prefix}.weight`, [inDim, outDim], std)]),
      rnd(`${prefix}.bias`, [outDim], 0.02),
    ]);

  // Position ids as RoBERTa makes them: cumsum over non-pad tokens, offset by padding_idx.
  const padId = g.int64('pad_id', [], [PAD_ID]);
  const notPad = g.op('Cast', [g.op('Not', [g.op('Equal', ['input_ids', padId])])], [intAttr('to', INT64)]);
  const cumsum = g.op('CumSum', [notPad, g.int64('axis_1', [], [1])]);
  const positionIds = g.op('Add', [g.op('Mul', [cumsum, notPad]), padId]);

  const words = g.op('Gather', [rnd('embeddings.word_embeddings.weight', [ROBERTA_VOCAB_SIZE, D], 1), 'input_ids']);
  const positions = g.op('Gather', [rnd('embeddings.position_embeddings.weight', [MAX_POSITIONS, D], 1), positionIds]);
  // type_vocab_size is 1 and the exported graph takes no token_type_ids: row 0 is added everywhere.
  const tokenType = rnd('embeddings.token_type_embeddings.weight', [D], 0.5);
  let x = lnorm(g.op('Add', [g.op('Add', [words, positions]), tokenType]), 'embeddings.LayerNorm');

  const keyPadding = g.op('Cast', ['attention_mask'], [intAttr('to', 6 /* INT32 */)]);
  const std = 1 / Math.sqrt(D);
  for (let l = 0; l < layers; l++) {
    const p = `encoder.layer.${l}`;
    const q = linear(x, `${p}.attention.self.query`, D, D, std);
    const k = linear(x, `${p}.attention.self.key`, D, D, std);
    const v = linear(x, `${p}.attention.self.value`, D, D, std);
    const ctx = g.op('MultiHeadAttention', [q, k, v, '', keyPadding], [intAttr('num_heads', heads)], 'com.microsoft');
    const attn = linear(ctx, `${p}.attention.output.dense`, D, D, std);
    x = lnorm(g.op('Add', [attn, x]), `${p}.attention.output.LayerNorm`);
    const inter = g.op('Gelu', [linear(x, `${p}.intermediate.dense`, D, F, std)], [], 'com.microsoft');
    const out = linear(inter, `${p}.output.dense`, F, D, 1 / Math.sqrt(F));
    x = lnorm(g.op('Add', [out, x]), `${p}.output.LayerNorm`);
  }

  const cls = g.op('Gather', [x, g.int64('first_position', [], [0])], [intAttr('axis', 1)]);
  const pooled = g.op('Tanh', [linear(cls, 'classifier.dense', D, D, std)]);
  // out_proj keeps unit-variance logits so the random classifier spreads its probabilities (label-order tests need that).
  g.op('Add', [g.op('MatMul', [pooled, rnd('classifier.out_proj.weight', [D, 2], 1 / Math.sqrt(D))]), rnd('classifier.out_proj.bias', [2], 0.1)], [], undefined, 'logits');

  return g.encode({
    inputs: [valueInfo('input_ids', INT64, ['batch_size', 'sequence_length']), valueInfo('attention_mask', INT64, ['batch_size', 'sequence_length'])],
    outputs: [valueInfo('logits', FLOAT, ['batch_size', 2])],
    producer: 'credence roberta-build',
  });
}

export function robertaConfig(dims: RobertaDims, shape: RobertaShape, seed: number): Record<string, unknown> {
  return {
    _name_or_path: `credence/${shape}`,
    architectures: ['RobertaForSequenceClassification'],
    model_type: 'roberta',
    attention_probs_dropout_prob: 0.1,
    hidden_dropout_prob: 0.1,
    hidden_act: 'gelu',
    hidden_size: dims.hidden,
    num_hidden_layers: dims.layers,
    num_attention_heads: dims.heads,
    intermediate_size: dims.intermediate,
    initializer_range: 0.02,
    layer_norm_eps: LN_EPS,
    max_position_embeddings: MAX_POSITIONS,
    type_vocab_size: 1,
    vocab_size: ROBERTA_VOCAB_SIZE,
    pad_token_id: PAD_ID,
    bos_token_id: BOS_ID,
    eos_token_id: EOS_ID,
    id2label: { '0': 'Fake', '1': 'Real' },
    label2id: { Fake: 0, Real: 1 },
    problem_type: 'single_label_classification',
    credence: { random_weights: true, seed, shape, tokenizer: 'roberta-shaped (GPT-2 ids + 4), not the real RoBERTa ids' },
  };
}

/**
 * Writes a random-weight RoBERTa detector directory. Wired into
 * `credence models build-tiny --shape tiny-roberta` by the models command.
 */
export function buildTinyRoberta(opts: BuildTinyRobertaOptions): { outDir: string; shape: RobertaShape; bytes: number } {
  const shape = opts.shape ?? 'tiny-roberta';
  const dims = ROBERTA_SHAPES[shape];
  if (!dims) throw new Error(`unknown RoBERTa shape "${shape}" (expected ${Object.keys(ROBERTA_SHAPES).join(' or ')})`);
  const outDir = resolve(opts.outDir);
  // Built beside the target and renamed into place, so parallel builders never see half a directory.
  mkdirSync(dirname(outDir), { recursive: true });
  const tmp = join(dirname(outDir), `.${basename(outDir)}.building-${process.pid}-${Date.now()}`);
  mkdirSync(join(tmp, 'onnx'), { recursive: true });
  const model = buildGraph(dims, opts.seed);
  try {
    writeFileSync(join(tmp, 'onnx', 'model.onnx'), model);
    writeFileSync(join(tmp, 'config.json'), JSON.stringify(robertaConfig(dims, shape, opts.seed), null, 2) + '\n');
    writeFileSync(join(tmp, 'tokenizer.json'), JSON.stringify(buildRobertaTokenizerJson()));
    writeFileSync(join(tmp, 'tokenizer_config.json'), JSON.stringify(robertaTokenizerConfig(), null, 2) + '\n');
    if (existsSync(outDir)) rmSync(outDir, { recursive: true, force: true });
    renameSync(tmp, outDir);
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    const code = (err as NodeJS.ErrnoException).code;
    // Another process finished the same directory first: theirs is as good as ours.
    if (!(code === 'ENOTEMPTY' || code === 'EEXIST')) throw err;
  }
  return { outDir, shape, bytes: model.byteLength };
}

/** The tiny detector under `modelsDir`, built once (tests and the default /api/detect use it). */
export function ensureTinyRoberta(modelsDir = 'models', seed = 1234): string {
  const dir = resolve(join(modelsDir, 'tiny-roberta'));
  if (!existsSync(join(dir, 'onnx', 'model.onnx'))) buildTinyRoberta({ outDir: dir, seed });
  return dir;
}
