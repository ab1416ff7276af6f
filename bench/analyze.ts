// bench/analyze: 1M synthetic responses in a temporary SQLite store (the real
// schema), then, in the same run: the time to read them back through the
// store's streaming iterator (the anchor), the full analysis as the /admin
// results run it (analysisInput: the store's analysis reads, the same rows with
// only the columns the analysis reads), the report (analysis + figures + HTML,
// from the whole rows, as `credence analyze`) and the long-CSV export,
// with the ratio to the read time (target: analysis ≤ 3×) and peak RSS.
//
//   npx tsx bench/analyze.ts [--responses 1000000] [--rounds 3] [--db FILE] [--keep]
//
// Against a plain `SELECT` of the same rows with better-sqlite3's `.iterate()`
// (target: analysis ≤ 2×), raw read and analysis run in interleaved pairs after a
// warm-up (raw, analysis; then analysis, raw; …), so machine noise hits both
// sides alike; each pair's ratio and the median ratio are printed, wall and CPU.
//
// Half the rows come from kreps-credibility (credibility items, bootstraps,
// party table), half from human-or-machine (judgments, d′, AUROC,
// Krippendorff's alpha over texts, detector scores). The machine is shared:
// numbers are noisy.
import { mkdtempSync, rmSync, createWriteStream, existsSync } from 'node:fs';
import { createHash } from 'node:crypto';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadStudy } from '../studies/load.ts';
import { SqliteStore } from '../server/store/sqlite.ts';
import { simulateDataset } from '../analysis/simulate.ts';
import { analyzeStudy } from '../analysis/analyze.ts';
import { analysisInput } from '../server/store/study-data.ts';
import { PARTICIPANT_KINDS } from '../studies/vocabulary/participant-kinds.ts';
import { buildReport } from '../analysis/report.ts';
import { SOFTWARE } from '../server/cli/version.ts';
import { writeLongCsv } from '../analysis/export/long-csv.ts';
import type { DetectorScoreRow, ResponseRow } from '../analysis/rows.ts';

const USAGE = `npx tsx bench/analyze.ts [--responses N] [--rounds N] [--db FILE] [--keep]

  --responses N  responses to simulate (default 1000000; half per study)
  --rounds N     interleaved pairs of raw .iterate() and full analysis after the warm-up (default 3)
  --db FILE      reuse this bench database (filled first when it does not exist; never deleted)
  --keep         keep the temporary database`;
const args = process.argv.slice(2);
if (args.includes('--help') || args.includes('-h')) {
  console.log(USAGE);
  process.exit(0);
}
const arg = (name: string, dflt: string) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] ? args[i + 1] : dflt;
};
const count = (name: string, dflt: string) => {
  const n = Number(arg(name, dflt));
  if (!Number.isInteger(n) || n < 1) {
    console.error(`${name} must be a whole number ≥ 1, got ${arg(name, dflt)}\n\n${USAGE}`);
    process.exit(2);
  }
  return n;
};
const TOTAL = count('--responses', '1000000');
const ROUNDS = count('--rounds', '3');
const DB = args.includes('--db') ? arg('--db', '') : '';
if (args.includes('--db') && !DB) {
  console.error(`--db needs a file\n\n${USAGE}`);
  process.exit(2);
}
const KEEP = args.includes('--keep');
const STUDIES = ['kreps-credibility', 'human-or-machine'];

const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MB`;
const secs = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

async function fill(store: SqliteStore, studyId: string, target: number): Promise<number> {
  const loaded = loadStudy(studyId);
  const { protocol, version } = loaded;
  const db = store.db;
  const insP = db.prepare(`INSERT INTO participants (id, study_id, version, idx, token_hash, prolific_pid, condition, seed,
    page_index, page_started_at, status, flagged, started_at, ended_at, last_seen_at, pages_total) VALUES (?, ?, ?, ?, ?, NULL, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?)`);
  // Each participant's real plan, as the engine stores it (a shipped study's is 10-20 kB): reading the
  // participants must not pay for the plans' size.
  const insPlan = db.prepare(`INSERT INTO participant_plans (participant_id, plan_json) VALUES (?, ?)`);
  const insR = db.prepare(`INSERT INTO responses (participant_id, client_id, page_index, page_kind, block, trial_index, stimulus_id, rt_ms,
    timed_out, events_json, blur_count, submitted_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, '[]', ?, ?)`);
  const insA = db.prepare(`INSERT INTO answers (response_id, question_id, question_type, value_json, value_num, value_text, correct) VALUES (?, ?, ?, ?, ?, ?, ?)`);
  let rows = 0, chunk = 0, idx = 0;
  const effects: Record<string, number> = studyId === 'kreps-credibility' ? { gpt2_1_5b: 0.4 } : {};
  while (rows < target) {
    const data = simulateDataset(protocol, { n: 500, effects, careless: 0.05, detectionEffect: 0.3, seed: 17, withPlans: true }, chunk);
    if (chunk === 0) {
      await store.registerStudy({
        protocol,
        version,
        file: loaded.file,
        stimuli: data.stimuli.map((s) => ({ id: s.stimulus_id, pool: s.pool, text: s.text, label: { source: s.source, ...(s.model_size ? { model_size: s.model_size } : {}), ...(s.sampling ? { sampling: s.sampling } : {}) }, length_words: s.length_words })),
      });
      if (studyId === 'human-or-machine') {
        const scores: DetectorScoreRow[] = data.stimuli.flatMap((s, i) => [
          { study_id: studyId, stimulus_id: s.stimulus_id, detector: 'roberta', model_hash: 'bench', metric: 'real_probability', value: s.source === 'human' ? 0.55 + (i % 9) / 20 : 0.05 + (i % 11) / 20, scored_at: '2026-01-01T00:00:00Z' },
          { study_id: studyId, stimulus_id: s.stimulus_id, detector: 'zero-shot', model_hash: 'bench', metric: 'mean_log_rank', value: (s.source === 'human' ? 3 : 2.4) + ((i * 7) % 13) / 10, scored_at: '2026-01-01T00:00:00Z' },
        ]);
        await store.putDetectorScores(scores);
      }
    }
    db.transaction(() => {
      data.participants.forEach((p, i) => {
        const plan = data.plans![i];
        insP.run(`${studyId}:${p.participant_id}`, studyId, version, idx++, `${studyId}:${p.participant_id}`, p.condition, p.assignment_seed, p.page_index, Date.parse(p.started_at), p.status, Date.parse(p.started_at), Date.parse(p.ended_at!), Date.parse(p.ended_at!), plan.length);
        insPlan.run(`${studyId}:${p.participant_id}`, JSON.stringify(plan));
      });
      let last: ResponseRow | null = null;
      let responseId = 0 as number | bigint;
      for (const r of data.responses) {
        if (!last || last.participant_id !== r.participant_id || last.page_index !== r.page_index) {
          responseId = insR.run(`${studyId}:${r.participant_id}`, r.client_id, r.page_index, r.page_kind, r.block, r.trial_index, r.stimulus_id, r.rt_ms, r.timed_out ? 1 : 0, r.blur_count, Date.parse(r.submitted_at)).lastInsertRowid;
        }
        insA.run(responseId, r.question_id, r.question_type, r.value_json, r.value_num, r.value_text, r.correct == null ? null : r.correct ? 1 : 0);
        last = r;
        rows++;
      }
    })();
    chunk++;
  }
  return rows;
}

/**
 * Peak RSS while `fn` runs, and the peak of V8's heap (heapTotal: what the JS heap holds from the system)
 * beside it, to tell JS garbage from native memory. Sampled every 20 ms and whenever `fn` calls `sample`:
 * a synchronous analysis gives the timer no turn, so it samples between studies (the process-wide maxRSS
 * also counts the fill).
 */
async function withRss<T>(fn: (sample: () => void) => Promise<T> | T): Promise<{ value: T; peak: number; heap: number }> {
  let peak = 0;
  let heap = 0;
  const sample = () => {
    const m = process.memoryUsage();
    peak = Math.max(peak, m.rss);
    heap = Math.max(heap, m.heapTotal);
  };
  sample();
  const timer = setInterval(sample, 20);
  try {
    const value = await fn(sample);
    sample();
    return { value, peak, heap };
  } finally {
    clearInterval(timer);
  }
}

/** CPU seconds of this process since `from` (process.cpuUsage()): less swayed than wall time by other work on a shared machine. */
const cpuSince = (from: NodeJS.CpuUsage) => {
  const c = process.cpuUsage(from);
  return (c.user + c.system) / 1e6;
};

async function timeRead(store: SqliteStore): Promise<{ ms: number; cpu: number; rows: number }> {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  let rows = 0;
  for (const id of STUDIES) for (const _r of await store.iterateResponses(id)) rows++;
  return { ms: performance.now() - t0, cpu: cpuSince(c0), rows };
}

/** A lower anchor: the same answer rows straight from SQLite, no join to participants/stimuli, no ORDER BY, no objects. */
function timeRaw(store: SqliteStore): { ms: number; cpu: number; rows: number } {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  let rows = 0;
  for (const _r of store.db.prepare('SELECT r.*, a.* FROM answers a JOIN responses r ON r.id = a.response_id').raw().iterate()) rows++;
  return { ms: performance.now() - t0, cpu: cpuSince(c0), rows };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

const tmp = DB ? '' : mkdtempSync(join(tmpdir(), 'credence-bench-analyze-'));
const dbPath = DB || join(tmp, 'bench.db');
const dir = DB ? mkdtempSync(join(tmpdir(), 'credence-bench-analyze-')) : tmp; // the export's CSV files
try {
  let store: SqliteStore;
  if (DB && existsSync(DB)) {
    console.log(`reusing ${DB}`);
  } else {
    store = new SqliteStore(dbPath);
    store.db.pragma('synchronous = OFF'); // filling only; the measured part reads
    const tf = performance.now();
    let total = 0;
    for (const id of STUDIES) total += await fill(store, id, TOTAL / STUDIES.length);
    await store.close();
    console.log(`filled ${total} responses in ${secs(performance.now() - tf)} (${dbPath})`);
  }

  store = new SqliteStore(dbPath);
  await timeRead(store); // warm the page cache so the anchor and the analysis read alike
  const read1 = await timeRead(store);
  const rssBefore = process.memoryUsage().rss;

  // The export first, so its RSS is not hidden by what the analysis allocated.
  const te = performance.now();
  const ex = await withRss(async () => {
    let n = 0;
    for (const id of STUDIES) n += await writeLongCsv(await store.iterateResponses(id), createWriteStream(join(dir, `${id}.csv`)));
    return n;
  });
  const exportMs = performance.now() - te;
  const exported = ex.value;

  const runAnalysis = async (sample: () => void) => {
    const out = [];
    for (const id of STUDIES) {
      // As the /admin results read it: only the columns the analysis reads.
      out.push(analyzeStudy((await analysisInput(store, id, PARTICIPANT_KINDS))!));
      sample();
    }
    return out;
  };
  const timeAnalysis = async () => {
    const ta = performance.now();
    const ca = process.cpuUsage();
    const an = await withRss(runAnalysis);
    return { ms: performance.now() - ta, cpu: cpuSince(ca), an };
  };
  // Warm-up: raw, analysis, raw, so neither side pays for compiling or first touching the pages (the first
  // raw read after the first analysis ran 1.7 CPU s slower than the others in two runs of three pairs).
  timeRaw(store);
  const warm = await timeAnalysis();
  timeRaw(store);
  const memory: string[] = [`warm-up: ${mb(warm.an.peak)} RSS, V8 heap ${mb(warm.an.heap)}`];
  // Interleaved pairs, alternating which side goes first (raw, analysis; analysis, raw; …): the machine's
  // noise, and whatever the previous run left to collect, falls on both sides alike.
  const pairs: { raw: ReturnType<typeof timeRaw>; analysis: Awaited<ReturnType<typeof timeAnalysis>> }[] = [];
  for (let k = 0; k < ROUNDS; k++) {
    let raw: ReturnType<typeof timeRaw>;
    let analysis: Awaited<ReturnType<typeof timeAnalysis>>;
    if (k % 2 === 0) {
      raw = timeRaw(store);
      analysis = await timeAnalysis();
    } else {
      analysis = await timeAnalysis();
      raw = timeRaw(store);
    }
    pairs.push({ raw, analysis });
    memory.push(`run ${k + 1}: ${mb(analysis.an.peak)} RSS, V8 heap ${mb(analysis.an.heap)}`);
  }
  const results = pairs[pairs.length - 1].analysis.an.value;
  // Every run gives the same analysis: its md5 (of the JSON of both studies' results) tells a change of output.
  const digests = new Set([warm, ...pairs.map((p) => p.analysis)].map((a) => createHash('md5').update(JSON.stringify(a.an.value)).digest('hex')));
  // The best of the rounds on each side, for the lines earlier runs printed.
  const rawMs = Math.min(...pairs.map((p) => p.raw.ms));
  const rawCpu = Math.min(...pairs.map((p) => p.raw.cpu));
  const rawRows = pairs[0].raw.rows;
  const analysisMs = Math.min(...pairs.map((p) => p.analysis.ms));
  const analysisCpu = Math.min(...pairs.map((p) => p.analysis.cpu));
  // Part of the analysis time is the store building its participant rows.
  const tp = performance.now();
  const cp = process.cpuUsage();
  for (const id of STUDIES) await store.participantsForAnalysis(id);
  const participantsMs = performance.now() - tp;
  const participantsCpu = cpuSince(cp);
  const read2 = await timeRead(store);
  const readMs = Math.min(read1.ms, read2.ms);
  const readCpu = Math.min(read1.cpu, read2.cpu);

  const tr = performance.now();
  for (const id of STUDIES) {
    await buildReport({ study: (await store.studyVersion(id))!.protocol, participants: await store.participants(id), responses: await store.iterateResponses(id), stimuli: await store.stimuli(id), scores: await store.detectorScores(id), software: SOFTWARE });
  }
  const reportMs = performance.now() - tr;
  await store.close();

  const peak = process.resourceUsage().maxRSS * 1024;
  console.log(`responses read: ${read1.rows} (analysed ${results.reduce((s, r) => s + r.responses, 0)}, exported ${exported})`);
  const cpu = (s: number) => `${s.toFixed(2)} CPU s`;
  console.log(`anchor  read through store.iterateResponses : ${secs(readMs)}, ${cpu(readCpu)}  (${Math.round(read1.rows / (readMs / 1000)).toLocaleString('en')} rows/s)`);
  console.log(`raw SQLite .iterate() of the answer rows   : ${secs(rawMs)}, ${cpu(rawCpu)}  (${rawRows} rows; analysis is ${(analysisMs / rawMs).toFixed(2)}× this in wall time, ${(analysisCpu / rawCpu).toFixed(2)}× in CPU time; target ≤ 2×; best of ${ROUNDS} each)`);
  console.log(`full analysis (read included)              : ${secs(analysisMs)}, ${cpu(analysisCpu)}  ratio ${(analysisMs / readMs).toFixed(2)}× read in wall time, ${(analysisCpu / readCpu).toFixed(2)}× in CPU time (target ≤ 3×)`);
  console.log(`  of which store.participantsForAnalysis() : ${secs(participantsMs)}, ${cpu(participantsCpu)}`);
  console.log(`report: analysis + figures + HTML          : ${secs(reportMs)}  ratio ${(reportMs / readMs).toFixed(2)}× read`);
  console.log(`long CSV export                            : ${secs(exportMs)}  ratio ${(exportMs / readMs).toFixed(2)}× read`);
  console.log(`RSS after the reads ${mb(rssBefore)}; peak during export ${mb(ex.peak)}; peak during analysis ${memory.join('; ')}; peak of the whole run ${mb(peak)} (includes the fill)`);
  console.log(`analysis vs raw .iterate(), interleaved pairs after a warm-up (target ≤ 2×):`);
  pairs.forEach((p, k) => {
    const order = k % 2 === 0 ? 'raw first     ' : 'analysis first';
    console.log(`  pair ${k + 1} (${order}): raw ${secs(p.raw.ms)}, ${cpu(p.raw.cpu)}; analysis ${secs(p.analysis.ms)}, ${cpu(p.analysis.cpu)}; ratio ${(p.analysis.ms / p.raw.ms).toFixed(2)}× wall, ${(p.analysis.cpu / p.raw.cpu).toFixed(2)}× CPU`);
  });
  console.log(`  median of ${ROUNDS} pairs: ${median(pairs.map((p) => p.analysis.ms / p.raw.ms)).toFixed(2)}× wall, ${median(pairs.map((p) => p.analysis.cpu / p.raw.cpu)).toFixed(2)}× CPU`);
  console.log(`analysis JSON md5 (both studies): ${[...digests].join(', ')}${digests.size > 1 ? ' (RUNS DIFFER)' : ''}`);
  console.log(`load average (1, 5, 15 min) at the end: ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}; 2 shared cores, other work running: wall times are noisy, CPU times less so.`);
} finally {
  if (!KEEP && tmp) rmSync(tmp, { recursive: true, force: true });
  if (DB) rmSync(dir, { recursive: true, force: true });
}
