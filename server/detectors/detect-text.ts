// One text, one model directory, all its scores: what `credence detect` prints.
// The detector is the registry's one that reads the directory's config.json
// model_type: roberta → the classifier, gpt2 → zero-shot statistics.
import { join } from 'node:path';
import { configDirOf, readJson, type Dtype } from '../models/model-dir.ts';
import type { DetectorScore } from './detector.ts';
import { detectorForModelType } from './registry.ts';
import type { ZeroShotOptions } from './zero-shot.ts';

export type DetectResult = { detector: string; model: string; model_hash: string } & DetectorScore;

export async function detectText(dir: string, text: string, opts: ZeroShotOptions & { dtype?: Dtype } = {}): Promise<DetectResult> {
  const configDir = configDirOf(dir);
  if (!configDir) throw new Error(`${dir}: not a model directory (no config.json)`);
  const { dtype, ...zeroShot } = opts;
  const configPath = join(configDir, 'config.json');
  const detector = detectorForModelType(String(readJson(configPath).model_type ?? ''), configPath);
  const det = await detector.load({ dir, ...(dtype ? { dtype } : {}), zeroShot });
  try {
    const [score] = await det.score([{ id: 'text', text }]);
    return { detector: detector.name, model: dir, model_hash: await det.modelHash(), ...score };
  } finally {
    await det.close();
  }
}
