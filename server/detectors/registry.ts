// Every detector Credence can run, by name, behind the one interface
// (detector.ts). `credence score --detectors` names them; `credence detect`
// and /api/detect pick the one that reads the given directory's model_type.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Decoder } from '../lm/decoder.ts';
import type { Detector, DetectorLoadOptions, LoadedDetector, ScoreInput } from './detector.ts';
import { loadRobertaDetector } from './roberta.ts';
import { DetectorInputError } from './text-input.ts';
import { kFoldEvaluate, predict, tfidfModelHash, type TfidfModel } from './tfidf.ts';
import { createZeroShotScorer, createZeroShotWorkers } from './zero-shot.ts';

/** The model directory a detector reads; refused without one. */
const dirOf = (opts: DetectorLoadOptions, what: string, flag: string): string => {
  if (!opts.dir) throw new Error(`${what} (give ${flag} DIR)`);
  return opts.dir;
};
const robertaDir = (opts: DetectorLoadOptions) => dirOf(opts, 'roberta: no detector directory', '--detector');
const scorerDir = (opts: DetectorLoadOptions) => dirOf(opts, 'zero-shot: no scoring model directory', '--scorer');

/** The RoBERTa OpenAI detector (roberta.ts): real/fake probabilities. */
const roberta = {
  name: 'roberta' as const,
  modelType: 'roberta',
  check: (opts: DetectorLoadOptions) => void robertaDir(opts),
  async load(opts: DetectorLoadOptions): Promise<LoadedDetector> {
    const workers = Math.max(1, Math.floor(opts.workers ?? 1));
    const det = await loadRobertaDetector(robertaDir(opts), { workers, dtype: opts.dtype, batchSize: opts.batchSize });
    return {
      chunk: Math.max(1, opts.batchSize ?? 8),
      score: (inputs) => det.score(inputs.map((i) => i.text)),
      modelHash: () => det.modelHash(),
      close: () => det.close(),
    };
  },
};

/** GLTR, log-rank, LRR and Fast-DetectGPT statistics under a GPT-2 scorer (zero-shot.ts). */
const zeroShot = {
  name: 'zero-shot' as const,
  modelType: 'gpt2',
  check: (opts: DetectorLoadOptions) => void scorerDir(opts),
  async load(opts: DetectorLoadOptions): Promise<LoadedDetector> {
    const dir = scorerDir(opts);
    const workers = Math.max(1, Math.floor(opts.workers ?? 1));
    const dtype = opts.dtype ? { dtype: opts.dtype } : {};
    // One in-process decoder; with workers > 1, worker threads each with their own
    // session (onnxruntime-node runs a session on the calling thread, so several
    // in-process sessions would only take turns).
    if (workers > 1) {
      const scorer = await createZeroShotWorkers(dir, { workers, ...dtype });
      return {
        chunk: workers,
        score: (inputs) => scorer.scoreMany(inputs.map((i) => i.text), opts.zeroShot),
        modelHash: async () => scorer.modelHash,
        close: () => scorer.close(),
      };
    }
    const decoder = await Decoder.load(dir, dtype);
    const scorer = createZeroShotScorer([decoder]);
    return {
      chunk: 1,
      score: (inputs) => scorer.scoreMany(inputs.map((i) => i.text), opts.zeroShot),
      modelHash: async () => scorer.modelHash,
      close: () => decoder.dispose(),
    };
  },
};

/** 1 machine, 0 human, for cross-fitting; refused when either has fewer than two texts. */
function tfidfLabels(corpus: ScoreInput[]): number[] {
  const labels = corpus.map((s) => {
    if (s.source === 'machine') return 1;
    if (s.source === 'human') return 0;
    throw new DetectorInputError(`tfidf: stimulus ${s.id} has source "${s.source}", expected human or machine`);
  });
  const human = labels.filter((l) => l === 0).length;
  const machine = labels.length - human;
  if (Math.min(human, machine) < 2) {
    throw new DetectorInputError(`tfidf: the study has ${human} human and ${machine} machine stimuli; cross-fitting needs at least 2 of each (or give --tfidf-model FILE)`);
  }
  return labels;
}

/**
 * TF-IDF + logistic regression (tfidf.ts). Without a trained model it is
 * cross-fitted on the run's own labelled texts (k-fold; each text scored by a
 * model that never saw it), and its hash covers the texts, labels and options,
 * so changing the pool re-scores it.
 */
const tfidf = {
  name: 'tfidf' as const,
  modelType: null,
  check: (opts: DetectorLoadOptions) => void (opts.tfidfModelFile ? null : tfidfLabels(opts.corpus ?? [])),
  async load(opts: DetectorLoadOptions): Promise<LoadedDetector> {
    const probsOf = (p: number) => ({ fake_probability: p, real_probability: 1 - p });
    if (opts.tfidfModelFile) {
      let model: TfidfModel;
      try {
        model = JSON.parse(readFileSync(opts.tfidfModelFile, 'utf8')) as TfidfModel;
      } catch (err) {
        throw new Error(`${opts.tfidfModelFile}: ${(err as Error).message}`);
      }
      if (model.kind !== 'credence-tfidf-logreg') throw new Error(`${opts.tfidfModelFile}: not a credence TF-IDF model (kind "${String(model.kind)}")`);
      const hash = tfidfModelHash(model);
      return {
        chunk: Infinity,
        score: async (inputs) => predict(model, inputs.map((i) => i.text)).map(probsOf),
        modelHash: async () => hash,
        close: async () => {},
      };
    }
    const corpus = opts.corpus ?? [];
    const labels = tfidfLabels(corpus);
    // Fewer folds when a label is rare.
    const human = labels.filter((l) => l === 0).length;
    const k = Math.min(opts.tfidfFolds ?? 5, human, labels.length - human);
    const h = createHash('sha256').update(JSON.stringify({ k, options: opts.tfidfOptions ?? {} }));
    corpus.forEach((s, i) => h.update(`\u0000${s.id}\u0000${labels[i]}\u0000${s.text}`));
    const hash = 'kfold-' + h.digest('hex');
    // Fitted on the first call only: a run whose texts are all scored already never fits.
    // (A promise, so that two calls in flight share one fit.)
    let fitted: Promise<Map<string, number>> | null = null;
    return {
      chunk: Infinity,
      async score(inputs) {
        fitted ??= kFoldEvaluate(corpus.map((s) => s.text), labels, k, 1, opts.tfidfOptions).then((r) => new Map(r.outOfFold.map((p, i) => [corpus[i].id, p])));
        const byId = await fitted;
        return inputs.map((s) => {
          const p = byId.get(s.id);
          if (p === undefined) throw new Error(`tfidf: ${s.id} is not among the texts it was cross-fitted on`);
          return probsOf(p);
        });
      },
      modelHash: async () => hash,
      close: async () => {},
    };
  },
};

export const DETECTORS = [roberta, zeroShot, tfidf] as const satisfies readonly Detector[];
export type DetectorName = (typeof DETECTORS)[number]['name'];
export const DETECTOR_NAMES = DETECTORS.map((d) => d.name) as DetectorName[];

export function detectorNamed(name: string): Detector {
  const d = DETECTORS.find((x) => x.name === name);
  if (!d) throw new DetectorInputError(`unknown detector "${name}" (expected ${DETECTOR_NAMES.join(', ')})`);
  return d;
}

/** The detector that reads model directories of this config.json model_type. */
export function detectorForModelType(modelType: string, where: string): Detector {
  const d = DETECTORS.find((x) => x.modelType === modelType);
  if (!d) {
    const known = DETECTORS.filter((x) => x.modelType).map((x) => `"${x.modelType}" (${x.name})`).join(' or ');
    throw new Error(`${where}: model_type "${modelType}" is not one a detector reads (${known})`);
  }
  return d;
}

