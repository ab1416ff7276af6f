// Detectors beside people. Each (detector, metric) becomes a "machine score"
// per stimulus, oriented so that higher means more machine-like:
//   fake_probability as is; real_probability as 1 − p; tfidf/roberta
//   probabilities thresholded at 0.5; zero-shot statistics oriented by the
//   table below and thresholded at the cut that maximises accuracy on a
//   seeded half of the stimuli, evaluated on the other half ("split"; the
//   cut chosen on all stimuli is reported beside it as "oracle").
// Then AUROC (DeLong CI) and accuracy, overall and by model size,
// sampling and length bin; the TF-IDF transfer matrix; and, per stimulus,
// the share of people who said "machine" against each detector.
import type { DetectorScoreRow, StimulusRow } from './rows.ts';
import { lengthBin, LENGTH_BINS } from './collect.ts';
import { auroc, type Auroc } from './stats/auroc.ts';
import { wilsonInterval, type Proportion } from './stats/wilson.ts';
import { spearman, type Correlation } from './stats/correlation.ts';
import { createRng, deriveSeed, shuffle } from '../studies/random.ts';

/**
 * +1: higher = machine; −1: lower = machine. Zero-shot directions follow GLTR /
 * the top-k case of the GPT-2 report: machine text sits in the model's top-10,
 * so it has fewer tokens in the lower GLTR buckets. Metrics not listed here
 * (e.g. the token counts all_tokens / used_tokens that detectors also store)
 * are descriptions of the text, not detector scores, and are not analysed.
 */
export const METRIC_DIRECTION: Record<string, 1 | -1> = {
  fake_probability: 1,
  real_probability: -1,
  mean_logprob: 1,
  mean_rank: -1,
  mean_log_rank: -1,
  mean_entropy: -1,
  gltr_top10: 1,
  gltr_top100: -1,
  gltr_top1000: -1,
  gltr_rest: -1,
  lrr: 1,
  fast_detectgpt: 1,
};

const PROBABILITY_METRICS = new Set(['fake_probability', 'real_probability']);

export interface DetectorGroup {
  group: string;
  value: string;
  n: number;
  accuracy: Proportion;
  auroc: Auroc | null;
}

export interface DetectorResult {
  detector: string;
  metric: string;
  modelHash: string;
  direction: 1 | -1;
  n: number;
  auroc: Auroc;
  threshold: number;
  thresholdKind: 'fixed 0.5' | 'split';
  accuracy: Proportion;
  oracleThreshold: number;
  oracleAccuracy: number;
  groups: DetectorGroup[];
}

export interface PeopleVsDetector {
  detector: string;
  metric: string;
  items: number;
  spearman: Correlation;
  /** Machine texts most people took for human that the detector flags (score ≥ its threshold). */
  foolPeopleNotDetector: { stimulus_id: string; machineShare: number; score: number }[];
  /** Machine texts most people caught that the detector lets through. */
  foolDetectorNotPeople: { stimulus_id: string; machineShare: number; score: number }[];
}

export interface DetectorAnalysis {
  detectors: DetectorResult[];
  peopleVsDetectors: PeopleVsDetector[];
}

type Labelled = { s: StimulusRow; score: number; y: 0 | 1 };

export function analyzeDetectors(
  stimuli: readonly StimulusRow[],
  scores: readonly DetectorScoreRow[],
  machineShare: Map<string, { n: number; machine: number }> | null,
  seed = 1,
): DetectorAnalysis | null {
  if (scores.length === 0) return null;
  const byId = new Map(stimuli.map((s) => [s.stimulus_id, s]));
  const series = new Map<string, { detector: string; metric: string; hash: string; values: Map<string, number> }>();
  for (const r of scores) {
    const key = `${r.detector}\u0000${r.metric}`;
    let s = series.get(key);
    if (!s) series.set(key, (s = { detector: r.detector, metric: r.metric, hash: r.model_hash, values: new Map() }));
    s.values.set(r.stimulus_id, r.value);
  }
  const detectors: DetectorResult[] = [];
  const peopleVsDetectors: PeopleVsDetector[] = [];
  for (const s of series.values()) {
    // Both probabilities of one classifier say the same thing: keep fake_probability when both exist.
    if (s.metric === 'real_probability' && series.has(`${s.detector}\u0000fake_probability`)) continue;
    const dir = METRIC_DIRECTION[s.metric];
    if (dir === undefined) continue;
    const data: Labelled[] = [];
    for (const [id, v] of s.values) {
      const st = byId.get(id);
      if (!st || !Number.isFinite(v)) continue;
      data.push({ s: st, score: s.metric === 'real_probability' ? 1 - v : dir * v, y: st.source === 'machine' ? 1 : 0 });
    }
    if (!data.some((d) => d.y === 1) || !data.some((d) => d.y === 0)) continue;
    const isProb = PROBABILITY_METRICS.has(s.metric);
    const oracle = bestThreshold(data);
    let threshold: number;
    let evalSet: Labelled[];
    if (isProb) {
      threshold = 0.5;
      evalSet = data;
    } else {
      const rng = createRng(deriveSeed(seed, `split:${s.detector}:${s.metric}`));
      const shuffled = shuffle(data, rng);
      const half = Math.floor(shuffled.length / 2);
      threshold = bestThreshold(shuffled.slice(0, half)).threshold;
      evalSet = shuffled.slice(half);
    }
    const correct = evalSet.filter((d) => (d.score >= threshold ? 1 : 0) === d.y).length;
    const pos = data.filter((d) => d.y === 1).map((d) => d.score);
    const neg = data.filter((d) => d.y === 0).map((d) => d.score);
    const groups: DetectorGroup[] = [];
    const addGroups = (group: string, keyOf: (st: StimulusRow) => string | null, order?: readonly string[]) => {
      const by = new Map<string, Labelled[]>();
      for (const d of data) {
        const k = keyOf(d.s);
        if (k == null) continue;
        let l = by.get(k);
        if (!l) by.set(k, (l = []));
        l.push(d);
      }
      const keys = [...by.keys()].sort((a, b) => (order ? order.indexOf(a) - order.indexOf(b) : a.localeCompare(b, 'en', { numeric: true })));
      for (const k of keys) {
        const l = by.get(k)!;
        const x = l.filter((d) => (d.score >= threshold ? 1 : 0) === d.y).length;
        const onlyMachine = l.every((d) => d.y === 1);
        groups.push({ group, value: k, n: l.length, accuracy: wilsonInterval(x, l.length), auroc: onlyMachine ? auroc(l.map((d) => d.score), neg) : null });
      }
    };
    addGroups('model_size', (st) => (st.source === 'machine' ? st.model_size ?? 'unknown' : null));
    addGroups('sampling', (st) => (st.source === 'machine' ? st.sampling ?? 'unknown' : null));
    addGroups('length', (st) => lengthBin(st.length_words), [...LENGTH_BINS.map((b) => b.label), 'unknown']);
    const metricName = s.metric === 'real_probability' ? 'fake_probability (1 − real_probability)' : s.metric;
    detectors.push({
      detector: s.detector,
      metric: metricName,
      modelHash: s.hash,
      direction: dir,
      n: data.length,
      auroc: auroc(pos, neg),
      threshold,
      thresholdKind: isProb ? 'fixed 0.5' : 'split',
      accuracy: wilsonInterval(correct, evalSet.length),
      oracleThreshold: oracle.threshold,
      oracleAccuracy: oracle.accuracy,
      groups,
    });
    if (machineShare && machineShare.size) {
      const rows = data.filter((d) => machineShare.has(d.s.stimulus_id));
      if (rows.length >= 3) {
        const share = rows.map((d) => machineShare.get(d.s.stimulus_id)!.machine / machineShare.get(d.s.stimulus_id)!.n);
        const mach = rows.map((d, i) => ({ stimulus_id: d.s.stimulus_id, machineShare: share[i], score: d.score, y: d.y }));
        peopleVsDetectors.push({
          detector: s.detector,
          metric: metricName,
          items: rows.length,
          spearman: spearman(share, rows.map((d) => d.score)),
          foolPeopleNotDetector: mach
            .filter((m) => m.y === 1 && m.machineShare < 0.5 && m.score >= threshold)
            .sort((a, b) => a.machineShare - b.machineShare)
            .slice(0, 10)
            .map(({ y: _y, ...m }) => m),
          foolDetectorNotPeople: mach
            .filter((m) => m.y === 1 && m.machineShare >= 0.5 && m.score < threshold)
            .sort((a, b) => b.machineShare - a.machineShare)
            .slice(0, 10)
            .map(({ y: _y, ...m }) => m),
        });
      }
    }
  }
  return { detectors, peopleVsDetectors };
}

/** The cut (score ≥ cut → machine) with the highest accuracy, scanning every distinct score. */
export function bestThreshold(data: readonly { score: number; y: 0 | 1 }[]): { threshold: number; accuracy: number } {
  if (data.length === 0) return { threshold: NaN, accuracy: NaN };
  const sorted = data.slice().sort((a, b) => a.score - b.score);
  const totalPos = sorted.filter((d) => d.y === 1).length;
  // Cut below everything: all called machine.
  let best = { threshold: sorted[0].score, accuracy: totalPos / sorted.length };
  let negBelow = 0, posBelow = 0;
  for (let i = 0; i < sorted.length; i++) {
    if (sorted[i].y === 1) posBelow++;
    else negBelow++;
    if (i + 1 < sorted.length && sorted[i + 1].score === sorted[i].score) continue;
    const acc = (negBelow + (totalPos - posBelow)) / sorted.length;
    if (acc > best.accuracy) {
      const next = i + 1 < sorted.length ? sorted[i + 1].score : sorted[i].score + 1;
      best = { threshold: (sorted[i].score + next) / 2, accuracy: acc };
    }
  }
  return best;
}

/** Trains on texts with labels (1 = machine) and returns a scorer giving P(machine). */
export type TrainFn = (texts: string[], labels: number[]) => (texts: string[]) => number[];

export interface TransferMatrix {
  /** Machine-text conditions: "model_size · sampling". */
  conditions: string[];
  /** accuracy[i][j]: trained on condition i, tested on condition j (held-out halves, human texts split likewise). */
  accuracy: number[][];
  nTest: number[][];
}

/**
 * The analogue of the GPT-2 report's Figure 1: train TF-IDF on the human texts
 * plus one condition's machine texts, test on held-out human texts plus another
 * condition's held-out machine texts. Train and test halves never overlap.
 */
export function transferMatrix(stimuli: readonly StimulusRow[], train: TrainFn, seed = 1): TransferMatrix | null {
  const rng = createRng(deriveSeed(seed, 'tfidf-transfer'));
  const human = shuffle(stimuli.filter((s) => s.source === 'human'), rng);
  const byCond = new Map<string, StimulusRow[]>();
  for (const s of stimuli) {
    if (s.source !== 'machine') continue;
    const k = `${s.model_size ?? '?'} · ${s.sampling ?? '?'}`;
    let l = byCond.get(k);
    if (!l) byCond.set(k, (l = []));
    l.push(s);
  }
  const conditions = [...byCond.keys()].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  if (conditions.length === 0 || human.length < 4) return null;
  const hHalf = Math.floor(human.length / 2);
  const humanTrain = human.slice(0, hHalf), humanTest = human.slice(hHalf);
  const halves = new Map(conditions.map((k) => {
    const l = shuffle(byCond.get(k)!, rng);
    const h = Math.floor(l.length / 2);
    return [k, { train: l.slice(0, h), test: l.slice(h) }] as const;
  }));
  const accuracy: number[][] = [], nTest: number[][] = [];
  for (const a of conditions) {
    const tr = [...humanTrain, ...halves.get(a)!.train];
    const predict = train(tr.map((s) => s.text), tr.map((s) => (s.source === 'machine' ? 1 : 0)));
    const row: number[] = [], nRow: number[] = [];
    for (const b of conditions) {
      const te = [...humanTest, ...halves.get(b)!.test];
      const p = predict(te.map((s) => s.text));
      let x = 0;
      te.forEach((s, i) => (x += (p[i] >= 0.5 ? 1 : 0) === (s.source === 'machine' ? 1 : 0) ? 1 : 0));
      row.push(te.length ? x / te.length : NaN);
      nRow.push(te.length);
    }
    accuracy.push(row);
    nTest.push(nRow);
  }
  return { conditions, accuracy, nTest };
}
