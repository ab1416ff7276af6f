// `credence models build-tiny | pull | list`: make, download and inspect model
// directories in the Hugging Face ONNX layout.
import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import cliProgress from 'cli-progress';
import { buildTinyModel, DEFAULT_BUILD_SEED } from '../lm/build-tiny.ts';
import { DTYPES, type Dtype } from '../models/model-dir.ts';
import { formatBytes, listModels } from '../models/list.ts';
import { HF_BASE_URL, PULLABLE, pullModel } from '../models/pull.ts';
import { SHAPES } from '../lm/shapes.ts';
import { buildTinyRoberta, ROBERTA_SHAPES, type RobertaShape } from '../detectors/roberta-build.ts';

import { UsageError } from './usage.ts';
import { modelsOption, seedOption } from './options.ts';

export function registerModels(program: Command): void {
  const models = program.command('models').description('Build, download and list model directories (Hugging Face ONNX layout)');

  models
    .command('build-tiny')
    .description('Build a GPT-2-architecture model with seeded random weights (tiny shapes for tests, real shapes for benchmarks)')
    .option('--shape <shape>', `one of ${[...Object.keys(SHAPES), ...Object.keys(ROBERTA_SHAPES)].join(', ')}`, 'tiny')
    .addOption(seedOption('weight seed', DEFAULT_BUILD_SEED))
    .option('--out <dir>', 'output directory (default models/<shape>)')
    .option('--force', 'replace an existing directory')
    .action((o: { shape: string; seed: number; out?: string; force?: boolean }) => {
      const robertaShape = o.shape in ROBERTA_SHAPES;
      if (!SHAPES[o.shape] && !robertaShape) {
        throw new UsageError(`unknown shape "${o.shape}" (expected one of ${[...Object.keys(SHAPES), ...Object.keys(ROBERTA_SHAPES)].join(', ')})`);
      }
      const seed = o.seed;
      if (robertaShape) {
        // The RoBERTa-architecture detector (sequence classifier) for the detector tests and benchmarks.
        const out = o.out ?? join('models', o.shape);
        if (existsSync(out) && !o.force) throw new UsageError(`${out} exists (use --force to replace it)`);
        const built = buildTinyRoberta({ outDir: out, seed, shape: o.shape as RobertaShape });
        console.log(built.outDir);
        return;
      }
      const bar = new cliProgress.SingleBar({ format: `building ${o.shape} [{bar}] {value}/{total} tensor groups`, stream: process.stderr }, cliProgress.Presets.shades_classic);
      const t0 = Date.now();
      try {
        let started = false;
        const dir = buildTinyModel({
          shape: o.shape, seed, out: o.out, force: o.force,
          onProgress: (done, total) => { if (!started) { bar.start(total, 0); started = true; } bar.update(done); },
        });
        bar.stop();
        console.log(dir);
        console.error(`built ${o.shape} (seed ${seed}) in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      } finally {
        bar.stop();
      }
    });

  models
    .command('pull')
    .description('DOWNLOAD a model from Hugging Face into models/<name> (the only command that uses the network)')
    .argument('<name>', Object.keys(PULLABLE).join(' | '))
    .option('--dtype <dtype>', `one of ${DTYPES.join(', ')}`, 'fp32')
    .option('--base-url <url>', 'Hugging Face mirror', HF_BASE_URL)
    .addOption(modelsOption())
    .action(async (name: string, o: { dtype: string; baseUrl: string; models: string }) => {
      if (!PULLABLE[name]) throw new UsageError(`unknown model "${name}" (pullable: ${Object.keys(PULLABLE).join(', ')})`);
      if (!DTYPES.includes(o.dtype as Dtype)) throw new UsageError(`unknown dtype "${o.dtype}" (expected one of ${DTYPES.join(', ')})`);
      console.error(`Downloading ${PULLABLE[name].repo} (${o.dtype}) from ${o.baseUrl} into ${o.models}/${name}`);
      const bars = new cliProgress.MultiBar({
        format: '{file} [{bar}] {percentage}% {got}/{size}', stream: process.stderr, hideCursor: true, clearOnComplete: false,
      }, cliProgress.Presets.shades_classic);
      const current = new Map<string, cliProgress.SingleBar>();
      try {
        const res = await pullModel({
          name, dtype: o.dtype as Dtype, baseUrl: o.baseUrl, modelsDir: o.models,
          onFile: (file, state) => { if (state === 'present') console.error(`${file}: already complete`); else if (state === 'resume') console.error(`${file}: resuming`); },
          onProgress: ({ file, received, total }) => {
            let b = current.get(file);
            if (!b) { b = bars.create(Math.max(total, 1), 0, { file, got: formatBytes(received), size: total >= 0 ? formatBytes(total) : '?' }); current.set(file, b); }
            b.update(Math.min(received, Math.max(total, 1)), { got: formatBytes(received) });
          },
        });
        bars.stop();
        console.log(res.dir);
        for (const f of res.files) console.error(`  ${f.path}  ${formatBytes(f.bytes)}`);
      } finally {
        bars.stop();
      }
    });

  models
    .command('list')
    .description('Show installed models with size and dtypes')
    .addOption(modelsOption())
    .option('--json', 'machine-readable output')
    .action((o: { models: string; json?: boolean }) => {
      const all = listModels(o.models);
      if (o.json) { console.log(JSON.stringify(all, null, 2)); return; }
      if (all.length === 0) { console.log(`no models under ${o.models} (credence models build-tiny, or credence models pull gpt2)`); return; }
      const rows = all.map((m) => [m.name, m.modelType, m.origin === 'built' ? 'built (random weights)' : 'downloaded', m.dtypes.join(',') || '-', formatBytes(m.bytes), m.partial.length ? `partial: ${m.partial.join(', ')}` : '']);
      const head = ['name', 'type', 'origin', 'dtypes', 'size', ''];
      const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
      for (const r of [head, ...rows]) console.log(r.map((c, i) => c.padEnd(w[i])).join('  ').trimEnd());
    });
}
