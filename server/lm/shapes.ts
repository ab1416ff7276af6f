// GPT-2 architecture sizes: the real ones (for benchmarks and for naming what a
// tiny stand-in replaces) and the tiny ones the tests and the demo run on.
export interface Gpt2Shape {
  name: string;
  nLayer: number;
  nEmbd: number;
  nHead: number;
  nPositions: number;
  vocabSize: number;
  /** Real shapes write their weights to external *.onnx_data files. */
  real: boolean;
}

const V = 50257;
export const SHAPES: Record<string, Gpt2Shape> = {
  tiny: { name: 'tiny', nLayer: 2, nEmbd: 64, nHead: 4, nPositions: 1024, vocabSize: V, real: false },
  'tiny-m': { name: 'tiny-m', nLayer: 3, nEmbd: 96, nHead: 4, nPositions: 1024, vocabSize: V, real: false },
  'tiny-l': { name: 'tiny-l', nLayer: 4, nEmbd: 128, nHead: 4, nPositions: 1024, vocabSize: V, real: false },
  'tiny-xl': { name: 'tiny-xl', nLayer: 5, nEmbd: 160, nHead: 5, nPositions: 1024, vocabSize: V, real: false },
  gpt2: { name: 'gpt2', nLayer: 12, nEmbd: 768, nHead: 12, nPositions: 1024, vocabSize: V, real: true },
  distilgpt2: { name: 'distilgpt2', nLayer: 6, nEmbd: 768, nHead: 12, nPositions: 1024, vocabSize: V, real: true },
  'gpt2-medium': { name: 'gpt2-medium', nLayer: 24, nEmbd: 1024, nHead: 16, nPositions: 1024, vocabSize: V, real: true },
  'gpt2-large': { name: 'gpt2-large', nLayer: 36, nEmbd: 1280, nHead: 20, nPositions: 1024, vocabSize: V, real: true },
  'gpt2-xl': { name: 'gpt2-xl', nLayer: 48, nEmbd: 1600, nHead: 25, nPositions: 1024, vocabSize: V, real: true },
};

export const TINY_SHAPES = ['tiny', 'tiny-m', 'tiny-l', 'tiny-xl'] as const;

/** Which tiny model stands in for a real GPT-2 size when it is not installed. */
export const TINY_STAND_IN: Record<string, string> = {
  gpt2: 'tiny',
  distilgpt2: 'tiny',
  'gpt2-medium': 'tiny-m',
  'gpt2-large': 'tiny-l',
  'gpt2-xl': 'tiny-xl',
};

export function shapeByName(name: string): Gpt2Shape {
  const s = SHAPES[name];
  if (!s) throw new Error(`unknown model shape "${name}" (expected one of ${Object.keys(SHAPES).join(', ')})`);
  return s;
}

/** Parameter count of a shape, GPT-2 style (tied lm_head counted once). */
export function paramCount(s: Gpt2Shape): number {
  const d = s.nEmbd;
  const block = 2 * d + d * 3 * d + 3 * d + d * d + d + 2 * d + d * 4 * d + 4 * d + 4 * d * d + d;
  return s.vocabSize * d + s.nPositions * d + s.nLayer * block + 2 * d;
}
