// One text, one model directory, all its scores: what `credence detect` prints.
// The kind of detector comes from config.json model_type: roberta → the
// classifier, gpt2 → zero-shot statistics.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Decoder } from '../lm/decoder.ts';
import { DTYPE_SUFFIX, type Dtype } from '../lm/model-dir.ts';
import { loadRobertaDetector, type RobertaScore } from './roberta.ts';
import { createZeroShotScorer, type ZeroShotOptions, type ZeroShotScore } from './zero-shot.ts';

export type DetectorKind = 'roberta' | 'zero-shot';

export function detectorKind(dir: string): DetectorKind {
  const configPath = join(dir, 'config.json');
  const alt = join(dir, 'onnx', 'config.json');
  const path = existsSync(configPath) ? configPath : existsSync(alt) ? alt : null;
  if (!path) throw new Error(`${dir}: not a model directory (no config.json)`);
  let modelType: unknown;
  try {
    modelType = (JSON.parse(readFileSync(path, 'utf8')) as { model_type?: unknown }).model_type;
  } catch (err) {
    throw new Error(`${path}: ${(err as Error).message}`);
  }
  if (modelType === 'roberta') return 'roberta';
  if (modelType === 'gpt2') return 'zero-shot';
  throw new Error(`${path}: model_type "${String(modelType)}" is neither "roberta" (classifier) nor "gpt2" (zero-shot scorer)`);
}

export type DetectResult =
  | ({ detector: 'roberta'; model: string; model_hash: string } & RobertaScore)
  | ({ detector: 'zero-shot'; model: string; model_hash: string } & ZeroShotScore);

export async function detectText(dir: string, text: string, opts: ZeroShotOptions & { dtype?: Dtype } = {}): Promise<DetectResult> {
  if (detectorKind(dir) === 'roberta') {
    const det = await loadRobertaDetector(dir, opts.dtype ? { suffix: DTYPE_SUFFIX[opts.dtype] } : {});
    try {
      const [score] = await det.score([text]);
      return { detector: 'roberta', model: dir, model_hash: await det.modelHash(), ...score };
    } finally {
      await det.close();
    }
  }
  const decoder = await Decoder.load(dir, opts.dtype ? { dtype: opts.dtype } : {});
  try {
    const scorer = createZeroShotScorer(decoder);
    return { detector: 'zero-shot', model: dir, model_hash: scorer.modelHash, ...(await scorer.score(text, opts)) };
  } finally {
    await decoder.dispose();
  }
}
