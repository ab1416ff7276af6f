import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createRng, shuffle, type Rng } from '../../studies/random.ts';
import { fitLogistic, type SparseRows } from '../../server/detectors/logistic.ts';
import { kFoldEvaluate, predict, tfidfModelHash, trainTfidf } from '../../server/detectors/tfidf.ts';
import { CROSS_FIT_BEFORE, crossFitTexts } from '../../bench/score/tfidf-cross-fit.ts';

function pseudoWord(rng: Rng): string {
  const syll = ['ka', 'lo', 'mi', 'ne', 'ru', 'ta', 'shi', 'po', 'de', 'vu', 'gra', 'ble'];
  let w = '';
  for (let i = 0, n = 2 + rng.int(2); i < n; i++) w += syll[rng.int(syll.length)];
  return w;
}

/** Documents over a shared Zipf-like vocabulary; class 1 leans on its own marker words, class 0 on others. */
function syntheticSet(n: number, seed: number): { texts: string[]; labels: number[] } {
  const rng = createRng(seed);
  const shared = Array.from({ length: 1500 }, () => pseudoWord(rng));
  const markers = [Array.from({ length: 40 }, (_, i) => `human${i}x`), Array.from({ length: 40 }, (_, i) => `machine${i}x`)];
  const texts: string[] = [];
  const labels: number[] = [];
  for (let d = 0; d < n; d++) {
    const label = d % 2;
    // Every document carries at least one marker of its class: the set is separable.
    const words: string[] = [markers[label][rng.int(40)]];
    for (let i = 1; i < 40; i++) {
      if (rng.next() < 0.08) words.push(markers[label][rng.int(40)]);
      else words.push(shared[Math.floor(shared.length * rng.next() ** 2)]);
    }
    texts.push(words.join(' '));
    labels.push(label);
  }
  return { texts, labels };
}

describe('logistic regression solver', () => {
  test('reaches the optimum: gradient of ½‖w‖² + C Σ log(1+e^(−y z)) is ~0', () => {
    const rng = createRng(3);
    const n = 200;
    const d = 30;
    const rowPtr = new Int32Array(n + 1);
    const cols: number[] = [];
    const vals: number[] = [];
    const y: number[] = [];
    const truth = Array.from({ length: d }, () => rng.next() * 2 - 1);
    for (let i = 0; i < n; i++) {
      let z = 0.3;
      for (let j = 0; j < d; j++) {
        if (rng.next() < 0.3) {
          const v = rng.next() * 2 - 1;
          cols.push(j);
          vals.push(v);
          z += truth[j] * v;
        }
      }
      rowPtr[i + 1] = cols.length;
      y.push(rng.next() < 1 / (1 + Math.exp(-3 * z)) ? 1 : 0);
    }
    const X: SparseRows = { rowPtr, cols: Int32Array.from(cols), vals: Float64Array.from(vals), nCols: d };
    const C = 2;
    const m = fitLogistic(X, y, { C, tol: 1e-9, maxIter: 1000 });
    // Independent gradient computed with dense loops.
    const gw = Array.from(m.weights);
    let gb = 0;
    for (let i = 0; i < n; i++) {
      const xi = new Array(d).fill(0);
      for (let p = rowPtr[i]; p < rowPtr[i + 1]; p++) xi[cols[p]] = vals[p];
      const s = y[i] === 1 ? 1 : -1;
      const z = xi.reduce((acc: number, v: number, j: number) => acc + v * m.weights[j], m.bias);
      const coef = (-C * s) / (1 + Math.exp(s * z));
      gb += coef;
      for (let j = 0; j < d; j++) gw[j] += coef * xi[j];
    }
    const maxGrad = Math.max(Math.abs(gb), ...gw.map(Math.abs));
    assert.ok(maxGrad < 1e-5, `max |gradient| = ${maxGrad}`);
    assert.ok(m.weights.some((w) => Math.abs(w) > 0.1), 'learned non-trivial weights');
  });
});

describe('TF-IDF logistic regression', () => {
  test('vocabulary has unigrams and bigrams, honours min_df, and rows are L2-normalised', () => {
    const texts = ['the cat sat', 'the cat ran', 'a dog sat', 'the dog ran', 'cat cat cat'];
    const labels = [0, 1, 0, 1, 1];
    const m = trainTfidf(texts, labels, { minDf: 2, Cs: [1] });
    assert.ok(m.vocabulary.includes('the cat'));
    assert.ok(m.vocabulary.includes('sat'));
    assert.ok(!m.vocabulary.includes('cat sat'), 'a bigram in one document is below min_df 2');
    assert.ok(!m.vocabulary.includes('a'), 'single-character tokens are not terms');
    const uni = trainTfidf(texts, labels, { minDf: 1, ngramMax: 1, Cs: [1] });
    assert.ok(uni.vocabulary.every((t) => !t.includes(' ')));
    const sub = trainTfidf(texts, labels, { minDf: 1, sublinearTf: true, Cs: [1] });
    assert.notDeepEqual(sub.weights, trainTfidf(texts, labels, { minDf: 1, Cs: [1] }).weights);
    // Smooth idf: ln((1+n)/(1+df)) + 1; "the" is in 3 of 5 documents.
    const j = m.vocabulary.indexOf('the');
    assert.ok(Math.abs(m.idf[j] - (Math.log(6 / 4) + 1)) < 1e-12);
  });

  test('≥ 95% k-fold accuracy on a separable synthetic set, C chosen by inner CV', async () => {
    const { texts, labels } = syntheticSet(300, 11);
    const r = await kFoldEvaluate(texts, labels, 5, 42, { minDf: 2, Cs: [1 / 16, 1, 16], cvFolds: 3 });
    assert.ok(r.accuracy >= 0.95, `accuracy ${r.accuracy}`);
    assert.equal(r.foldAccuracy.length, 5);
    assert.ok(r.outOfFold.every((p) => p >= 0 && p <= 1));
    const model = trainTfidf(texts, labels, { minDf: 2, Cs: [1 / 16, 1, 16], cvFolds: 3 });
    assert.deepEqual(Object.keys(model.cvAccuracy).sort(), ['0.0625', '1', '16']);
    assert.equal(model.C, Number(Object.entries(model.cvAccuracy).sort((a, b) => b[1] - a[1] || Number(a[0]) - Number(b[0]))[0][0]));
    const [pm, ph] = predict(model, ['machine3x machine7x kalo', 'human3x human9x kalo']);
    assert.ok(pm > 0.5 && ph < 0.5);
    assert.match(tfidfModelHash(model), /^[0-9a-f]{64}$/);
  });

  test('chance ± 5% with shuffled labels', async () => {
    const { texts, labels } = syntheticSet(1000, 12);
    const shuffled = shuffle(labels, createRng(99));
    const r = await kFoldEvaluate(texts, shuffled, 5, 7, { minDf: 2, Cs: [1 / 4, 4], cvFolds: 3 });
    assert.ok(Math.abs(r.accuracy - 0.5) <= 0.05, `accuracy ${r.accuracy} with shuffled labels`);
  });

  test('bad input is refused with a clear error', async () => {
    assert.throws(() => trainTfidf(['a b', 'c d'], [0]), /2 texts but 1 labels/);
    assert.throws(() => trainTfidf(['aa bb', 'cc dd'], [1, 1]), /both human \(0\) and machine \(1\)/);
    assert.throws(() => trainTfidf(['aa bb', 'cc dd'], [0, 2]), /label 1 is 2/);
    await assert.rejects(() => kFoldEvaluate(['aa', 'bb', 'cc', 'dd'], [0, 1, 0, 1], 1, 1), /k must be/);
    await assert.rejects(() => kFoldEvaluate(['aa', 'bb', 'cc', 'dd', 'ee'], [0, 1, 0, 1, 1], 3, 1), /3-fold needs at least 3 texts of each label \(the rarer label has 2\)/);
    const m = trainTfidf(['aa bb', 'cc dd', 'aa ee', 'cc ff'], [0, 1, 0, 1], { minDf: 1, Cs: [1] });
    const [p] = predict(m, ['']);
    assert.ok(p > 0 && p < 1, 'an empty text scores as the intercept alone');
  });
});

describe('TF-IDF cross-fit on worker threads', () => {
  test('folds on worker threads give exactly what they give on the calling thread', async () => {
    const { texts, labels } = syntheticSet(300, 13);
    const options = { minDf: 2, Cs: [1 / 16, 1, 16], cvFolds: 3 };
    const here = await kFoldEvaluate(texts, labels, 4, 5, { ...options, workers: 0 });
    const threaded = await kFoldEvaluate(texts, labels, 4, 5, { ...options, workers: 2 });
    assert.deepEqual(threaded.chosenC, here.chosenC);
    assert.deepEqual(threaded.outOfFold, here.outOfFold);
    assert.equal(threaded.accuracy, here.accuracy);
    await assert.rejects(() => kFoldEvaluate(texts, labels, 4, 5, { ...options, workers: -1 }), /workers must be an integer ≥ 0 \(got -1\)/);
  });

  test('1,600 Brown texts: the chosen C per fold and the accuracy of the code before warm starts (f104f04)', async () => {
    const { texts, labels } = crossFitTexts();
    assert.equal(texts.length, 1600);
    const r = await kFoldEvaluate(texts, labels, 5, 1);
    assert.deepEqual(r.chosenC, CROSS_FIT_BEFORE.chosenC);
    assert.equal(r.accuracy, CROSS_FIT_BEFORE.accuracy);
  });
});
