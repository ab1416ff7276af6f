// TF-IDF + logistic regression, the gpt-2-output-dataset baseline
// (baseline.py: TfidfVectorizer(ngram_range=(1,2), min_df=5), liblinear
// LogisticRegression with C searched over 1/64…64 on held-out data). Here C is
// chosen by stratified k-fold cross-validation on the training texts only.
// Labels: 1 = machine (the positive class, "fake"), 0 = human.
import { createHash } from 'node:crypto';
import { createRng, shuffle } from '../../studies/random.ts';
import { fitLogistic, predictLogistic, type LogisticModel, type SparseRows } from './logistic.ts';

export interface TfidfOptions {
  /** Largest n-gram (1 = unigrams, 2 = unigrams + bigrams). */
  ngramMax: number;
  /** Terms in fewer training documents than this are dropped. */
  minDf: number;
  /** Replace tf by 1 + ln(tf). */
  sublinearTf: boolean;
  /** Keep at most this many terms (most frequent first). */
  maxFeatures: number;
  /** Candidate values of C. */
  Cs: number[];
  /** Folds for choosing C. */
  cvFolds: number;
  seed: number;
}

export const DEFAULT_TFIDF_OPTIONS: TfidfOptions = {
  ngramMax: 2,
  minDf: 5,
  sublinearTf: false,
  maxFeatures: 2 ** 21,
  Cs: [1 / 64, 1 / 32, 1 / 16, 1 / 8, 1 / 4, 1 / 2, 1, 2, 4, 8, 16, 32, 64],
  cvFolds: 5,
  seed: 1,
};

export interface TfidfModel {
  kind: 'credence-tfidf-logreg';
  options: TfidfOptions;
  vocabulary: string[];
  idf: number[];
  weights: number[];
  bias: number;
  C: number;
  /** Mean CV accuracy of each candidate C on the training texts. */
  cvAccuracy: Record<string, number>;
}

/** sklearn's default token_pattern (?u)\b\w\w+\b, lowercased. */
export function tokenize(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}_]{2,}/gu) ?? [];
}

function terms(text: string, ngramMax: number): string[] {
  const toks = tokenize(text);
  const out = toks.slice();
  for (let n = 2; n <= ngramMax; n++) {
    for (let i = 0; i + n <= toks.length; i++) out.push(toks.slice(i, i + n).join(' '));
  }
  return out;
}

interface Vectorizer {
  index: Map<string, number>;
  vocabulary: string[];
  idf: Float64Array;
}

function fitVectorizer(docs: string[][], opts: TfidfOptions): Vectorizer {
  const df = new Map<string, number>();
  const tf = new Map<string, number>();
  for (const doc of docs) {
    for (const t of new Set(doc)) df.set(t, (df.get(t) ?? 0) + 1);
    for (const t of doc) tf.set(t, (tf.get(t) ?? 0) + 1);
  }
  let kept = [...df.entries()].filter(([, n]) => n >= opts.minDf).map(([t]) => t);
  if (kept.length > opts.maxFeatures) {
    kept.sort((a, b) => tf.get(b)! - tf.get(a)! || (a < b ? -1 : 1));
    kept = kept.slice(0, opts.maxFeatures);
  }
  kept.sort();
  const n = docs.length;
  const idf = Float64Array.from(kept, (t) => Math.log((1 + n) / (1 + df.get(t)!)) + 1); // smooth_idf
  return { index: new Map(kept.map((t, i) => [t, i])), vocabulary: kept, idf };
}

function transform(v: Vectorizer, docs: string[][], sublinear: boolean): SparseRows {
  const rowPtr = new Int32Array(docs.length + 1);
  const cols: number[] = [];
  const vals: number[] = [];
  docs.forEach((doc, i) => {
    const counts = new Map<number, number>();
    for (const t of doc) {
      const j = v.index.get(t);
      if (j !== undefined) counts.set(j, (counts.get(j) ?? 0) + 1);
    }
    const js = [...counts.keys()].sort((a, b) => a - b);
    const row = js.map((j) => {
      const c = counts.get(j)!;
      return (sublinear ? 1 + Math.log(c) : c) * v.idf[j];
    });
    const norm = Math.sqrt(row.reduce((s, x) => s + x * x, 0)) || 1;
    js.forEach((j, k) => {
      cols.push(j);
      vals.push(row[k] / norm);
    });
    rowPtr[i + 1] = cols.length;
  });
  return { rowPtr, cols: Int32Array.from(cols), vals: Float64Array.from(vals), nCols: v.vocabulary.length };
}

function checkInputs(texts: string[], labels: number[]): void {
  if (texts.length !== labels.length) throw new Error(`tfidf: ${texts.length} texts but ${labels.length} labels`);
  labels.forEach((l, i) => {
    if (l !== 0 && l !== 1) throw new Error(`tfidf: label ${i} is ${JSON.stringify(l)}, expected 0 (human) or 1 (machine)`);
  });
  if (!labels.includes(0) || !labels.includes(1)) throw new Error('tfidf: training needs both human (0) and machine (1) texts');
}

/** Stratified fold number for each item, seeded. */
export function stratifiedFolds(labels: number[], k: number, seed: number): number[] {
  const rng = createRng(seed);
  const fold = new Array<number>(labels.length);
  for (const cls of [0, 1]) {
    const idx = shuffle(labels.map((l, i) => (l === cls ? i : -1)).filter((i) => i >= 0), rng);
    idx.forEach((i, r) => (fold[i] = r % k));
  }
  return fold;
}

function fitFixedC(docs: string[][], labels: number[], opts: TfidfOptions, C: number): { v: Vectorizer; lr: LogisticModel } {
  const v = fitVectorizer(docs, opts);
  const lr = fitLogistic(transform(v, docs, opts.sublinearTf), labels, { C });
  return { v, lr };
}

function accuracy(probs: ArrayLike<number>, labels: number[]): number {
  let ok = 0;
  labels.forEach((l, i) => (ok += (probs[i] >= 0.5 ? 1 : 0) === l ? 1 : 0));
  return ok / labels.length;
}

function chooseC(docs: string[][], labels: number[], opts: TfidfOptions, k: number, cvAccuracy: Record<string, number>): number {
  let bestC = opts.Cs[0];
  const fold = stratifiedFolds(labels, k, opts.seed);
  let best = -1;
  for (const C of opts.Cs) {
    let correct = 0;
    for (let f = 0; f < k; f++) {
      const tr = labels.map((_, i) => i).filter((i) => fold[i] !== f);
      const te = labels.map((_, i) => i).filter((i) => fold[i] === f);
      const { v, lr } = fitFixedC(tr.map((i) => docs[i]), tr.map((i) => labels[i]), opts, C);
      const p = predictLogistic(lr, transform(v, te.map((i) => docs[i]), opts.sublinearTf));
      correct += accuracy(p, te.map((i) => labels[i])) * te.length;
    }
    cvAccuracy[String(C)] = correct / labels.length;
    // Ties go to the smaller C (stronger regularisation).
    if (correct / labels.length > best + 1e-12) {
      best = correct / labels.length;
      bestC = C;
    }
  }
  return bestC;
}

export function trainTfidf(texts: string[], labels: number[], options: Partial<TfidfOptions> = {}): TfidfModel {
  const opts: TfidfOptions = { ...DEFAULT_TFIDF_OPTIONS, ...options };
  checkInputs(texts, labels);
  const docs = texts.map((t) => terms(t, opts.ngramMax));
  const cvAccuracy: Record<string, number> = {};
  let bestC = opts.Cs[0];
  if (opts.Cs.length > 1) {
    const k = Math.min(opts.cvFolds, Math.min(labels.filter((l) => l === 0).length, labels.filter((l) => l === 1).length));
    // Too few texts of a label to cross-validate: keep the middle of the grid (C = 1 for the default grid).
    bestC = opts.Cs[Math.floor(opts.Cs.length / 2)];
    if (k >= 2) bestC = chooseC(docs, labels, opts, k, cvAccuracy);
  }
  const { v, lr } = fitFixedC(docs, labels, opts, bestC);
  return {
    kind: 'credence-tfidf-logreg',
    options: opts,
    vocabulary: v.vocabulary,
    idf: Array.from(v.idf),
    weights: Array.from(lr.weights),
    bias: lr.bias,
    C: bestC,
    cvAccuracy,
  };
}

/** Probability that each text is machine-written. */
export function predict(model: TfidfModel, texts: string[]): number[] {
  const v: Vectorizer = {
    vocabulary: model.vocabulary,
    index: new Map(model.vocabulary.map((t, i) => [t, i])),
    idf: Float64Array.from(model.idf),
  };
  const X = transform(v, texts.map((t) => terms(t, model.options.ngramMax)), model.options.sublinearTf);
  return Array.from(predictLogistic({ weights: Float64Array.from(model.weights), bias: model.bias, C: model.C, iterations: 0 }, X));
}

/** sha256 of the trained parameters: what a stored tfidf score names as its model. */
export function tfidfModelHash(model: TfidfModel): string {
  return createHash('sha256').update(JSON.stringify(model)).digest('hex');
}

export interface KFoldResult {
  accuracy: number;
  foldAccuracy: number[];
  /** Out-of-fold probability of "machine" for every text. */
  outOfFold: number[];
  chosenC: number[];
}

/** k-fold evaluation; C is chosen inside each training split, never on its test fold. */
export function kFoldEvaluate(texts: string[], labels: number[], k: number, seed: number, options: Partial<TfidfOptions> = {}): KFoldResult {
  checkInputs(texts, labels);
  if (!Number.isInteger(k) || k < 2) throw new Error(`tfidf: k must be an integer ≥ 2 (got ${k})`);
  const fewest = Math.min(labels.filter((l) => l === 0).length, labels.filter((l) => l === 1).length);
  if (k > fewest) throw new Error(`tfidf: ${k}-fold needs at least ${k} texts of each label (the rarer label has ${fewest})`);
  const fold = stratifiedFolds(labels, k, seed);
  const outOfFold = new Array<number>(texts.length).fill(NaN);
  const foldAccuracy: number[] = [];
  const chosenC: number[] = [];
  for (let f = 0; f < k; f++) {
    const tr = texts.map((_, i) => i).filter((i) => fold[i] !== f);
    const te = texts.map((_, i) => i).filter((i) => fold[i] === f);
    const model = trainTfidf(tr.map((i) => texts[i]), tr.map((i) => labels[i]), { ...options, seed });
    const p = predict(model, te.map((i) => texts[i]));
    te.forEach((i, r) => (outOfFold[i] = p[r]));
    foldAccuracy.push(accuracy(p, te.map((i) => labels[i])));
    chosenC.push(model.C);
  }
  return { accuracy: accuracy(outOfFold, labels), foldAccuracy, outOfFold, chosenC };
}
