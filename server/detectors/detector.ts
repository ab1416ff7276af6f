// The one detector interface: load → score → modelHash → close. `credence
// score` (score-study.ts) and `credence detect` / GET /api/detect
// (detect-text.ts, http/detect-route.ts) only ever talk to a detector through
// it, and find detectors in the registry (registry.ts). Adding a detector is
// one entry there: a name, the model_type of the directories it reads (if
// any), and a load function.
import type { Dtype } from '../models/model-dir.ts';
import type { TfidfOptions } from './tfidf.ts';
import type { ZeroShotOptions } from './zero-shot.ts';

/** A text to score; `source` ('human' | 'machine') only matters to detectors trained on the texts themselves (TF-IDF). */
export interface ScoreInput {
  id: string;
  text: string;
  source?: string;
}

/** One text's scores: numbers are stored as metrics; anything else (per-token detail) is only printed. */
export type DetectorScore = object;

export interface DetectorLoadOptions {
  /** The model directory, for detectors that read one (Detector.modelType). */
  dir?: string;
  /** Which ONNX file of the directory (fp32, q8, fp16…); default: the most precise present. */
  dtype?: Dtype;
  /** Sessions scoring side by side, each in its own worker thread (default 1: in this thread). */
  workers?: number;
  /** Texts per forward pass where the detector batches. */
  batchSize?: number;
  /** Every text the run will score, with labels: TF-IDF cross-fits on them. */
  corpus?: ScoreInput[];
  /** A trained TF-IDF model (JSON from trainTfidf) instead of cross-fitting. */
  tfidfModelFile?: string;
  tfidfFolds?: number;
  tfidfOptions?: Partial<TfidfOptions>;
  zeroShot?: ZeroShotOptions;
}

/** A loaded detector, ready to score. */
export interface LoadedDetector {
  /** Texts per score() call that keep every session busy (the caller commits after each call). */
  readonly chunk: number;
  score(inputs: ScoreInput[]): Promise<DetectorScore[]>;
  /** What the scores depend on besides the text (model files, training texts and options): stored with every score. */
  modelHash(): Promise<string>;
  close(): Promise<void>;
}

export interface Detector {
  readonly name: string;
  /** config.json model_type of the directories this detector reads, or null when it reads none. */
  readonly modelType: string | null;
  /** Refuses options it cannot run with (no directory, too few labelled texts), before any detector of a run loads or stores. */
  check(opts: DetectorLoadOptions): void;
  load(opts: DetectorLoadOptions): Promise<LoadedDetector>;
}

/** The scores worth storing: finite numbers (an undefined LRR or per-token lists are not metrics). */
export function metricsOf(score: DetectorScore): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(score)) if (typeof v === 'number' && Number.isFinite(v)) out[k] = v;
  return out;
}
