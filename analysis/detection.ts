// Human detection: could people tell machine text from human text? Accuracy
// against chance (exact binomial), d′ and c with "machine" as the signal
// (log-linear correction on every cell), the AUROC of the full judgment scale,
// accuracy by model size, sampling and length bin, per condition, the
// per-participant accuracy distribution, confidence calibration and
// Krippendorff's alpha over texts judged by several people.
import type { Collected, Judgments } from './collect.ts';
import { lengthBin, LENGTH_BINS } from './collect.ts';
import { keeps, type Exclusions } from './exclusions.ts';
import { wilsonInterval, type Proportion } from './stats/wilson.ts';
import { binomialTest } from './stats/binomial-test.ts';
import { sdt, type Sdt } from './stats/sdt.ts';
import { auroc, type Auroc } from './stats/auroc.ts';
import { krippendorffAlpha, type Alpha } from './stats/krippendorff.ts';
import { summarize } from './stats/describe.ts';
import { quantileSorted } from './stats/mean-ci.ts';

/** "124M" → 1.24e8, "1.5B" → 1.5e9, so model sizes sort by size, not as text; sizes that do not parse go last. */
export function parameterCount(size: string): number {
  const m = /^([\d.]+)\s*([kMB])?\b/i.exec(size);
  if (!m) return Infinity;
  return Number(m[1]) * ({ k: 1e3, m: 1e6, b: 1e9 }[(m[2] ?? '').toLowerCase()] ?? 1);
}

export interface GroupAccuracy {
  group: string;
  value: string;
  /** Judgments of texts in the group. */
  n: number;
  accuracy: Proportion;
  /** Machine texts of the group against every human text (null for human-only groups). */
  auroc: Auroc | null;
}

export interface DetectionAnalysis {
  judgments: number;
  dropped: number;
  accuracy: Proportion;
  binomialP: number;
  sdt: Sdt;
  auroc: Auroc;
  groups: GroupAccuracy[];
  perParticipant: { n: number; mean: number; sd: number; min: number; q25: number; median: number; q75: number; max: number; histogram: { bin: string; count: number }[] };
  calibration: { confidence: number; label: string; n: number; accuracy: Proportion }[];
  agreementNominal: Alpha | null;
  agreementOrdinal: Alpha | null;
}

export function analyzeDetection(c: Collected, ex: Exclusions): DetectionAnalysis | null {
  const js = c.judgments;
  // The judgments kept by the exclusions, as indexes into the columns, in the order they were read.
  const all = keptJudgments(js, ex);
  if (all.length === 0) return null;
  let correct = 0, hits = 0, misses = 0, fa = 0, cr = 0;
  const machineVals: number[] = [], humanVals: number[] = [];
  for (const j of all) {
    if (js.correct(j)) correct++;
    if (js.machine[j] === 1) {
      machineVals.push(js.value[j]);
      if (js.saidMachine[j] === 1) hits++;
      else misses++;
    } else {
      humanVals.push(js.value[j]);
      if (js.saidMachine[j] === 1) fa++;
      else cr++;
    }
  }
  const groups: GroupAccuracy[] = [];
  const addGroups = (group: string, keyOf: (j: number) => string | null, order?: readonly string[] | ((a: string, b: string) => number)) => {
    // One pass counts every group (a group of a million-answer study holds hundreds of thousands): no list per group.
    const by = new Map<string, { n: number; x: number; pos: number[] }>();
    for (const j of all) {
      const k = keyOf(j);
      if (k == null) continue;
      let g = by.get(k);
      if (!g) by.set(k, (g = { n: 0, x: 0, pos: [] }));
      g.n++;
      if (js.correct(j)) g.x++;
      if (js.machine[j] === 1) g.pos.push(js.value[j]);
    }
    const keys = [...by.keys()].sort(typeof order === 'function' ? order : (a, b) => (order ? order.indexOf(a) - order.indexOf(b) : a.localeCompare(b, 'en', { numeric: true })));
    for (const k of keys) {
      const { n, x, pos } = by.get(k)!;
      const onlyMachine = pos.length === n;
      groups.push({
        group,
        value: k,
        n,
        accuracy: wilsonInterval(x, n),
        auroc: onlyMachine && pos.length && humanVals.length ? auroc(pos, humanVals) : null,
      });
    }
  };
  const machine = (j: number) => js.machine[j] === 1;
  addGroups('source', (j) => (machine(j) ? 'machine' : 'human'), ['human', 'machine']);
  addGroups('model_size', (j) => (machine(j) ? js.name(js.modelSize[j]) ?? 'unknown' : null), (a, b) => parameterCount(a) - parameterCount(b) || a.localeCompare(b));
  addGroups('sampling', (j) => (machine(j) ? js.name(js.sampling[j]) ?? 'unknown' : null));
  addGroups('length', (j) => lengthBin(Number.isNaN(js.lengthWords[j]) ? null : js.lengthWords[j]), [...LENGTH_BINS.map((b) => b.label), 'unknown']);
  addGroups('condition', (j) => c.participants[js.p[j]].condition, c.conditions);

  // Per participant (counts by participant index; the accuracies are sorted, so their order of first appearance does not matter).
  const perN = new Float64Array(c.participants.length);
  const perX = new Float64Array(c.participants.length);
  for (const j of all) {
    perN[js.p[j]]++;
    if (js.correct(j)) perX[js.p[j]]++;
  }
  const accList: number[] = [];
  for (let p = 0; p < perN.length; p++) if (perN[p] > 0) accList.push(perX[p] / perN[p]);
  const accs = Float64Array.from(accList).sort();
  const summary = summarize(accs);
  const histogram = Array.from({ length: 10 }, (_, i) => ({ bin: `${i * 10}–${i === 9 ? 100 : i * 10 + 9}%`, count: 0 }));
  for (const a of accs) histogram[Math.min(9, Math.floor(a * 10))].count++;

  // Confidence: distance from the scale's middle (1 = least sure).
  const calib = new Map<number, { n: number; x: number; points: number }>();
  for (const j of all) {
    const points = js.points[j];
    const half = points / 2;
    const conf = js.saidMachine[j] === 1 ? js.value[j] - half : half + 1 - js.value[j];
    let s = calib.get(conf);
    if (!s) calib.set(conf, (s = { n: 0, x: 0, points }));
    s.n++;
    if (js.correct(j)) s.x++;
  }
  const calibration = [...calib.keys()].sort((a, b) => a - b).map((conf) => {
    const s = calib.get(conf)!;
    const levels = s.points / 2;
    const label = levels === 2 ? (conf === 1 ? 'possibly' : 'definitely') : `${conf} of ${levels}`;
    return { confidence: conf, label, n: s.n, accuracy: wilsonInterval(s.x, s.n) };
  });

  // Agreement over texts judged by several participants.
  const byStim = new Map<number, number[]>();
  for (const j of all) {
    const stimulus = js.stimulus[j];
    if (stimulus < 0) continue;
    let l = byStim.get(stimulus);
    if (!l) byStim.set(stimulus, (l = []));
    l.push(j);
  }
  const multi = [...byStim.values()].filter((l) => l.length >= 2);
  const agreementNominal = multi.length ? krippendorffAlpha(multi.map((l) => l.map((j) => js.saidMachine[j])), 'nominal') : null;
  const agreementOrdinal = multi.length ? krippendorffAlpha(multi.map((l) => l.map((j) => js.value[j])), 'ordinal') : null;

  return {
    judgments: all.length,
    dropped: js.n - all.length,
    accuracy: wilsonInterval(correct, all.length),
    binomialP: binomialTest(correct, all.length, 0.5).p,
    sdt: sdt({ hits, misses, falseAlarms: fa, correctRejections: cr }),
    auroc: auroc(machineVals, humanVals),
    groups,
    perParticipant: {
      n: summary.n,
      mean: summary.mean,
      sd: summary.sd,
      min: accs[0],
      q25: quantileSorted(accs, 0.25),
      median: quantileSorted(accs, 0.5),
      q75: quantileSorted(accs, 0.75),
      max: accs[accs.length - 1],
      histogram,
    },
    calibration,
    agreementNominal,
    agreementOrdinal,
  };
}

/** Share of judgments saying "machine", per stimulus (for the people-vs-detectors comparison). */
export function machineShareByStimulus(c: Collected, ex: Exclusions): Map<string, { n: number; machine: number }> {
  const js = c.judgments;
  const out = new Map<string, { n: number; machine: number }>();
  for (let j = 0; j < js.n; j++) {
    const stimulus = js.name(js.stimulus[j]);
    if (stimulus == null || !keeps(ex, js.p[j], js.fast[j] === 1)) continue;
    let s = out.get(stimulus);
    if (!s) out.set(stimulus, (s = { n: 0, machine: 0 }));
    s.n++;
    if (js.saidMachine[j] === 1) s.machine++;
  }
  return out;
}

/** The indexes of the judgments the exclusions keep, in the order they were read. */
function keptJudgments(js: Judgments, ex: Exclusions): Int32Array {
  const out = new Int32Array(js.n);
  let n = 0;
  for (let j = 0; j < js.n; j++) if (keeps(ex, js.p[j], js.fast[j] === 1)) out[n++] = j;
  return out.subarray(0, n);
}
