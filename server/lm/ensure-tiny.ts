// The tiny models that tests and the demo run on, built once and cached under
// models/. Each is built atomically (see build-tiny.ts), so parallel test files
// may call this at the same time.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { buildTinyModel } from './build-tiny.ts';
import { TINY_SHAPES } from './shapes.ts';

/** Paths of all tiny model directories, building those that are missing. */
export async function ensureTinyModels(modelsDir = 'models', shapes: readonly string[] = TINY_SHAPES): Promise<string[]> {
  const out: string[] = [];
  for (const shape of shapes) {
    const dir = resolve(join(modelsDir, shape));
    if (!existsSync(join(dir, 'onnx', 'model.onnx'))) buildTinyModel({ shape, out: dir, keepExisting: true });
    out.push(dir);
  }
  return out;
}
