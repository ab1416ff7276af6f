// The low-level forward pass over a GPT-2 ONNX decoder: one onnxruntime session,
// inputs named and typed from the session's own metadata (position_ids and
// use_cache_branch optional, float16 KV caches), past/present KV handling, and
// attention mask / position ids for left- or right-padded batches.
// Generation (generate.ts) and the detectors' scoring both build on this.
// When the graph allows it the cache lives in slot buffers between steps
// instead of travelling through present.* tensors (kv-slots.ts).
import os from 'node:os';
import ort from 'onnxruntime-node';
import type { Dtype } from '../models/model-dir.ts';
import { loadGpt2Dir, type Gpt2Config, type Gpt2Dir } from './gpt2-dir.ts';
import type { LmTokenizer } from './tokenizer.ts';
import { externalDataFolder, readOnnxFile } from '../onnx/rewrite.ts';
import { growSlots, squeezeSlotColumns, selectSlotRows, SLOT_GROWTH, slotGraph, writeColumns, type NewKvOutput, type Slots } from './kv-slots.ts';
import { LSE_OUTPUT, lastRowOutputs, TOP_INDICES, TOP_K_INPUT, TOP_VALUES } from './last-row-outputs.ts';
import type { TopEntries } from './sampling.ts';

export interface DecoderLoadOptions {
  dtype?: Dtype;
  /** `model` (default when present) or `decoder_model_merged`. */
  modelFileName?: string;
  /** Intra-op threads; default: all cores. */
  threads?: number;
  /** Let ORT's worker threads spin between ops (faster on an idle machine, wasteful on a busy one). Default true. */
  spin?: boolean;
  skipHash?: boolean;
  /** Keep the KV cache in slot buffers when the graph allows it (kv-slots.ts). Default true. */
  slots?: boolean;
  /** Let steps return each row's top entries instead of its logits (last-row-outputs.ts). Default true. */
  topEntries?: boolean;
}

/** The key/value cache after some tokens: what `present.*` returned, ready to feed as `past_key_values.*`. */
export interface KvCache {
  batch: number;
  /** Past sequence length (columns of `mask`). */
  length: number;
  /** Attention mask of the past, row-major [batch, length], 1 = real token. */
  mask: BigInt64Array;
  /** By input name (`past_key_values.{i}.key|value`); empty when the cache lives in `slots`. */
  tensors: Map<string, ort.Tensor>;
  /** The slot buffers of a slotted decoder (kv-slots.ts); undefined before the first step. */
  slots?: Slots;
}

export interface ForwardResult {
  /** Row-major [B, S, V] float32 (converted if the model outputs float16). */
  logits: Float32Array;
  dims: [number, number, number];
  /** The cache to continue from; null when asked for logits only. */
  present: KvCache | null;
}

/** What generation asks of a step (`Decoder.step`). */
export interface StepOptions {
  /**
   * The sequence length the caller will reach (prompt + new tokens), so slot
   * buffers are sized once instead of growing (no copies, no garbage).
   */
  reserve?: number;
  /**
   * Return each row's `top` largest last-position entries instead of the
   * logits, which then stay inside onnxruntime (needs `Decoder.topK`).
   */
  top?: number;
}

export interface StepResult {
  /** As ForwardResult's; null when `top` was asked. */
  logits: Float32Array | null;
  dims: [number, number, number];
  /** Per row, when `top` was asked. */
  top: TopEntries[] | null;
  /** [B]: log Σ exp of each row's last-position logits (last-row-outputs.ts). */
  lse: Float32Array;
  present: KvCache;
}

/** step's and forward's common result: the cache and lse only when the cache is kept. */
type RunResult = Omit<StepResult, 'lse' | 'present'> & { lse: Float32Array | null; present: KvCache | null };

export interface ForwardOptions {
  /** Per-token mask for `inputIds` (same ragged shape), 1 = real. Default: 1 for every given id, 0 for padding. */
  attentionMask?: number[][];
  past?: KvCache | null;
  /** Where ragged rows are padded. Default right (scoring); generation pads left. */
  padSide?: 'left' | 'right';
  padTokenId?: number;
  /**
   * Return the KV cache (default true). Scoring needs only logits: without the
   * cache onnxruntime hands back one tensor instead of 2 × n_layer more
   * (37 MB for 512 tokens of GPT-2 124M), each copied into a fresh JS buffer.
   */
  cache?: boolean;
}

const PAST_RE = /^past_key_values\.(\d+)\.(key|value)$/;

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

function toFloat32(t: ort.Tensor): Float32Array {
  if (t.type === 'float32') return t.data as Float32Array;
  if (t.type === 'float16') {
    const src = t.data as unknown as ArrayLike<number>;
    const out = new Float32Array(src.length);
    // Uint16Array bit patterns, or a native Float16Array of values.
    if (src instanceof Uint16Array) for (let i = 0; i < src.length; i++) out[i] = halfToFloat(src[i]);
    else for (let i = 0; i < src.length; i++) out[i] = src[i];
    return out;
  }
  throw new Error(`logits have type ${t.type}, expected float32 or float16`);
}

interface LoadPlan {
  /** The rewritten graph, its weights read from the model's files. */
  bytes: Uint8Array;
  slots: { newOf: Map<string, NewKvOutput> } | { reason: string };
}

/**
 * What the decoder's session runs: the graph with the log-sum-exp and the top
 * entries of each sequence's last logits as more outputs
 * (last-row-outputs.ts) and, where it applies, the slot graph's outputs
 * (kv-slots.ts).
 */
function planLoad(model: Gpt2Dir, opts: DecoderLoadOptions): LoadPlan {
  const file = readOnnxFile(model.onnxPath);
  const pastNames = [...Array(model.config.nLayer).keys()].flatMap((i) => [`past_key_values.${i}.key`, `past_key_values.${i}.value`]);
  const slots = opts.slots === false ? { reason: 'slots disabled' } : slotGraph(file, pastNames);
  const last = lastRowOutputs(file, opts.topEntries !== false);
  const bytes = file.rewrite({
    outputs: [...('outputs' in slots ? slots.outputs : file.signature.outputs), ...last.outputs],
    addNodes: last.nodes,
    addInitializers: last.initializers,
    addInputs: last.inputs,
  });
  return { bytes, slots };
}

/** The masks and positions of one step. */
interface StepMasks {
  /** [batch, past + seqLen]: the cache's mask after this step. */
  fullMask: BigInt64Array;
  /** [batch, fedPast + seqLen]: what the graph is fed (slotted: the unused capacity too, masked out). */
  fedMask: BigInt64Array;
  fedPast: number;
  /** [batch, seqLen]: real tokens before each position; padding gets 1, as HF does. */
  positions: BigInt64Array;
}

function stepMasks(cache: KvCache, mask: BigInt64Array, batch: number, seqLen: number): StepMasks {
  const pastLen = cache.length;
  const total = pastLen + seqLen;
  // Columns fed as past: the used ones, then (slotted) the unused rest of the capacity, masked out.
  const fedPast = cache.slots?.capacity ?? pastLen;
  const fedTotal = fedPast + seqLen;
  const fullMask = new BigInt64Array(batch * total);
  // The plain path feeds exactly the used columns: one array serves as both.
  const fedMask = fedTotal === total ? fullMask : new BigInt64Array(batch * fedTotal);
  const positions = new BigInt64Array(batch * seqLen);
  for (let b = 0; b < batch; b++) {
    const pastRow = cache.mask.subarray(b * pastLen, (b + 1) * pastLen);
    fullMask.set(pastRow, b * total);
    if (fedMask !== fullMask) fedMask.set(pastRow, b * fedTotal);
    let seen = 0;
    for (let j = 0; j < pastLen; j++) if (pastRow[j] !== 0n) seen++;
    for (let j = 0; j < seqLen; j++) {
      const m = mask[b * seqLen + j];
      fullMask[b * total + pastLen + j] = m;
      fedMask[b * fedTotal + fedPast + j] = m;
      if (m) { positions[b * seqLen + j] = BigInt(seen); seen++; } else positions[b * seqLen + j] = 1n;
    }
  }
  return { fullMask, fedMask, fedPast, positions };
}

/** Per row, the columns of the cache its mask lets attention read, in order. */
function unmaskedColumns(cache: KvCache): number[][] {
  const len = cache.length;
  return Array.from({ length: cache.batch }, (_, b) => {
    const cols: number[] = [];
    for (let j = 0; j < len; j++) if (cache.mask[b * len + j] !== 0n) cols.push(j);
    return cols;
  });
}

/** Each row's top entries (values and vocabulary ids) from the graph's TopK outputs. */
function topRows(out: ort.InferenceSession.OnnxValueMapType, batch: number, topK: number): TopEntries[] {
  const values = out[TOP_VALUES].data as Float32Array;
  const ids = out[TOP_INDICES].data as BigInt64Array;
  return Array.from({ length: batch }, (_, b) => ({ values: values.subarray(b * topK, (b + 1) * topK), ids: ids.subarray(b * topK, (b + 1) * topK) }));
}

export class Decoder {
  readonly model: Gpt2Dir;
  readonly config: Gpt2Config;
  readonly tokenizer: LmTokenizer;
  readonly vocabSize: number;
  readonly eosTokenId: number;
  readonly hasPositionIds: boolean;
  readonly hasCacheBranch: boolean;
  readonly kvType: 'float32' | 'float16';
  /** Past input names in layer order, and the output each is fed from. */
  readonly pastNames: string[];
  private readonly presentOf: Map<string, string>;
  private session: ort.InferenceSession;
  private logitsChecked = false;
  /** Set when the session runs the slot graph: each past input's new-key/value output. */
  private readonly newOf: Map<string, NewKvOutput> | null;
  /** Why the cache travels through present.* tensors (the graph was not recognised), or null when slotted. */
  readonly plainReason: string | null;
  /** Whether a step can return each row's top entries instead of its logits (StepOptions.top). */
  readonly topK: boolean;
  /**
   * What a step fetches (every output is copied into a fresh JS buffer, so
   * only what is read): with the logits, or with the top entries instead.
   */
  private readonly fetchLogits: string[];
  private readonly fetchTop: string[];

  private constructor(model: Gpt2Dir, session: ort.InferenceSession, slots: LoadPlan['slots']) {
    this.model = model;
    this.config = model.config;
    this.tokenizer = model.tokenizer;
    this.vocabSize = model.config.vocabSize;
    this.eosTokenId = model.config.eosTokenId;
    this.session = session;
    const names = session.inputNames;
    const where = model.onnxPath;
    for (const required of ['input_ids', 'attention_mask']) {
      if (!names.includes(required)) throw new Error(`${where}: the graph has no "${required}" input (inputs: ${names.join(', ')})`);
    }
    if (!session.outputNames.includes('logits')) throw new Error(`${where}: the graph has no "logits" output`);
    this.hasPositionIds = names.includes('position_ids');
    this.hasCacheBranch = names.includes('use_cache_branch');
    this.pastNames = names.filter((n) => PAST_RE.test(n)).sort((a, b) => {
      const [, la, ka] = PAST_RE.exec(a)!; const [, lb, kb] = PAST_RE.exec(b)!;
      return Number(la) - Number(lb) || ka.localeCompare(kb);
    });
    if (this.pastNames.length !== 2 * this.config.nLayer) {
      throw new Error(`${where}: expected ${2 * this.config.nLayer} past_key_values inputs for n_layer ${this.config.nLayer}, found ${this.pastNames.length} (a decoder without KV cache is not supported)`);
    }
    this.presentOf = new Map(this.pastNames.map((n) => [n, n.replace(PAST_RE, 'present.$1.$2')]));
    this.newOf = 'newOf' in slots ? slots.newOf : null;
    this.plainReason = 'reason' in slots ? slots.reason : null;
    this.topK = names.includes(TOP_K_INPUT);
    this.fetchLogits = session.outputNames.filter((n) => n !== TOP_VALUES && n !== TOP_INDICES);
    this.fetchTop = session.outputNames.filter((n) => n !== 'logits');
    const cacheOutputs = this.newOf ? [...this.newOf.values()].map((o) => o.output) : [...this.presentOf.values()];
    for (const out of cacheOutputs) if (!session.outputNames.includes(out)) throw new Error(`${where}: the graph has no "${out}" output`);
    const meta = session.inputMetadata.find((m) => m.name === this.pastNames[0]);
    this.kvType = meta && meta.isTensor && meta.type === 'float16' ? 'float16' : 'float32';
    const logitsMeta = session.outputMetadata.find((m) => m.name === 'logits');
    const v = logitsMeta && logitsMeta.isTensor ? logitsMeta.shape[logitsMeta.shape.length - 1] : undefined;
    if (typeof v === 'number' && v !== this.vocabSize) {
      throw new Error(`${where}: logits have ${v} entries per token but ${model.configDir}/config.json says vocab_size ${this.vocabSize}`);
    }
  }

  static async load(dir: string, opts: DecoderLoadOptions = {}): Promise<Decoder> {
    const model = await loadGpt2Dir(dir, { dtype: opts.dtype, modelFileName: opts.modelFileName, skipHash: opts.skipHash });
    const plan = planLoad(model, opts);
    let session: ort.InferenceSession;
    try {
      const options: ort.InferenceSession.SessionOptions = {
        graphOptimizationLevel: 'all',
        intraOpNumThreads: opts.threads ?? os.availableParallelism(),
        interOpNumThreads: 1,
        executionMode: 'sequential',
        enableCpuMemArena: true,
        enableMemPattern: true,
        extra: {
          session: {
            intra_op: { allow_spinning: opts.spin === false ? '0' : '1' },
            ...externalDataFolder(model.onnxPath),
          },
        },
      };
      session = await ort.InferenceSession.create(plan.bytes, options);
    } catch (err) {
      throw new Error(`${model.onnxPath}: onnxruntime could not load the model (${(err as Error).message})`);
    }
    return new Decoder(model, session, plan.slots);
  }

  /** An empty cache for `batch` rows (past length 0). */
  emptyCache(batch: number): KvCache {
    const tensors = new Map<string, ort.Tensor>();
    if (this.newOf) return { batch, length: 0, mask: new BigInt64Array(0), tensors };
    const dims = [batch, this.config.nHead, 0, this.config.headDim];
    for (const n of this.pastNames) {
      tensors.set(n, this.kvType === 'float16' ? new ort.Tensor('float16', new Uint16Array(0), dims) : new ort.Tensor('float32', new Float32Array(0), dims));
    }
    return { batch, length: 0, mask: new BigInt64Array(0), tensors };
  }

  /**
   * One generation step on a rectangular batch (forward's arguments): the
   * last-position statistics and the cache to continue from.
   */
  async step(ids: BigInt64Array, batch: number, seqLen: number, mask: BigInt64Array, past: KvCache | null, opts: StepOptions = {}): Promise<StepResult> {
    const r = await this.run(ids, batch, seqLen, mask, past, true, opts);
    return { ...r, lse: r.lse!, present: r.present! };
  }

  /**
   * One forward pass on a rectangular batch. `ids` and `mask` are row-major
   * [batch, seqLen]; the past mask is prepended, and position ids count the
   * real tokens before each position (cumsum(mask) − 1; padding gets 1, as HF does).
   */
  private async run(ids: BigInt64Array, batch: number, seqLen: number, mask: BigInt64Array, past: KvCache | null, keepCache: boolean, opts: StepOptions): Promise<RunResult> {
    const cache = past ?? this.emptyCache(batch);
    this.checkContinuation(cache, batch, seqLen);
    const topK = Math.min(opts.top ?? 0, this.vocabSize);
    if (topK > 0 && !this.topK) throw new Error(`${this.model.onnxPath}: this decoder returns no top entries (loaded with topEntries: false, or the graph's opset is below 11)`);
    const m = stepMasks(cache, mask, batch, seqLen);
    const out = await this.session.run(this.feeds(ids, batch, seqLen, m, cache, topK), !keepCache ? ['logits'] : topK > 0 ? this.fetchTop : this.fetchLogits);
    const { logits, top } = topK > 0 ? { logits: null, top: topRows(out, batch, topK) } : { logits: this.logitsOf(out.logits), top: null };
    const dims: [number, number, number] = [batch, seqLen, this.vocabSize];
    if (!keepCache) return { logits, top, dims, lse: null, present: null };
    const lse = out[LSE_OUTPUT].data as Float32Array;
    const present = this.newOf
      ? this.keepInSlots(cache, out, batch, seqLen, m.fullMask, opts.reserve ?? 0)
      : this.keepPresent(out, batch, cache.length + seqLen, m.fullMask);
    return { logits, top, lse, dims, present };
  }

  /** Refuses a step the cache cannot take: other rows, past the model's positions, or a cache a later step continued. */
  private checkContinuation(cache: KvCache, batch: number, seqLen: number): void {
    if (cache.batch !== batch) throw new Error(`past cache has ${cache.batch} rows, input has ${batch}`);
    const total = cache.length + seqLen;
    if (total > this.config.nPositions) throw new Error(`sequence of ${total} tokens exceeds n_positions ${this.config.nPositions} of ${this.model.name}`);
    if (cache.slots && cache.slots.frontier !== cache.length) {
      throw new Error('this KV cache was already continued by a later step; continue from the newest cache');
    }
  }

  /** The session's inputs for one step, named and typed as the graph wants them. */
  private feeds(ids: BigInt64Array, batch: number, seqLen: number, m: StepMasks, cache: KvCache, topK: number): Record<string, ort.Tensor> {
    const feeds: Record<string, ort.Tensor> = {
      input_ids: new ort.Tensor('int64', ids, [batch, seqLen]),
      attention_mask: new ort.Tensor('int64', m.fedMask, [batch, m.fedPast + seqLen]),
    };
    if (this.hasPositionIds) feeds.position_ids = new ort.Tensor('int64', m.positions, [batch, seqLen]);
    if (this.hasCacheBranch) feeds.use_cache_branch = new ort.Tensor('bool', [cache.length > 0], [1]);
    if (this.topK) feeds[TOP_K_INPUT] = new ort.Tensor('int64', [BigInt(Math.max(1, topK))], [1]);
    const { nHead, headDim } = this.config;
    for (const n of this.pastNames) {
      feeds[n] = this.newOf
        ? new ort.Tensor('float32', cache.slots?.buffers.get(n) ?? new Float32Array(0), [batch, nHead, m.fedPast, headDim])
        : cache.tensors.get(n)!;
    }
    return feeds;
  }

  /** The logits as float32, their vocabulary size checked against config.json once. */
  private logitsOf(t: ort.Tensor): Float32Array {
    if (!this.logitsChecked) {
      const v = (t.dims as number[])[2];
      if (v !== this.vocabSize) {
        throw new Error(`${this.model.onnxPath}: logits have ${v} entries per token but ${this.model.configDir}/config.json says vocab_size ${this.vocabSize}`);
      }
      this.logitsChecked = true;
    }
    return toFloat32(t);
  }

  /** The new keys and values written into the slot buffers (grown first when full). */
  private keepInSlots(cache: KvCache, out: ort.InferenceSession.OnnxValueMapType, batch: number, seqLen: number, fullMask: BigInt64Array, reserve: number): KvCache {
    const { nHead, headDim } = this.config;
    const pastLen = cache.length;
    const total = pastLen + seqLen;
    let slots = cache.slots;
    if (!slots || total > slots.capacity) {
      const empty: Slots = { capacity: 0, frontier: 0, buffers: new Map(this.pastNames.map((n) => [n, new Float32Array(0)])) };
      slots = growSlots(slots ?? empty, batch, nHead, headDim, pastLen, this.slotCapacity(total, slots?.capacity ?? 0, reserve));
    }
    for (const [n, o] of this.newOf!) {
      writeColumns(slots.buffers.get(n)!, slots.capacity, out[o.output].data as Float32Array, o.layout, batch, nHead, headDim, seqLen, pastLen);
    }
    slots.frontier = total;
    return { batch, length: total, mask: fullMask, tensors: new Map(), slots };
  }

  /**
   * Columns for a slot cache that must hold `total`: what the caller reserved,
   * else half as much again (whole SLOT_GROWTH steps, so a long stepped
   * sequence copies its cache O(log n) times); never more columns than the
   * graph's positions allow next step.
   */
  private slotCapacity(total: number, capacity: number, reserve: number): number {
    const grown = Math.max(total + 1, Math.ceil(1.5 * capacity));
    const wanted = Math.max(reserve, Math.ceil(grown / SLOT_GROWTH) * SLOT_GROWTH);
    return Math.max(total, Math.min(wanted, this.config.nPositions - 1));
  }

  /** The cache as the graph's present.* tensors (a graph kv-slots.ts does not recognise). */
  private keepPresent(out: ort.InferenceSession.OnnxValueMapType, batch: number, total: number, fullMask: BigInt64Array): KvCache {
    const tensors = new Map<string, ort.Tensor>();
    for (const [n, o] of this.presentOf) tensors.set(n, out[o]);
    return { batch, length: total, mask: fullMask, tensors };
  }

  /**
   * Forward pass on ragged token rows, padded to a rectangle (right by default).
   * With `past`, the new tokens continue each row of the cache.
   */
  async forward(inputIds: number[][], opts: ForwardOptions = {}): Promise<ForwardResult> {
    const batch = inputIds.length;
    if (batch === 0) throw new Error('forward: empty batch');
    const seqLen = Math.max(...inputIds.map((r) => r.length));
    if (seqLen === 0) throw new Error('forward: every row is empty');
    const pad = BigInt(opts.padTokenId ?? this.eosTokenId);
    const ids = new BigInt64Array(batch * seqLen).fill(pad);
    const mask = new BigInt64Array(batch * seqLen);
    for (let b = 0; b < batch; b++) {
      const row = inputIds[b];
      const off = opts.padSide === 'left' ? seqLen - row.length : 0;
      for (let j = 0; j < row.length; j++) {
        const t = row[j];
        if (!Number.isInteger(t) || t < 0 || t >= this.vocabSize) throw new Error(`forward: token id ${t} at row ${b}, position ${j} is outside the vocabulary (0..${this.vocabSize - 1})`);
        ids[b * seqLen + off + j] = BigInt(t);
        mask[b * seqLen + off + j] = opts.attentionMask ? BigInt(opts.attentionMask[b][j] ? 1 : 0) : 1n;
      }
    }
    const r = await this.run(ids, batch, seqLen, mask, opts.past ?? null, opts.cache !== false, {});
    return { logits: r.logits!, dims: r.dims, present: r.present };
  }

  /** A cache keeping only the given rows (to drop finished samples from a batch). */
  selectRows(cache: KvCache, rows: number[]): KvCache {
    const len = cache.length;
    const mask = new BigInt64Array(rows.length * len);
    rows.forEach((r, i) => mask.set(cache.mask.subarray(r * len, (r + 1) * len), i * len));
    if (cache.slots) {
      const slots = selectSlotRows(cache.slots, rows, this.config.nHead, this.config.headDim);
      return { batch: rows.length, length: len, mask, tensors: new Map(), slots };
    }
    const tensors = new Map<string, ort.Tensor>();
    for (const [n, t] of cache.tensors) {
      const [, nh, l, hd] = t.dims as number[];
      const per = nh * l * hd;
      const src = t.data as Float32Array | Uint16Array;
      const dst = new (src.constructor as Float32ArrayConstructor | Uint16ArrayConstructor)(rows.length * per);
      rows.forEach((r, i) => dst.set(src.subarray(r * per, (r + 1) * per), i * per));
      tensors.set(n, new ort.Tensor(t.type as 'float32', dst as Float32Array, [rows.length, nh, l, hd]));
    }
    return { batch: rows.length, length: len, mask, tensors };
  }

  /** The cache with the given rows' columns masked out: a new sample takes each of those rows (generation's refilling). */
  forgetRows(cache: KvCache, rows: number[]): KvCache {
    const mask = cache.mask.slice();
    for (const r of rows) mask.fill(0n, r * cache.length, (r + 1) * cache.length);
    return { ...cache, mask };
  }

  /**
   * Puts the rows of `from` (the cache of prompts prefilled on their own) into
   * rows `at` of `cache`, replacing what those rows held: each row's unmasked
   * columns go to the front of its new row, in order, the rest of the row is
   * masked out. The cache lengthens (masked columns for the other rows) if a
   * placed row is longer than it.
   */
  placeRows(cache: KvCache, at: number[], from: KvCache): KvCache {
    if (at.length !== from.batch) throw new Error(`placeRows: ${from.batch} rows to place, ${at.length} places`);
    if (Boolean(cache.slots) !== Boolean(from.slots)) throw new Error('placeRows: the caches are of different kinds');
    const cols = unmaskedColumns(from);
    const len = Math.max(cache.length, ...cols.map((c) => c.length));
    const { nHead, headDim } = this.config;
    const mask = new BigInt64Array(cache.batch * len);
    for (let b = 0; b < cache.batch; b++) mask.set(cache.mask.subarray(b * cache.length, (b + 1) * cache.length), b * len);
    at.forEach((r, i) => { mask.fill(0n, r * len, (r + 1) * len); mask.fill(1n, r * len, r * len + cols[i].length); });
    if (cache.slots && from.slots) {
      let slots = cache.slots;
      if (len > slots.capacity) slots = growSlots(slots, cache.batch, nHead, headDim, cache.length, this.slotCapacity(len, slots.capacity, 0));
      for (const [n, dst] of slots.buffers) {
        const src = from.slots.buffers.get(n)!;
        at.forEach((r, i) => {
          for (let h = 0; h < nHead; h++) {
            const fromBase = (i * nHead + h) * from.slots!.capacity;
            const toBase = (r * nHead + h) * slots.capacity;
            cols[i].forEach((c, j) => dst.set(src.subarray((fromBase + c) * headDim, (fromBase + c + 1) * headDim), (toBase + j) * headDim));
          }
        });
      }
      slots.frontier = len;
      return { batch: cache.batch, length: len, mask, tensors: new Map(), slots };
    }
    const tensors = new Map<string, ort.Tensor>();
    for (const [n, t] of cache.tensors) {
      const old = t.data as Float32Array | Uint16Array;
      const src = from.tensors.get(n)!.data as Float32Array | Uint16Array;
      const dst = new (old.constructor as Float32ArrayConstructor | Uint16ArrayConstructor)(cache.batch * nHead * len * headDim);
      for (let bh = 0; bh < cache.batch * nHead; bh++) dst.set(old.subarray(bh * cache.length * headDim, (bh + 1) * cache.length * headDim), bh * len * headDim);
      at.forEach((r, i) => {
        for (let h = 0; h < nHead; h++) {
          const fromBase = (i * nHead + h) * from.length;
          const toBase = (r * nHead + h) * len;
          cols[i].forEach((c, j) => dst.set(src.subarray((fromBase + c) * headDim, (fromBase + c + 1) * headDim), (toBase + j) * headDim));
        }
      });
      tensors.set(n, new ort.Tensor(t.type as 'float32', dst as Float32Array, [cache.batch, nHead, len, headDim]));
    }
    return { batch: cache.batch, length: len, mask, tensors };
  }

  /**
   * Room for `seqLen` more columns. Refilling leaves columns masked out: those
   * of samples that ended and were replaced, and the padding of rows that
   * continued through a step in which a longer prompt joined. When the slot
   * buffers would otherwise grow (or, on the plain path, when the masked
   * columns are half the cache or the positions run out), each row's unmasked
   * columns are moved to the front of the row, in order, and the cache
   * shortens to the longest row's. Attention reads keys through the mask and
   * position ids count unmasked columns, so a row's result does not depend on
   * where its columns sit.
   */
  makeRoom(cache: KvCache, seqLen: number): KvCache {
    const len = cache.length;
    const kept = unmaskedColumns(cache);
    const keep = Math.max(0, ...kept.map((c) => c.length));
    if (keep === len) return cache;
    const worth = cache.slots ? len + seqLen > cache.slots.capacity : 2 * keep <= len || len + seqLen > this.config.nPositions;
    if (!worth) return cache;
    const mask = new BigInt64Array(cache.batch * keep);
    kept.forEach((cols, b) => mask.fill(1n, b * keep, b * keep + cols.length));
    const { nHead, headDim } = this.config;
    if (cache.slots) {
      squeezeSlotColumns(cache.slots, nHead, headDim, kept);
      return { batch: cache.batch, length: keep, mask, tensors: new Map(), slots: cache.slots };
    }
    const tensors = new Map<string, ort.Tensor>();
    for (const [n, t] of cache.tensors) {
      const src = t.data as Float32Array | Uint16Array;
      const dst = new (src.constructor as Float32ArrayConstructor | Uint16ArrayConstructor)(cache.batch * nHead * keep * headDim);
      kept.forEach((cols, b) => {
        for (let h = 0; h < nHead; h++) {
          const from = (b * nHead + h) * len;
          const to = (b * nHead + h) * keep;
          cols.forEach((c, i) => dst.set(src.subarray((from + c) * headDim, (from + c + 1) * headDim), (to + i) * headDim));
        }
      });
      tensors.set(n, new ort.Tensor(t.type as 'float32', dst as Float32Array, [cache.batch, nHead, keep, headDim]));
    }
    return { batch: cache.batch, length: keep, mask, tensors };
  }

  /** Whether the KV cache lives in slot buffers (kv-slots.ts) rather than in the graph's present tensors. */
  get slotted(): boolean {
    return this.newOf !== null;
  }

  async dispose(): Promise<void> {
    await this.session.release();
  }
}
