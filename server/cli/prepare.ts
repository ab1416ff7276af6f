// `credence prepare STUDY`: generate the study's machine-written stimuli,
// resumably (see server/lm/prepare.ts).
import type { Command } from 'commander';
import cliProgress from 'cli-progress';
import { batchOption, dbOption, modelsOption, substituteTinyOption } from './options.ts';
import { prepareStudy } from '../lm/prepare.ts';
import { defaultDataDir } from '../store/open.ts';

export function registerPrepare(program: Command): void {
  program
    .command('prepare')
    .description("Fill the study's generated pools with samples from the GPT-2 models (resumable)")
    .argument('<study>', 'study id or protocol file')
    .addOption(dbOption('database (a SQLite file: stimuli go to <its folder>/stimuli/; postgres://…: to data/stimuli/)'))
    .addOption(modelsOption())
    .addOption(substituteTinyOption())
    .option('--force', 'regenerate pools whose samples came from a different pool spec')
    .addOption(batchOption())
    .action(async (study: string, o: { db: string; models: string; substituteTiny?: boolean; force?: boolean; batch: number }) => {
      const bars = new cliProgress.MultiBar({ format: '{name} [{bar}] {value}/{total} samples | {tokens} tokens', stream: process.stderr, hideCursor: true }, cliProgress.Presets.shades_classic);
      const current = new Map<string, cliProgress.SingleBar>();
      const t0 = Date.now();
      try {
        const res = await prepareStudy(study, {
          dataDir: defaultDataDir(o.db), modelsDir: o.models, substituteTiny: o.substituteTiny, force: o.force, batchSize: o.batch,
          onProgress: ({ pool, done, total, tokens }) => {
            let b = current.get(pool);
            if (!b) { b = bars.create(total, done, { name: pool, tokens }); current.set(pool, b); }
            b.update(done, { tokens });
          },
        });
        bars.stop();
        for (const r of res) {
          console.log(`${r.pool}: ${r.existing} existing, ${r.generated} generated with ${r.model}${r.standsInFor ? ` (standing in for ${r.standsInFor})` : ''}, ${r.replaced} replaced by the next seeded draw (U+FFFD, control or unprintable characters) → ${r.file}`);
        }
        console.error(`prepared in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      } finally {
        bars.stop();
      }
    });
}
