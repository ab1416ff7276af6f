// A KV cache that stays put between decoding steps.
//
// A GPT-2 graph returns `present.*` = concat(past, new) for every layer, and
// onnxruntime-node copies each of those tensors into a fresh, zeroed JS buffer
// on every step: memory traffic that grows with the whole context for a few new
// columns of data (figures in docs/architecture.md). So, when the graph allows
// it, the decoder runs a copy of the graph whose outputs are the *new* keys and
// values only (the tensors the graph concatenates onto the past), and keeps the
// cache itself in slot buffers of [batch, heads, capacity, head_dim], sized
// once for a generation run (or grown by half when stepped further). The past
// is fed at full capacity; columns not yet used are masked out by
// attention_mask (their weight is exactly 0, and their zero values add
// nothing), and position ids come from the mask, so the result is the same
// attention over the same keys.
//
// The attention still concatenates past and new into its own present buffer
// every step. It stays: dropping the node's present outputs makes onnxruntime's
// CPU kernel silently ignore the past, and attention from plain ops was not
// faster enough to keep a second path (measurements in docs/architecture.md).
//
// Recognised graphs (anything else runs the plain path):
// - com.microsoft MultiHeadAttention with past_key/past_value inputs: the new
//   key/value are its `key`/`value` inputs, [B, S, heads × head_dim];
// - a Concat of past_key_values.{i}.* and the new part, [B, heads, S, head_dim].
// Float32 caches only, position_ids required, no merged (If) graphs.
import { FLOAT, valueInfo, type ValueInfo } from '../onnx/graph.ts';
import type { OnnxFile } from '../onnx/rewrite.ts';


/** Unless a generation run reserved its length, slot capacities are whole multiples of this; a full cache grows by half (decoder.ts). */
export const SLOT_GROWTH = 32;

export interface NewKvOutput {
  /** The graph output holding this step's new key or value. */
  output: string;
  /** [B, S, heads·head_dim] (MultiHeadAttention input) or [B, heads, S, head_dim] (Concat input). */
  layout: 'BSD' | 'BNSH';
}

export interface SlotGraph {
  /** The graph's outputs for a slotted decoder: logits and the new keys and values (for OnnxFile.rewrite). */
  outputs: ValueInfo[];
  /** By past input name. */
  newOf: Map<string, NewKvOutput>;
}

/**
 * The graph with `present.*` outputs replaced by the new keys and values, or
 * null (with the reason) when the graph is not one this file recognises.
 */
export function slotGraph(file: OnnxFile, pastNames: string[]): SlotGraph | { reason: string } {
  const g = file.signature;
  const inputs = new Map(g.inputs.map((i) => [i.name, i]));
  if (!inputs.has('position_ids')) return { reason: 'no position_ids input' };
  for (const n of pastNames) {
    if (inputs.get(n)?.type?.tensorType?.elemType !== FLOAT) return { reason: `${n} is not float32` };
  }
  const newOf = new Map<string, NewKvOutput>();
  for (const node of g.nodes) {
    const ins = node.input ?? [];
    const outs = node.output ?? [];
    if (node.opType === 'MultiHeadAttention' && node.domain === 'com.microsoft' && ins.length >= 8) {
      const [pk, pv] = [ins[6], ins[7]];
      if (pastNames.includes(pk) && pastNames.includes(pv)) {
        newOf.set(pk, { output: ins[1], layout: 'BSD' });
        newOf.set(pv, { output: ins[2], layout: 'BSD' });
      }
    } else if (node.opType === 'Concat' && ins.length === 2 && pastNames.includes(ins[0]) && outs.length === 1) {
      newOf.set(ins[0], { output: ins[1], layout: 'BNSH' });
    }
  }
  const missing = pastNames.filter((n) => !newOf.has(n));
  if (missing.length) return { reason: `no recognised attention for ${missing[0]}` };
  const outputs = new Set(g.outputs.map((o) => o.name));
  const absent = pastNames.map((n) => n.replace(/^past_key_values\./, 'present.')).find((n) => !outputs.has(n));
  if (absent) return { reason: `no ${absent} output` };
  const logits = g.outputs.find((o) => o.name === 'logits');
  if (!logits) return { reason: 'no logits output' };
  const floatOut = (name: string) => valueInfo(name, FLOAT);
  const newOutputs = [...new Set([...newOf.values()].map((o) => o.output))].map(floatOut);
  return { outputs: [logits, ...newOutputs], newOf };
}

/** A slot cache: one [batch, heads, capacity, headDim] buffer per past input, the first `length` columns in use. */
export interface Slots {
  capacity: number;
  buffers: Map<string, Float32Array>;
  /** Columns written so far; a cache whose length differs was overtaken by a later step. */
  frontier: number;
}

/** Copies the used columns into buffers of a larger capacity. */
export function growSlots(slots: Slots, batch: number, heads: number, headDim: number, used: number, capacity: number): Slots {
  const buffers = new Map<string, Float32Array>();
  for (const [name, old] of slots.buffers) {
    const buf = new Float32Array(batch * heads * capacity * headDim);
    // Fault every page in now, in one sequential pass. Left to the steps, each
    // page is first mapped to the shared zero page (onnxruntime reads the whole
    // capacity) and then faulted again when its first column is written: that
    // cost ~3 ms a step at batch 16 and 96 columns (~140 ms over 48 tokens),
    // against one 40–90 ms pass here on this kind of VM.
    buf.fill(0);
    for (let bh = 0; bh < batch * heads; bh++) {
      buf.set(old.subarray(bh * slots.capacity * headDim, (bh * slots.capacity + used) * headDim), bh * capacity * headDim);
    }
    buffers.set(name, buf);
  }
  return { capacity, buffers, frontier: used };
}

/**
 * Writes S new columns (from a BSD or BNSH tensor) at column `at` of a slot
 * buffer. Plain loops: a subarray view per 64-float row cost ~5 ms a step at
 * batch 16 in allocations alone.
 */
export function writeColumns(buf: Float32Array, capacity: number, src: Float32Array, layout: 'BSD' | 'BNSH', batch: number, heads: number, headDim: number, seqLen: number, at: number): void {
  const run = seqLen * headDim;
  for (let b = 0; b < batch; b++) {
    for (let h = 0; h < heads; h++) {
      const dst = ((b * heads + h) * capacity + at) * headDim;
      if (layout === 'BNSH') {
        const from = (b * heads + h) * run;
        for (let i = 0; i < run; i++) buf[dst + i] = src[from + i];
      } else {
        for (let s = 0; s < seqLen; s++) {
          const from = ((b * seqLen + s) * heads + h) * headDim;
          const to = dst + s * headDim;
          for (let d = 0; d < headDim; d++) buf[to + d] = src[from + d];
        }
      }
    }
  }
}

/** The slots of the given batch rows only. */
export function selectSlotRows(slots: Slots, rows: number[], heads: number, headDim: number): Slots {
  const per = heads * slots.capacity * headDim;
  const buffers = new Map<string, Float32Array>();
  for (const [name, src] of slots.buffers) {
    const dst = new Float32Array(rows.length * per);
    rows.forEach((r, i) => dst.set(src.subarray(r * per, (r + 1) * per), i * per));
    buffers.set(name, dst);
  }
  return { capacity: slots.capacity, buffers, frontier: slots.frontier };
}

/**
 * Moves each row's kept columns (`kept[b]`, ascending) to the front of the
 * row, in place; the frontier becomes the longest row's count. Columns only
 * move towards the front, so none is overwritten before it is read.
 */
export function squeezeSlotColumns(slots: Slots, heads: number, headDim: number, kept: number[][]): void {
  for (const buf of slots.buffers.values()) {
    kept.forEach((cols, b) => {
      for (let h = 0; h < heads; h++) {
        const base = (b * heads + h) * slots.capacity;
        cols.forEach((c, i) => { if (c !== i) buf.copyWithin((base + i) * headDim, (base + c) * headDim, (base + c + 1) * headDim); });
      }
    });
  }
  slots.frontier = Math.max(0, ...kept.map((c) => c.length));
}
