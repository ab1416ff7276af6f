// The TF-IDF detector's 5-fold cross-fit with the C search (13 values of C,
// inner 5-fold CV in each outer fold), as `credence score` runs it, on 1,600
// real texts: 800 of informative prose (Brown sections A–J) labelled human and
// 800 of imaginative prose (K–R) labelled machine, about 250 words each: the
// same shape and vocabulary size as 800 + 800 WebText / GPT-2 records, and a
// task that is neither trivial nor hopeless. Measured in CPU seconds of the
// whole process (every worker thread included), beside wall-clock time.
import { readdirSync } from 'node:fs';
import { brownSentences } from '../../server/stimuli/index.ts';
import { brownDir } from '../../server/stimuli/brown.ts';
import { kFoldEvaluate } from '../../server/detectors/tfidf.ts';

export function crossFitTexts(perLabel = 800, words = 250): { texts: string[]; labels: number[] } {
  const files = readdirSync(brownDir()).filter((f) => /^c[a-r]\d\d$/.test(f)).sort();
  const texts: string[] = [];
  const labels: number[] = [];
  for (const [label, section] of [[0, /^c[a-j]/], [1, /^c[k-r]/]] as const) {
    let made = 0;
    for (const file of files.filter((f) => section.test(f))) {
      let buf: string[] = [];
      let count = 0;
      for (const s of brownSentences(file)) {
        buf.push(s.text);
        count += s.text.split(/\s+/).length;
        if (count >= words) {
          texts.push(buf.join(' '));
          labels.push(label);
          buf = [];
          count = 0;
          if (++made === perLabel) break;
        }
      }
      if (made === perLabel) break;
    }
    if (made < perLabel) throw new Error(`Brown corpus: only ${made} texts of ${words} words for label ${label}`);
  }
  return { texts, labels };
}

/**
 * The cross-fit on crossFitTexts() as the code before warm starts and per-fold
 * matrices ran it (commit f104f04, measured with timeCrossFit): its CPU time,
 * and the chosen C per fold and accuracy that every faster version must keep.
 */
export const CROSS_FIT_BEFORE = { cpuSeconds: 268.3, accuracy: 0.96625, chosenC: [64, 64, 32, 64, 64] };

export interface CrossFitTiming {
  cpuSeconds: number;
  wallSeconds: number;
  accuracy: number;
  chosenC: number[];
}

export async function timeCrossFit(texts: string[], labels: number[]): Promise<CrossFitTiming> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const r = await kFoldEvaluate(texts, labels, 5, 1);
  const cpu = process.cpuUsage(cpu0);
  return { cpuSeconds: (cpu.user + cpu.system) / 1e6, wallSeconds: (performance.now() - t0) / 1000, accuracy: r.accuracy, chosenC: r.chosenC };
}

// Run on its own: npx tsx bench/score/tfidf-cross-fit.ts
if (import.meta.url === `file://${process.argv[1]}`) {
  const { texts, labels } = crossFitTexts();
  const r = await timeCrossFit(texts, labels);
  console.log(`TF-IDF 5-fold cross-fit with the C search, ${texts.length} texts: ${r.cpuSeconds.toFixed(1)} CPU s, ${r.wallSeconds.toFixed(1)} s wall, accuracy ${(100 * r.accuracy).toFixed(2)}%, C per fold [${r.chosenC.join(', ')}]`);
}
