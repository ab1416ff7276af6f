// What is installed under models/: each directory with a config.json (at its
// root or in onnx/), its model type, which dtypes its graphs provide, and size.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { configDirOf, dtypesOf, readJson, type Dtype } from './model-dir.ts';

export interface InstalledModel {
  name: string;
  dir: string;
  modelType: string;
  /** `built` by build-tiny (random weights) or `downloaded`. */
  origin: 'built' | 'downloaded';
  dtypes: Dtype[];
  graphs: string[];
  bytes: number;
  /** Partial downloads left behind (`*.part`). */
  partial: string[];
}

function dirBytes(dir: string, partial: string[], prefix = ''): number {
  let total = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) total += dirBytes(p, partial, `${prefix}${e.name}/`);
    else {
      total += statSync(p).size;
      if (e.name.endsWith('.part')) partial.push(`${prefix}${e.name}`);
    }
  }
  return total;
}

export function listModels(modelsDir = 'models'): InstalledModel[] {
  const root = resolve(modelsDir);
  if (!existsSync(root)) return [];
  const out: InstalledModel[] = [];
  for (const e of readdirSync(root, { withFileTypes: true })) {
    if (!e.isDirectory() || e.name.startsWith('.')) continue;
    const dir = join(root, e.name);
    const configDir = configDirOf(dir);
    if (!configDir) continue;
    let cfg: Record<string, unknown> = {};
    try { cfg = readJson(join(configDir, 'config.json')); } catch { /* listed as unknown */ }
    const graphs = existsSync(join(dir, 'onnx')) ? readdirSync(join(dir, 'onnx')).filter((f) => f.endsWith('.onnx')).sort() : [];
    const dtypes = dtypesOf(graphs);
    const partial: string[] = [];
    const bytes = dirBytes(dir, partial);
    out.push({
      name: e.name, dir,
      modelType: typeof cfg.model_type === 'string' ? cfg.model_type : 'unknown',
      origin: cfg.credence_build ? 'built' : 'downloaded',
      dtypes, graphs, bytes, partial,
    });
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let v = n / 1000, i = 0;
  while (v >= 1000 && i < units.length - 1) { v /= 1000; i++; }
  return `${v.toFixed(v < 10 ? 2 : v < 100 ? 1 : 0)} ${units[i]}`;
}
