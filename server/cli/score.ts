// `credence score STUDY` stores detector scores for every stimulus of a study
// (resumable); `credence detect --model DIR (--text T | --file F)` prints the
// scores of one text as JSON.
import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Command } from 'commander';
import { loadStudy } from '../../studies/load.ts';
import { parsePositiveInt } from './usage.ts';
import { materializePools } from '../stimuli/index.ts';
import { describeDb, openStore } from '../store/open.ts';
import { DETECTORS, parseDetectors, scoreStudy } from '../detectors/score-study.ts';
import { detectText } from '../detectors/detect-text.ts';
import { decodeUtf8, DetectorInputError } from '../detectors/text-input.ts';
import { DTYPES, type Dtype } from '../models/model-dir.ts';
import { dbOption, modelsOption, substituteTinyOption } from './options.ts';
import { ensureTinyModels } from '../lm/ensure-tiny.ts';
import { ensureTinyRoberta } from '../detectors/roberta-build.ts';
import { TINY_STAND_IN } from '../lm/shapes.ts';

interface ScoreOptions {
  detectors: string;
  scorer?: string;
  detector?: string;
  tfidfModel?: string;
  db: string;
  dataDir: string;
  studiesDir?: string;
  maxTokens?: string;
  workers?: string;
  dtype?: string;
  force?: boolean;
  substituteTiny?: boolean;
  models: string;
}

interface DetectOptions {
  model: string;
  text?: string;
  file?: string;
  tokens?: boolean;
  maxTokens?: string;
  dtype?: string;
}

function dtypeOf(value: string | undefined): Dtype | undefined {
  if (value === undefined) return undefined;
  if (!(DTYPES as string[]).includes(value)) throw new DetectorInputError(`--dtype: expected one of ${DTYPES.join(', ')}, got "${value}"`);
  return value as Dtype;
}

function positiveInt(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  return parsePositiveInt(value, flag);
}

/** Warn when a directory holds one of the random-weight stand-ins: its scores mean nothing about real text. */
function warnIfRandom(dir: string): void {
  try {
    const cfg = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
    const marker = JSON.stringify(cfg.credence ?? cfg.credence_build ?? '');
    if (/random/i.test(marker)) console.error(`note: ${dir} has random weights (a test stand-in); its scores say nothing about real text`);
  } catch {
    // The loader reports unreadable configs with the file name.
  }
}

export function registerScore(program: Command): void {
  program
    .command('score')
    .description('Score every stimulus of a study with detectors and store the scores (skips stimuli already scored by the same model)')
    .argument('<study>', 'study id or protocol file')
    .option('--detectors <list>', `comma-separated: ${DETECTORS.join(', ')}`, DETECTORS.join(','))
    .option('--scorer <dir>', 'GPT-2 model directory for zero-shot scores (default $CREDENCE_SCORER or models/gpt2)')
    .option('--detector <dir>', 'RoBERTa detector directory (default $CREDENCE_DETECTOR or models/tiny-roberta)')
    .option('--tfidf-model <file>', 'trained TF-IDF model JSON (default: k-fold cross-fitting on the study stimuli)')
    .addOption(dbOption())
    .option('--data-dir <dir>', 'where prepared stimuli live', 'data')
    .option('--studies-dir <dir>', 'where study protocols live')
    .option('--max-tokens <n>', 'zero-shot: score at most this many tokens per text (default 4096)')
    .option('--workers <n>', 'sessions scoring side by side, the cores shared among them (default 1; 2 is often faster on 2–4 cores, each holds a copy of the weights)')
    .option('--dtype <dtype>', `which ONNX file to run (${DTYPES.join(', ')}; default: the most precise present)`)
    .option('--force', 're-score stimuli that already have scores')
    .addOption(substituteTinyOption('score with the tiny stand-ins (tiny GPT-2, tiny RoBERTa) when the --scorer or --detector directory is not installed'))
    .addOption(modelsOption())
    .action(async (studyArg: string, o: ScoreOptions) => {
      let store;
      try {
        const detectors = parseDetectors(o.detectors);
        const maxTokens = positiveInt(o.maxTokens, '--max-tokens');
        const workers = positiveInt(o.workers, '--workers');
        const dtype = dtypeOf(o.dtype);
        const loaded = loadStudy(studyArg, o.studiesDir ? { studiesDir: o.studiesDir } : {});
        const stimuli = materializePools(loaded, { dataDir: o.dataDir });
        let detectorDir = o.detector ?? process.env.CREDENCE_DETECTOR ?? 'models/tiny-roberta';
        let scorerDir = o.scorer ?? process.env.CREDENCE_SCORER ?? 'models/gpt2';
        if (detectors.includes('roberta')) {
          if (!existsSync(detectorDir) && o.substituteTiny) {
            const missing = detectorDir;
            detectorDir = ensureTinyRoberta(o.models);
            console.error(`note: roberta: ${missing} is not installed; scoring with the tiny stand-in ${detectorDir} (--substitute-tiny)`);
          }
          if (!existsSync(detectorDir)) throw new Error(`roberta: detector directory ${detectorDir} does not exist (give --detector DIR, or --substitute-tiny to use the tiny stand-in)`);
          warnIfRandom(detectorDir);
        }
        if (detectors.includes('zero-shot')) {
          if (!existsSync(scorerDir) && o.substituteTiny) {
            // As prepare does: the tiny model with the missing size's place (gpt2-medium → tiny-m), else the smallest.
            const missing = scorerDir;
            [scorerDir] = await ensureTinyModels(o.models, [TINY_STAND_IN[basename(missing)] ?? 'tiny']);
            console.error(`note: zero-shot: ${missing} is not installed; scoring with the tiny stand-in ${scorerDir} (--substitute-tiny)`);
          }
          if (!existsSync(scorerDir)) throw new Error(`zero-shot: scoring model directory ${scorerDir} does not exist (give --scorer DIR, or --substitute-tiny to use the tiny stand-in)`);
          warnIfRandom(scorerDir);
        }
        store = await openStore({ db: o.db });
        const studyId = loaded.protocol.id;
        const summary = await scoreStudy({
          studyId,
          stimuli: stimuli.map((s) => ({ id: s.id, text: s.text, source: s.label.source, pool: s.pool })),
          lexicons: loaded.protocol.lexicons,
          store,
          detectors,
          detectorDir,
          scorerDir,
          tfidfModelFile: o.tfidfModel,
          zeroShot: maxTokens ? { maxTokens } : {},
          force: o.force,
          workers,
          dtype,
          onProgress: (d, done, total) => {
            if (process.stderr.isTTY) process.stderr.write(`\r${d}: ${done}/${total}   `);
          },
        });
        if (process.stderr.isTTY) process.stderr.write('\n');
        console.log(`${studyId}: ${stimuli.length} stimuli  (database ${describeDb(o.db)})`);
        for (const [d, s] of Object.entries(summary)) {
          console.log(`  ${d.padEnd(9)} model ${s.modelHash.slice(0, 16)}  scored ${s.scored}  skipped ${s.skipped} (already scored)  rows ${s.rows}`);
        }
      } finally {
        await store?.close();
      }
    });

  program
    .command('detect')
    .description('Print the scores of one text as JSON (roberta model dir → classifier, gpt2 model dir → zero-shot statistics)')
    .requiredOption('--model <dir>', 'model directory (config.json model_type roberta or gpt2)')
    .option('--text <text>', 'the text')
    .option('--file <file>', 'a UTF-8 file holding the text')
    .option('--tokens', 'zero-shot: include per-token {token, rank, logprob} (GLTR overlay)')
    .option('--max-tokens <n>', 'zero-shot: score at most this many tokens (default 4096)')
    .option('--dtype <dtype>', `which ONNX file to run (${DTYPES.join(', ')}; default: the most precise present)`)
    .action(async (o: DetectOptions) => {
      if ((o.text === undefined) === (o.file === undefined)) throw new DetectorInputError('give exactly one of --text T or --file F');
      let text: string;
      if (o.file !== undefined) {
        let bytes: Buffer;
        try {
          bytes = readFileSync(o.file);
        } catch (err) {
          throw new DetectorInputError(`${o.file}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
        }
        text = decodeUtf8(bytes, o.file);
      } else text = o.text!;
      const maxTokens = positiveInt(o.maxTokens, '--max-tokens');
      const dtype = dtypeOf(o.dtype);
      const result = await detectText(o.model, text, { keepTokens: o.tokens, ...(maxTokens ? { maxTokens } : {}), ...(dtype ? { dtype } : {}) });
      console.log(JSON.stringify(result, null, 2));
    });
}
