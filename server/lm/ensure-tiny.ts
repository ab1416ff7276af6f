// The tiny models that tests and the demo run on, built once and cached under
// models/. Each is built atomically (see build-tiny.ts), so parallel test files
// may call this at the same time. A cache built by an older builder is rebuilt.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { BUILDER_VERSION } from './build-gpt2-onnx.ts';
import { buildTinyModel, DEFAULT_BUILD_SEED } from './build-tiny.ts';
import { TINY_SHAPES } from './shapes.ts';

function current(dir: string, shape: string): boolean {
  if (!existsSync(join(dir, 'onnx', 'model.onnx'))) return false;
  try {
    const b = (JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as { credence_build?: { builder?: number; shape?: string; seed?: number } }).credence_build;
    return b?.builder === BUILDER_VERSION && b.shape === shape && b.seed === DEFAULT_BUILD_SEED;
  } catch {
    return false;
  }
}

/** Paths of all tiny model directories, building those that are missing or stale. */
export async function ensureTinyModels(modelsDir = 'models', shapes: readonly string[] = TINY_SHAPES): Promise<string[]> {
  const out: string[] = [];
  for (const shape of shapes) {
    const dir = resolve(join(modelsDir, shape));
    if (!current(dir, shape)) {
      const stale = existsSync(dir);
      buildTinyModel({ shape, out: dir, force: stale, keepExisting: !stale });
    }
    out.push(dir);
  }
  return out;
}
