// `credence models build-tiny`: a complete model directory in the HF ONNX layout
// (config, generation config, GPT-2's real tokenizer, onnx/ graphs) with seeded
// random weights. Built in a temporary sibling directory and renamed into place,
// so a crash or a concurrent builder never leaves a half-written model behind.
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { SOFTWARE } from '../cli/version.ts';
import { BUILDER_VERSION, writeGpt2Onnx, type Variant } from './build-gpt2-onnx.ts';
import { shapeByName, type Gpt2Shape } from './shapes.ts';
import { buildGpt2TokenizerJson, GPT2_EOS_ID, GPT2_TOKENIZER_CONFIG } from './tokenizer.ts';

export interface BuildTinyOptions {
  shape: string;
  seed?: number;
  out?: string;
  variants?: Variant[];
  /** Weights in external *.onnx_data files (default: only for real shapes). */
  external?: boolean;
  /** Replace an existing directory. */
  force?: boolean;
  /** If another process finishes the same directory first, keep theirs (used by ensureTinyModels). */
  keepExisting?: boolean;
  onProgress?: (done: number, total: number) => void;
}

export const DEFAULT_BUILD_SEED = 1234;

export function gpt2Config(s: Gpt2Shape, seed: number): Record<string, unknown> {
  return {
    _name_or_path: s.name,
    activation_function: 'gelu_new',
    architectures: ['GPT2LMHeadModel'],
    attn_pdrop: 0.1,
    bos_token_id: GPT2_EOS_ID,
    embd_pdrop: 0.1,
    eos_token_id: GPT2_EOS_ID,
    initializer_range: 0.02,
    layer_norm_epsilon: 1e-5,
    model_type: 'gpt2',
    n_ctx: s.nPositions,
    n_embd: s.nEmbd,
    n_head: s.nHead,
    n_inner: null,
    n_layer: s.nLayer,
    n_positions: s.nPositions,
    resid_pdrop: 0.1,
    scale_attn_weights: true,
    tie_word_embeddings: true,
    use_cache: true,
    vocab_size: s.vocabSize,
    // Not read by transformers; records what this directory is.
    credence_build: { shape: s.name, seed, random_weights: true, builder: BUILDER_VERSION, software: SOFTWARE },
  };
}

/** Builds a model directory; returns its path. */
export function buildTinyModel(opts: BuildTinyOptions): string {
  const shape = shapeByName(opts.shape);
  const seed = opts.seed ?? DEFAULT_BUILD_SEED;
  const out = resolve(opts.out ?? join('models', shape.name));
  if (existsSync(out) && !opts.force && !opts.keepExisting) throw new Error(`${out} already exists (use --force to rebuild it)`);
  mkdirSync(dirname(out), { recursive: true });
  const tmp = join(dirname(out), `.${basename(out)}.building-${process.pid}-${Date.now()}`);
  mkdirSync(tmp, { recursive: true });
  try {
    const json = (name: string, value: unknown) => writeFileSync(join(tmp, name), JSON.stringify(value, null, 2) + '\n');
    json('config.json', gpt2Config(shape, seed));
    json('generation_config.json', { _from_model_config: true, bos_token_id: GPT2_EOS_ID, eos_token_id: GPT2_EOS_ID });
    json('tokenizer_config.json', GPT2_TOKENIZER_CONFIG);
    writeFileSync(join(tmp, 'tokenizer.json'), JSON.stringify(buildGpt2TokenizerJson()));
    writeGpt2Onnx({ shape, seed, outDir: tmp, external: opts.external ?? shape.real, variants: opts.variants, onProgress: opts.onProgress });
    if (existsSync(out) && opts.force) rmSync(out, { recursive: true, force: true });
    renameSync(tmp, out);
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    // Someone else finished the same model first: theirs is as good as ours.
    if ((err as NodeJS.ErrnoException).code === 'ENOTEMPTY' || (err as NodeJS.ErrnoException).code === 'EEXIST') return out;
    throw err;
  }
  return out;
}
