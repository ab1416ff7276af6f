// TF-IDF + logistic regression, the gpt-2-output-dataset baseline
// (baseline.py: TfidfVectorizer(ngram_range=(1,2), min_df=5), liblinear
// LogisticRegression with C searched over 1/64…64 on held-out data). Here C is
// chosen by stratified k-fold cross-validation on the training texts only.
// Labels: 1 = machine (the positive class, "fake"), 0 = human.
import { createHash } from 'node:crypto';
import { createRng, shuffle } from '../../studies/random.ts';
import { fitLogistic, predictLogistic, type LogisticModel, type SparseRows } from './logistic.ts';
import { ngrams } from '../../analysis/tokenize.ts';

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

/** A document as its distinct term ids, ascending, and how often each occurs. */
interface DocCounts {
  ids: Int32Array;
  counts: Float64Array;
}

/**
 * Every text's terms, counted once and numbered once. Term ids follow the
 * terms' sorted order, so a fold's vocabulary (sorted, as sklearn's is) is its
 * kept ids in ascending order, and no fold touches a string again: the
 * vocabulary and the matrices of a fold are built from integer counts.
 */
interface Corpus {
  terms: string[];
  docs: DocCounts[];
}

function countIds(ids: ArrayLike<number>): DocCounts {
  const sorted = Int32Array.from(ids).sort();
  let distinct = 0;
  for (let i = 0; i < sorted.length; i++) if (i === 0 || sorted[i] !== sorted[i - 1]) distinct++;
  const out = { ids: new Int32Array(distinct), counts: new Float64Array(distinct) };
  let k = -1;
  for (let i = 0; i < sorted.length; i++) {
    if (i === 0 || sorted[i] !== sorted[i - 1]) out.ids[++k] = sorted[i];
    out.counts[k]++;
  }
  return out;
}

function buildCorpus(texts: string[], ngramMax: number): Corpus {
  const seen = new Map<string, number>();
  const raw = texts.map((t) => {
    const ts = ngrams(t, ngramMax);
    const ids = new Int32Array(ts.length);
    ts.forEach((term, i) => {
      let id = seen.get(term);
      if (id === undefined) seen.set(term, (id = seen.size));
      ids[i] = id;
    });
    return ids;
  });
  const byFirstSeen = [...seen.keys()];
  const order = byFirstSeen.map((_, i) => i).sort((a, b) => (byFirstSeen[a] < byFirstSeen[b] ? -1 : byFirstSeen[a] > byFirstSeen[b] ? 1 : 0));
  const rank = new Int32Array(order.length);
  order.forEach((old, r) => (rank[old] = r));
  return {
    terms: order.map((i) => byFirstSeen[i]),
    docs: raw.map((ids) => countIds(ids.map((id) => rank[id]))),
  };
}

interface Vectorizer {
  /** Column of each corpus term id, −1 when the term is not kept. */
  colOf: Int32Array;
  /** Corpus term id of each column. */
  kept: Int32Array;
  idf: Float64Array;
}

function fitVectorizer(corpus: Corpus, rows: readonly number[], opts: TfidfOptions): Vectorizer {
  const nTerms = corpus.terms.length;
  const df = new Int32Array(nTerms);
  const tf = new Float64Array(nTerms);
  for (const r of rows) {
    const d = corpus.docs[r];
    for (let i = 0; i < d.ids.length; i++) {
      df[d.ids[i]]++;
      tf[d.ids[i]] += d.counts[i];
    }
  }
  let kept: number[] = [];
  for (let id = 0; id < nTerms; id++) if (df[id] >= opts.minDf) kept.push(id);
  if (kept.length > opts.maxFeatures) {
    // Most frequent first, ties alphabetical (= by id); then back to sorted order.
    kept.sort((a, b) => tf[b] - tf[a] || a - b);
    kept = kept.slice(0, opts.maxFeatures).sort((a, b) => a - b);
  }
  const colOf = new Int32Array(nTerms).fill(-1);
  kept.forEach((id, j) => (colOf[id] = j));
  const n = rows.length;
  const idf = Float64Array.from(kept, (id) => Math.log((1 + n) / (1 + df[id])) + 1); // smooth_idf
  return { colOf, kept: Int32Array.from(kept), idf };
}

/** TF-IDF rows, L2-normalised; `colOf` maps a document's ids to columns (null: the ids are columns). */
function transform(docs: readonly DocCounts[], colOf: Int32Array | null, idf: Float64Array, sublinear: boolean): SparseRows {
  const rowPtr = new Int32Array(docs.length + 1);
  let nnz = 0;
  for (const d of docs) for (let i = 0; i < d.ids.length; i++) if (!colOf || colOf[d.ids[i]] >= 0) nnz++;
  const cols = new Int32Array(nnz);
  const vals = new Float64Array(nnz);
  let p = 0;
  docs.forEach((d, r) => {
    const start = p;
    for (let i = 0; i < d.ids.length; i++) {
      const j = colOf ? colOf[d.ids[i]] : d.ids[i];
      if (j < 0) continue;
      const c = d.counts[i];
      cols[p] = j; // ascending: columns follow the ids' order
      vals[p++] = (sublinear ? 1 + Math.log(c) : c) * idf[j];
    }
    let sq = 0;
    for (let q = start; q < p; q++) sq += vals[q] * vals[q];
    const norm = Math.sqrt(sq) || 1;
    for (let q = start; q < p; q++) vals[q] /= norm;
    rowPtr[r + 1] = p;
  });
  return { rowPtr, cols, vals, nCols: idf.length };
}

function rowsOf(corpus: Corpus, v: Vectorizer, rows: readonly number[], opts: TfidfOptions): SparseRows {
  return transform(rows.map((r) => corpus.docs[r]), v.colOf, v.idf, opts.sublinearTf);
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

function countCorrect(probs: ArrayLike<number>, labels: readonly number[]): number {
  let ok = 0;
  labels.forEach((l, i) => (ok += (probs[i] >= 0.5 ? 1 : 0) === l ? 1 : 0));
  return ok;
}

/**
 * C by k-fold CV over the rows `rows` of the corpus. Each inner fold builds its
 * vocabulary and matrices once and walks the C path upwards, each fit starting
 * from the previous optimum.
 */
function chooseC(corpus: Corpus, rows: readonly number[], labels: readonly number[], opts: TfidfOptions, k: number, cvAccuracy: Record<string, number>): number {
  const ys = rows.map((r) => labels[r]);
  const fold = stratifiedFolds(ys, k, opts.seed);
  const path = [...new Set(opts.Cs)].sort((a, b) => a - b);
  const correct = new Map<number, number>(path.map((C) => [C, 0]));
  for (let f = 0; f < k; f++) {
    const tr = rows.filter((_, i) => fold[i] !== f);
    const te = rows.filter((_, i) => fold[i] === f);
    const v = fitVectorizer(corpus, tr, opts);
    const Xtr = rowsOf(corpus, v, tr, opts);
    const Xte = rowsOf(corpus, v, te, opts);
    const ytr = tr.map((r) => labels[r]);
    const yte = te.map((r) => labels[r]);
    let prev: LogisticModel | undefined;
    for (const C of path) {
      prev = fitLogistic(Xtr, ytr, { C, init: prev });
      correct.set(C, correct.get(C)! + countCorrect(predictLogistic(prev, Xte), yte));
    }
  }
  let bestC = opts.Cs[0];
  let best = -1;
  for (const C of opts.Cs) {
    const acc = correct.get(C)! / rows.length;
    cvAccuracy[String(C)] = acc;
    // Ties go to the C listed first (the smaller one, stronger regularisation, in the default grid).
    if (acc > best + 1e-12) {
      best = acc;
      bestC = C;
    }
  }
  return bestC;
}

/** Trains on the corpus rows `rows`; also returns the vectorizer, to score held-out rows without strings. */
function trainRows(corpus: Corpus, rows: readonly number[], labels: readonly number[], opts: TfidfOptions): { model: TfidfModel; v: Vectorizer; lr: LogisticModel } {
  const ys = rows.map((r) => labels[r]);
  const cvAccuracy: Record<string, number> = {};
  let bestC = opts.Cs[0];
  if (opts.Cs.length > 1) {
    const k = Math.min(opts.cvFolds, Math.min(ys.filter((l) => l === 0).length, ys.filter((l) => l === 1).length));
    // Too few texts of a label to cross-validate: keep the middle of the grid (C = 1 for the default grid).
    bestC = opts.Cs[Math.floor(opts.Cs.length / 2)];
    if (k >= 2) bestC = chooseC(corpus, rows, labels, opts, k, cvAccuracy);
  }
  const v = fitVectorizer(corpus, rows, opts);
  const lr = fitLogistic(rowsOf(corpus, v, rows, opts), ys, { C: bestC });
  const model: TfidfModel = {
    kind: 'credence-tfidf-logreg',
    options: opts,
    vocabulary: Array.from(v.kept, (id) => corpus.terms[id]),
    idf: Array.from(v.idf),
    weights: Array.from(lr.weights),
    bias: lr.bias,
    C: bestC,
    cvAccuracy,
  };
  return { model, v, lr };
}

export function trainTfidf(texts: string[], labels: number[], options: Partial<TfidfOptions> = {}): TfidfModel {
  const opts: TfidfOptions = { ...DEFAULT_TFIDF_OPTIONS, ...options };
  checkInputs(texts, labels);
  return trainRows(buildCorpus(texts, opts.ngramMax), texts.map((_, i) => i), labels, opts).model;
}

/** Probability that each text is machine-written. */
export function predict(model: TfidfModel, texts: string[]): number[] {
  const index = new Map(model.vocabulary.map((t, i) => [t, i]));
  const docs = texts.map((t) => {
    const ids: number[] = [];
    for (const term of ngrams(t, model.options.ngramMax)) {
      const j = index.get(term);
      if (j !== undefined) ids.push(j);
    }
    return countIds(ids);
  });
  const X = transform(docs, null, Float64Array.from(model.idf), model.options.sublinearTf);
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
  const opts: TfidfOptions = { ...DEFAULT_TFIDF_OPTIONS, ...options, seed };
  const corpus = buildCorpus(texts, opts.ngramMax);
  const fold = stratifiedFolds(labels, k, seed);
  const outOfFold = new Array<number>(texts.length).fill(NaN);
  const foldAccuracy: number[] = [];
  const chosenC: number[] = [];
  for (let f = 0; f < k; f++) {
    const tr = texts.map((_, i) => i).filter((i) => fold[i] !== f);
    const te = texts.map((_, i) => i).filter((i) => fold[i] === f);
    const { model, v, lr } = trainRows(corpus, tr, labels, opts);
    const p = predictLogistic(lr, rowsOf(corpus, v, te, opts));
    te.forEach((i, r) => (outOfFold[i] = p[r]));
    foldAccuracy.push(countCorrect(p, te.map((i) => labels[i])) / te.length);
    chosenC.push(model.C);
  }
  return { accuracy: countCorrect(outOfFold, labels) / labels.length, foldAccuracy, outOfFold, chosenC };
}
