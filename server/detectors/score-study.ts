// Scores every stimulus of a study with the chosen detectors and stores one
// row per (stimulus, detector, model hash, metric). Resumable: a stimulus that
// already has rows for the same detector and model hash is skipped, and rows
// are committed batch by batch, so an interrupted run continues where it stopped.
//
// TF-IDF has no pretrained model: without --tfidf-model it is cross-fitted on
// the study's own labelled stimuli (k-fold; each stimulus scored by a model
// that never saw it), and its model hash covers the texts, labels and options,
// so changing the pool re-scores it.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import type { DetectorScoreRow } from '../../analysis/rows.ts';
import type { Store } from '../store/store.ts';
import { Decoder } from '../lm/decoder.ts';
import { DTYPE_SUFFIX, type Dtype } from '../lm/model-dir.ts';
import { loadRobertaDetector } from './roberta.ts';
import { cleanText, DetectorInputError } from './text-input.ts';
import { createZeroShotScorer, createZeroShotWorkers, zeroShotMetrics, type ZeroShotOptions, type ZeroShotWorkers } from './zero-shot.ts';
import { kFoldEvaluate, predict, tfidfModelHash, type TfidfModel, type TfidfOptions } from './tfidf.ts';

export const DETECTORS = ['roberta', 'zero-shot', 'tfidf'] as const;
export type DetectorName = (typeof DETECTORS)[number];

export interface ScoredStimulus {
  id: string;
  text: string;
  /** 'human' | 'machine' (from the stimulus label); TF-IDF needs it. */
  source: string;
}

export interface ScoreStudyOptions {
  studyId: string;
  stimuli: ScoredStimulus[];
  store: Store;
  detectors: DetectorName[];
  /** RoBERTa detector directory. */
  detectorDir?: string;
  /** GPT-2 directory for the zero-shot scores. */
  scorerDir?: string;
  /** A trained TF-IDF model (JSON from trainTfidf); default: k-fold cross-fitting on the study. */
  tfidfModelFile?: string;
  tfidfFolds?: number;
  tfidfOptions?: Partial<TfidfOptions>;
  zeroShot?: ZeroShotOptions;
  /** Re-score stimuli that already have scores. */
  force?: boolean;
  batchSize?: number;
  /** Which ONNX file of the model directories (fp32, q8, fp16…); default: the most precise present. */
  dtype?: Dtype;
  /** Sessions scoring side by side, each single- or few-threaded (default 1). */
  workers?: number;
  now?: () => Date;
  onProgress?: (detector: DetectorName, done: number, total: number) => void;
}

export interface DetectorSummary {
  modelHash: string;
  scored: number;
  skipped: number;
  rows: number;
}

export function parseDetectors(list: string): DetectorName[] {
  const names = list.split(',').map((s) => s.trim()).filter(Boolean);
  if (names.length === 0) throw new DetectorInputError('--detectors: name at least one of ' + DETECTORS.join(', '));
  for (const n of names) {
    if (!(DETECTORS as readonly string[]).includes(n)) throw new DetectorInputError(`--detectors: unknown detector "${n}" (expected ${DETECTORS.join(', ')})`);
  }
  return [...new Set(names)] as DetectorName[];
}

/** Everything that can be refused is refused before the first row is stored. */
function validate(opts: ScoreStudyOptions): void {
  for (const s of opts.stimuli) {
    try {
      cleanText(s.text);
    } catch (err) {
      throw new DetectorInputError(`stimulus ${s.id}: ${(err as Error).message}`);
    }
  }
  if (opts.detectors.includes('tfidf') && !opts.tfidfModelFile) {
    const labels = opts.stimuli.map(labelOf);
    const human = labels.filter((l) => l === 0).length;
    const machine = labels.length - human;
    if (Math.min(human, machine) < 2) {
      throw new DetectorInputError(`tfidf: the study has ${human} human and ${machine} machine stimuli; cross-fitting needs at least 2 of each (or give --tfidf-model FILE)`);
    }
  }
  if (opts.detectors.includes('roberta') && !opts.detectorDir) throw new Error('roberta: no detector directory (give --detector DIR)');
  if (opts.detectors.includes('zero-shot') && !opts.scorerDir) throw new Error('zero-shot: no scoring model directory (give --scorer DIR)');
}

export async function scoreStudy(opts: ScoreStudyOptions): Promise<Record<string, DetectorSummary>> {
  validate(opts);
  const now = opts.now ?? (() => new Date());
  const batchSize = Math.max(1, opts.batchSize ?? 8);
  const workers = Math.max(1, Math.floor(opts.workers ?? 1));
  const threads = Math.max(1, Math.floor(os.availableParallelism() / workers));
  const done = new Set<string>();
  for (const r of opts.store.detectorScores(opts.studyId)) done.add(`${r.stimulus_id}\u0000${r.detector}\u0000${r.model_hash}`);
  const isDone = (id: string, detector: string, hash: string) => !opts.force && done.has(`${id}\u0000${detector}\u0000${hash}`);
  const rowsOf = (id: string, detector: string, hash: string, metrics: Record<string, number>): DetectorScoreRow[] => {
    const at = now().toISOString();
    return Object.entries(metrics)
      .filter(([, v]) => Number.isFinite(v))
      .map(([metric, value]) => ({ study_id: opts.studyId, stimulus_id: id, detector, model_hash: hash, metric, value, scored_at: at }));
  };
  const summary: Record<string, DetectorSummary> = {};

  for (const detector of opts.detectors) {
    if (detector === 'roberta') {
      if (!opts.detectorDir) throw new Error('roberta: no detector directory (give --detector DIR)');
      const det = await loadRobertaDetector(opts.detectorDir, { workers, ...(opts.dtype ? { suffix: DTYPE_SUFFIX[opts.dtype] } : {}) });
      try {
        const hash = await det.modelHash();
        const todo = opts.stimuli.filter((s) => !isDone(s.id, detector, hash));
        const s: DetectorSummary = { modelHash: hash, scored: 0, skipped: opts.stimuli.length - todo.length, rows: 0 };
        for (let i = 0; i < todo.length; i += batchSize) {
          const batch = todo.slice(i, i + batchSize);
          const scores = await det.score(batch.map((b) => b.text));
          s.rows += opts.store.putDetectorScores(batch.flatMap((b, k) => rowsOf(b.id, detector, hash, { ...scores[k] })));
          s.scored += batch.length;
          opts.onProgress?.(detector, s.scored, todo.length);
        }
        summary[detector] = s;
      } finally {
        await det.close();
      }
    } else if (detector === 'zero-shot') {
      if (!opts.scorerDir) throw new Error('zero-shot: no scoring model directory (give --scorer DIR)');
      // One in-process decoder; with --workers N, N worker threads each with its own
      // session (onnxruntime-node runs a session on the calling thread, so several
      // in-process sessions would only take turns).
      const decoder = workers > 1 ? null : await Decoder.load(opts.scorerDir, opts.dtype ? { dtype: opts.dtype } : {});
      const scorer = decoder
        ? createZeroShotScorer([decoder])
        : await createZeroShotWorkers(opts.scorerDir, { workers, threads, ...(opts.dtype ? { dtype: opts.dtype } : {}) });
      try {
        const hash = scorer.modelHash;
        const todo = opts.stimuli.filter((s) => !isDone(s.id, detector, hash));
        const s: DetectorSummary = { modelHash: hash, scored: 0, skipped: opts.stimuli.length - todo.length, rows: 0 };
        for (let i = 0; i < todo.length; i += workers) {
          const chunk = todo.slice(i, i + workers);
          const scores = await scorer.scoreMany(chunk.map((c) => c.text), opts.zeroShot);
          s.rows += opts.store.putDetectorScores(chunk.flatMap((c, k) => rowsOf(c.id, detector, hash, zeroShotMetrics(scores[k]))));
          s.scored += chunk.length;
          opts.onProgress?.(detector, s.scored, todo.length);
        }
        summary[detector] = s;
      } finally {
        if (decoder) await decoder.dispose();
        else await (scorer as ZeroShotWorkers).close();
      }
    } else {
      summary[detector] = scoreTfidf(opts, isDone, rowsOf);
      opts.onProgress?.(detector, summary[detector].scored, summary[detector].scored);
    }
  }
  return summary;
}

function labelOf(s: ScoredStimulus): number {
  if (s.source === 'machine') return 1;
  if (s.source === 'human') return 0;
  throw new Error(`tfidf: stimulus ${s.id} has source "${s.source}", expected human or machine`);
}

function scoreTfidf(
  opts: ScoreStudyOptions,
  isDone: (id: string, detector: string, hash: string) => boolean,
  rowsOf: (id: string, detector: string, hash: string, metrics: Record<string, number>) => DetectorScoreRow[],
): DetectorSummary {
  const detector = 'tfidf';
  let hash: string;
  let probs: () => number[];
  if (opts.tfidfModelFile) {
    let model: TfidfModel;
    try {
      model = JSON.parse(readFileSync(opts.tfidfModelFile, 'utf8')) as TfidfModel;
    } catch (err) {
      throw new Error(`${opts.tfidfModelFile}: ${(err as Error).message}`);
    }
    if (model.kind !== 'credence-tfidf-logreg') throw new Error(`${opts.tfidfModelFile}: not a credence TF-IDF model (kind "${String(model.kind)}")`);
    hash = tfidfModelHash(model);
    probs = () => predict(model, opts.stimuli.map((s) => s.text));
  } else {
    const labels = opts.stimuli.map(labelOf);
    // Fewer folds when a label is rare (validate() guarantees at least 2 of each).
    const k = Math.min(opts.tfidfFolds ?? 5, labels.filter((l) => l === 0).length, labels.filter((l) => l === 1).length);
    const h = createHash('sha256').update(JSON.stringify({ k, options: opts.tfidfOptions ?? {} }));
    opts.stimuli.forEach((s, i) => h.update(`\u0000${s.id}\u0000${labels[i]}\u0000${s.text}`));
    hash = 'kfold-' + h.digest('hex');
    probs = () => kFoldEvaluate(opts.stimuli.map((s) => s.text), labels, k, 1, opts.tfidfOptions).outOfFold;
  }
  if (opts.stimuli.every((s) => isDone(s.id, detector, hash))) {
    return { modelHash: hash, scored: 0, skipped: opts.stimuli.length, rows: 0 };
  }
  const p = probs();
  const rows = opts.stimuli.flatMap((s, i) => rowsOf(s.id, detector, hash, { fake_probability: p[i], real_probability: 1 - p[i] }));
  return { modelHash: hash, scored: opts.stimuli.length, skipped: 0, rows: opts.store.putDetectorScores(rows) };
}
