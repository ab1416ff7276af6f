// Scores every stimulus of a study with the chosen detectors and stores one
// row per (stimulus, detector, model hash, metric). Resumable: a stimulus that
// already has rows for the same detector and model hash is skipped, and rows
// are committed batch by batch, so an interrupted run continues where it stopped.
//
// TF-IDF has no pretrained model: without --tfidf-model it is cross-fitted on
// the study's own labelled stimuli (k-fold; each stimulus scored by a model
// that never saw it), and its model hash covers the texts, labels and options,
// so changing the pool re-scores it.
import type { DetectorScoreRow } from '../../analysis/rows.ts';
import type { Store } from '../store/store.ts';
import { categorize, LEXICON_DETECTOR_PREFIX, lexiconAppliesTo, lexiconHash, lexiconMetrics, type Lexicon } from '../../studies/lexicons.ts';
import type { Dtype } from '../models/model-dir.ts';
import { metricsOf, type DetectorLoadOptions } from './detector.ts';
import { DETECTOR_NAMES, detectorNamed, type DetectorName } from './registry.ts';
import { cleanText, DetectorInputError } from './text-input.ts';
import type { TfidfOptions } from './tfidf.ts';
import type { ZeroShotOptions } from './zero-shot.ts';

export { DETECTOR_NAMES as DETECTORS, type DetectorName };

export interface ScoredStimulus {
  id: string;
  text: string;
  /** 'human' | 'machine' (from the stimulus label); TF-IDF needs it. */
  source: string;
  /** The stimulus's pool: which of the protocol's lexicons apply to it. */
  pool?: string;
}

export interface ScoreStudyOptions {
  studyId: string;
  stimuli: ScoredStimulus[];
  store: Store;
  detectors: DetectorName[];
  /**
   * The protocol's category lexicons: each is applied to the stimuli of its
   * pools and stored as detector `lexicon:<name>`, model hash = the lexicon's
   * hash, one row per category (studies/lexicons.ts lexiconMetrics).
   */
  lexicons?: Record<string, Lexicon>;
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
  if (names.length === 0) throw new DetectorInputError('--detectors: name at least one of ' + DETECTOR_NAMES.join(', '));
  for (const n of names) {
    if (!(DETECTOR_NAMES as readonly string[]).includes(n)) throw new DetectorInputError(`--detectors: unknown detector "${n}" (expected ${DETECTOR_NAMES.join(', ')})`);
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
  for (const name of opts.detectors) detectorNamed(name).check(loadOptions(opts, name));
}

/** Which directory each detector reads (Detector.modelType), from the run's options. */
function loadOptions(opts: ScoreStudyOptions, detector: DetectorName): DetectorLoadOptions {
  const dir = detector === 'roberta' ? opts.detectorDir : detector === 'zero-shot' ? opts.scorerDir : undefined;
  return {
    ...(dir ? { dir } : {}),
    ...(opts.dtype ? { dtype: opts.dtype } : {}),
    workers: Math.max(1, Math.floor(opts.workers ?? 1)),
    batchSize: Math.max(1, opts.batchSize ?? 8),
    corpus: opts.stimuli,
    tfidfModelFile: opts.tfidfModelFile,
    tfidfFolds: opts.tfidfFolds,
    tfidfOptions: opts.tfidfOptions,
    zeroShot: opts.zeroShot,
  };
}

/** Summaries by detector name, and by `lexicon:<name>` for each lexicon. */
export async function scoreStudy(opts: ScoreStudyOptions): Promise<Record<string, DetectorSummary>> {
  validate(opts);
  const now = opts.now ?? (() => new Date());
  const done = new Set<string>();
  for (const r of await opts.store.detectorScores(opts.studyId)) done.add(`${r.stimulus_id}\u0000${r.detector}\u0000${r.model_hash}`);
  const isDone = (id: string, detector: string, hash: string) => !opts.force && done.has(`${id}\u0000${detector}\u0000${hash}`);
  const rowsOf = (id: string, detector: string, hash: string, metrics: Record<string, number>): DetectorScoreRow[] => {
    const at = now().toISOString();
    return Object.entries(metrics).map(([metric, value]) => ({ study_id: opts.studyId, stimulus_id: id, detector, model_hash: hash, metric, value, scored_at: at }));
  };
  const summary: Record<string, DetectorSummary> = {};
  for (const name of opts.detectors) {
    const det = await detectorNamed(name).load(loadOptions(opts, name));
    try {
      const hash = await det.modelHash();
      const todo = opts.stimuli.filter((s) => !isDone(s.id, name, hash));
      const s: DetectorSummary = { modelHash: hash, scored: 0, skipped: opts.stimuli.length - todo.length, rows: 0 };
      // Committed chunk by chunk, so an interrupted run keeps what it scored.
      const chunk = Math.min(det.chunk, Math.max(1, todo.length));
      for (let i = 0; i < todo.length; i += chunk) {
        const batch = todo.slice(i, i + chunk);
        const scores = await det.score(batch);
        s.rows += await opts.store.putDetectorScores(batch.flatMap((b, k) => rowsOf(b.id, name, hash, metricsOf(scores[k]))));
        s.scored += batch.length;
        opts.onProgress?.(name, s.scored, todo.length);
      }
      summary[name] = s;
    } finally {
      await det.close();
    }
  }
  // Lexicons are cheap and pure: applied in one go, committed once per lexicon.
  for (const [name, lexicon] of Object.entries(opts.lexicons ?? {})) {
    const detector = `${LEXICON_DETECTOR_PREFIX}${name}`;
    const hash = lexiconHash(lexicon);
    const mine = opts.stimuli.filter((st) => st.pool === undefined || lexiconAppliesTo(lexicon, st.pool));
    const todo = mine.filter((st) => !isDone(st.id, detector, hash));
    const rows = todo.flatMap((st) => rowsOf(st.id, detector, hash, lexiconMetrics(categorize(st.text, lexicon), lexicon)));
    summary[detector] = { modelHash: hash, scored: todo.length, skipped: mine.length - todo.length, rows: todo.length ? await opts.store.putDetectorScores(rows) : 0 };
  }
  return summary;
}
