// Shared fixtures for the LM tests: the cached tiny models and temp dirs.
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ensureTinyModels } from '../../server/lm/ensure-tiny.ts';

export const REPO = fileURLToPath(new URL('../../', import.meta.url));
export const MODELS = join(REPO, 'models');

/** Paths of tiny, tiny-m, tiny-l, tiny-xl (built once, cached under models/). */
export async function tinyModels(): Promise<Record<'tiny' | 'tiny-m' | 'tiny-l' | 'tiny-xl', string>> {
  const [tiny, m, l, xl] = await ensureTinyModels(MODELS);
  return { tiny, 'tiny-m': m, 'tiny-l': l, 'tiny-xl': xl };
}

/** log Σ exp of a row, max-shifted: the reference the decoder graph's log-sum-exp output is checked against. */
export function logSumExp(row: Float32Array): number {
  let max = -Infinity;
  for (let i = 0; i < row.length; i++) if (row[i] > max) max = row[i];
  let sum = 0;
  for (let i = 0; i < row.length; i++) sum += Math.exp(row[i] - max);
  return max + Math.log(sum);
}

export function tempDir(prefix: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(os.tmpdir(), `credence-lm-${prefix}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A copy of a model directory to break in a test. */
export function copyModel(src: string, dest: string): string {
  cpSync(src, dest, { recursive: true });
  return dest;
}

/** Runs the credence CLI in a child process (async, so servers in this process keep serving). */
export function runCli(args: string[], opts: { cwd?: string } = {}): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(REPO, 'server/cli/main.ts'), ...args], { cwd: opts.cwd ?? REPO });
    let stdout = '', stderr = '';
    child.stdout.on('data', (b) => { stdout += b; });
    child.stderr.on('data', (b) => { stderr += b; });
    child.on('error', reject);
    child.on('close', (status) => resolveRun({ status, stdout, stderr }));
  });
}
