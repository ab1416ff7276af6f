// `credence analyze STUDY --out DIR` writes the report and every export;
// `credence export STUDY --format long|wide|jsonl|codebook` streams one export;
// `credence simulate STUDY --n N --effect cond=delta` estimates the power of
// each planned test. This file only reads the store and hands rows to the pure
// functions in analysis/.
import { createWriteStream, existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import type { Command } from 'commander';
import { loadStudy } from '../../studies/load.ts';
import { parseNumber, parsePositiveInt, UsageError } from './usage.ts';
import { countOption, dbOption, seedOption } from './options.ts';
import type { Protocol } from '../../studies/protocol.ts';
import { databaseMissing, describeDb, openStore } from '../store/open.ts';
import type { Store } from '../store/store.ts';
import { studyData, studyExport, type StudyData, type StudyExport } from '../store/study-data.ts';
import { trainTfidf, predict } from '../detectors/tfidf.ts';
import { buildReport } from '../../analysis/report.ts';
import { writeFigureFiles } from '../../analysis/figure-files.ts';
import type { TrainFn } from '../../analysis/detectors.ts';
import { writeLongCsv } from '../../analysis/export/long-csv.ts';
import { writeJsonl } from '../../analysis/export/jsonl.ts';
import { writeWideCsv } from '../../analysis/export/wide-csv.ts';
import { codebookEntries, writeCodebookCsv } from '../../analysis/export/codebook.ts';
import { buildMetadata } from '../../analysis/export/metadata.ts';
import { writeTableCsv } from '../../analysis/export/table-csv.ts';
import { simulatePower, type PowerReport } from '../../analysis/simulate.ts';
import { SOFTWARE } from './version.ts';
import { sha256File } from '../file-hash.ts';
import { leftOutText } from '../store/study-data.ts';
import { DEFAULT_KINDS, parseKinds, type ParticipantKind } from '../../studies/vocabulary/participant-kinds.ts';

/** STUDY is an id or a protocol file; the data and the protocol version that ran come from the database. */
/**
 * Opens the store and reads one study through `read`: studyData for the analysis, studyExport for what needs
 * no analysis read of the responses (an export streams them; on PostgreSQL the analysis read loads them all).
 */
export async function openStudy<T extends StudyExport = StudyData>(
  arg: string,
  db: string,
  kinds: readonly ParticipantKind[],
  read: (store: Store, studyId: string, kinds: readonly ParticipantKind[]) => Promise<T | undefined> = studyData as never,
): Promise<{ store: Store; data: T }> {
  if (databaseMissing(db)) throw new UsageError(`${db}: no such database (give --db FILE or postgres://…)`);
  let studyId = arg;
  if (/[\\/]/.test(arg) || /\.ya?ml$/i.test(arg)) studyId = loadStudy(arg).protocol.id;
  const store = await openStore({ db });
  const data = await read(store, studyId, kinds);
  if (!data) {
    const known = await store.studyIds();
    await store.close();
    throw new UsageError(`${describeDb(db)}: no study '${studyId}' (it has: ${known.join(', ') || 'none'})`);
  }
  return { store, data };
}

/** TF-IDF trainer for the transfer matrix; min_df 5 as the baseline, 1 for small studies. */
const tfidfTrain: TrainFn = (texts, labels) => {
  const model = trainTfidf(texts, labels, { minDf: texts.length >= 200 ? 5 : 1, cvFolds: Math.max(2, Math.min(5, Math.floor(texts.length / 4))) });
  return (t) => predict(model, t);
};

/** The kinds analysed: real participants, plus those `--include` names. */
function kindsOf(include: string | undefined): ParticipantKind[] {
  if (include === undefined) return [...DEFAULT_KINDS];
  try {
    return [...new Set([...DEFAULT_KINDS, ...parseKinds(include)])];
  } catch (err) {
    throw new UsageError(`--include: ${(err as Error).message}`);
  }
}

/** Says which kinds were analysed and how many of the others were left out. */
function kindsNote(data: StudyExport): string {
  const left = leftOutText(data);
  const names = Object.keys(data.leftOut).filter((k) => (data.leftOut[k as ParticipantKind] ?? 0) > 0);
  return left ? `participants of kinds ${data.kinds.join(', ')} only; ${left} (--include ${names.join(',')} analyses them)` : '';
}

async function fileInfo(path: string, rows?: number): Promise<{ rows?: number; bytes: number; sha256: string }> {
  // Written by this run: never a cached digest.
  return { ...(rows != null ? { rows } : {}), bytes: statSync(path).size, sha256: await sha256File(path, { cache: false }) };
}

async function toFile<T>(path: string, write: (out: Writable) => Promise<T>): Promise<T> {
  const out = createWriteStream(path);
  return write(out);
}

export function parseEffects(list: string[], protocol: Protocol): Record<string, number> {
  const ids = protocol.design.conditions.map((c) => c.id);
  const out: Record<string, number> = {};
  for (const e of list) {
    const m = /^([^=]+)=(.+)$/.exec(e);
    if (!m) throw new UsageError(`--effect ${e}: expected CONDITION=DELTA, e.g. ${ids[0]}=0.5`);
    const [, cond, delta] = m;
    if (!ids.includes(cond)) throw new UsageError(`--effect ${e}: no condition '${cond}' (conditions: ${ids.join(', ')})`);
    out[cond] = parseNumber(delta, `--effect ${cond}`);
  }
  return out;
}

export function formatPower(r: PowerReport): string {
  const lines = [`power at alpha ${r.alpha}, n = ${r.n} participants, ${r.reps} replicates; effects ${JSON.stringify(r.effects)}`];
  const w = (s: string, n: number) => s.padEnd(n);
  lines.push(`${w('item', 18)}${w('test', 26)}${w('comparison', 34)}${w('mean estimate', 15)}power`);
  for (const t of r.tests) lines.push(`${w(t.item, 18)}${w(t.test, 26)}${w(t.comparison, 34)}${w(t.meanEstimate.toFixed(3), 15)}${t.power.toFixed(3)}`);
  return lines.join('\n');
}

export function registerAnalyze(program: Command): void {
  program
    .command('analyze')
    .description('Write report.html, long/wide CSV, JSONL, codebook and metadata.json for a study')
    .argument('<study>', 'study id or protocol file')
    .addOption(dbOption())
    .option('--out <dir>', 'output folder (default: results/<study>/)')
    .option('--include <kinds>', 'also analyse these participant kinds: pilot, bot (default: real participants only)')
    .addOption(seedOption('seed of the analysis (bootstrap, threshold split); default the design seed'))
    .option('--no-transfer', 'skip the TF-IDF transfer matrix')
    .option('--raw', "CSV text cells exactly as stored (default: cells a spreadsheet would run as formulas get a leading ')")
    .action(async (arg: string, o: { db: string; out?: string; include?: string; seed?: number; transfer: boolean; raw?: boolean }) => {
      let store: Store | undefined;
      try {
        const seed = o.seed;
        const opened = await openStudy(arg, o.db, kindsOf(o.include));
        store = opened.store;
        const data = opened.data;
        const { studyId, study: protocol, participants, exportRows } = data;
        o.out ??= join('results', studyId);
        mkdirSync(o.out, { recursive: true });
        const t0 = performance.now();
        const report = await buildReport({ ...data, software: SOFTWARE, linkFigureFiles: true }, { seed, train: o.transfer ? tfidfTrain : undefined });
        for (const note of report.result.notes) console.error(`note: ${note}`);
        const files: Record<string, { rows?: number; bytes: number; sha256: string }> = {};
        const reportPath = join(o.out, 'report.html');
        writeFileSync(reportPath, report.html);
        files['report.html'] = await fileInfo(reportPath);
        // Every figure as SVG and PNG beside report.html, for the paper.
        for (const f of writeFigureFiles(o.out, report.figures)) {
          files[f.svg] = await fileInfo(join(o.out, f.svg));
          files[f.png] = await fileInfo(join(o.out, f.png));
        }
        const longRows = await toFile(join(o.out, 'long.csv'), (out) => writeLongCsv(exportRows, out, { raw: o.raw }));
        files['long.csv'] = await fileInfo(join(o.out, 'long.csv'), longRows);
        const wide = await toFile(join(o.out, 'wide.csv'), (out) => writeWideCsv(exportRows, participants, out, { raw: o.raw }));
        files['wide.csv'] = await fileInfo(join(o.out, 'wide.csv'), wide.rows);
        const jsonRows = await toFile(join(o.out, 'responses.jsonl'), (out) => writeJsonl(exportRows, out));
        files['responses.jsonl'] = await fileInfo(join(o.out, 'responses.jsonl'), jsonRows);
        const entries = codebookEntries(protocol, wide.columns, { raw: o.raw });
        await toFile(join(o.out, 'codebook.csv'), (out) => writeCodebookCsv(entries, out, { raw: o.raw }));
        files['codebook.csv'] = await fileInfo(join(o.out, 'codebook.csv'), entries.length);
        mkdirSync(join(o.out, 'tables'), { recursive: true });
        for (const t of report.tables) {
          const path = join(o.out, 'tables', `${t.name}.csv`);
          await toFile(path, (out) => writeTableCsv(t, out, { raw: o.raw }));
          files[`tables/${t.name}.csv`] = await fileInfo(path, t.rows.length);
        }
        const metadata = { ...report.metadata, files };
        writeFileSync(join(o.out, 'metadata.json'), JSON.stringify(metadata, null, 2) + '\n');
        const secs = ((performance.now() - t0) / 1000).toFixed(1);
        const statuses = report.result.exclusions.statusCounts;
        const unfinished = (statuses['in-progress'] ?? 0) + (statuses.abandoned ?? 0);
        console.log(
          `${studyId}: ${report.result.responses} responses; ${participants.length - unfinished} finished participants (${statuses.completed ?? 0} completed, ${report.result.exclusions.participantsExcluded - unfinished} excluded by the protocol's rules); beside them, not analysed: ${statuses['in-progress'] ?? 0} in progress, ${statuses.abandoned ?? 0} abandoned; ${report.tables.length} tables, ${report.figures.length} figures in ${secs} s`,
        );
        const note = kindsNote(data);
        if (note) console.log(note);
        console.log(`wrote ${Object.keys(files).length + 1} files to ${o.out}: report.html, ${report.figures.length} figures as SVG and PNG, long.csv wide.csv responses.jsonl codebook.csv metadata.json tables/`);
      } finally {
        await store?.close();
      }
    });

  program
    .command('export')
    .description('Stream one export of a study: long CSV, wide CSV, JSONL or the codebook (metadata.json beside --out)')
    .argument('<study>', 'study id or protocol file')
    .addOption(dbOption())
    .requiredOption('--format <format>', 'long | wide | jsonl | codebook')
    .option('--out <file>', 'output file (default: standard output)')
    .option('--include <kinds>', 'also export these participant kinds: pilot, bot (default: real participants only)')
    .option('--raw', "CSV text cells exactly as stored (default: cells a spreadsheet would run as formulas get a leading ')")
    .action(async (arg: string, o: { db: string; format: string; out?: string; include?: string; raw?: boolean }) => {
      let store: Store | undefined;
      try {
        if (!['long', 'wide', 'jsonl', 'codebook'].includes(o.format)) throw new UsageError(`--format ${o.format}: expected long, wide, jsonl or codebook`);
        const opened = await openStudy(arg, o.db, kindsOf(o.include), studyExport);
        store = opened.store;
        const data = opened.data;
        const { studyId, study: protocol, participants, exportRows } = data;
        const out: Writable = o.out ? createWriteStream(o.out) : process.stdout;
        const end = Boolean(o.out);
        let rows: number;
        if (o.format === 'long') rows = await writeLongCsv(exportRows, out, { end, raw: o.raw });
        else if (o.format === 'jsonl') rows = await writeJsonl(exportRows, out, { end });
        else if (o.format === 'wide') rows = (await writeWideCsv(exportRows, participants, out, { end, raw: o.raw })).rows;
        else rows = await writeCodebookCsv(codebookEntries(protocol, [], { raw: o.raw }), out, { end, raw: o.raw });
        if (o.out) {
          const meta = buildMetadata({ study: protocol, versions: data.versions, participants, stimuli: data.stimuli, scores: data.scores, software: SOFTWARE });
          const metaPath = `${o.out}.metadata.json`;
          writeFileSync(metaPath, JSON.stringify({ ...meta, files: { [o.out]: await fileInfo(o.out, rows) } }, null, 2) + '\n');
          console.error(`${studyId}: ${rows} rows → ${o.out} (metadata in ${metaPath})`);
        }
        const note = kindsNote(data);
        if (note) console.error(`${studyId}: ${note}`);
      } finally {
        await store?.close();
      }
    });

  program
    .command('simulate')
    .description('Power of each planned test by simulation: bots with a declared effect per condition, through the same analysis')
    .argument('<study>', 'study id or protocol file')
    .addOption(countOption('participants per replicate (all conditions together)').makeOptionMandatory())
    .option('--effect <cond=delta>', 'shift of the credibility/sharing items in a condition, in points of each item (repeatable)', (v: string, prev: string[]) => [...prev, v], [] as string[])
    .option('--reps <r>', 'replicates', '200')
    .option('--alpha <a>', 'significance level', '0.05')
    .option('--detection-effect <e>', "judgment bots' accuracy knob: P(right) = 0.5 + 0.5 tanh(e)", '0.2')
    .option('--careless <share>', 'share of careless bots (fail attention checks, answer at random)', '0')
    .addOption(seedOption('seed (default: the design seed)'))
    .option('--json', 'print the result as JSON')
    .action((arg: string, o: { n: number; effect: string[]; reps: string; alpha: string; detectionEffect: string; careless: string; seed?: number; json?: boolean }) => {
      const protocol = loadStudy(arg).protocol;
      const n = o.n;
      const reps = parsePositiveInt(o.reps, '--reps');
      const alpha = parseNumber(o.alpha, '--alpha');
      if (!(alpha > 0 && alpha < 1)) throw new UsageError(`--alpha ${o.alpha}: expected a number between 0 and 1`);
      const careless = parseNumber(o.careless, '--careless');
      if (!(careless >= 0 && careless <= 1)) throw new UsageError(`--careless ${o.careless}: expected a share between 0 and 1`);
      const effects = parseEffects(o.effect, protocol);
      const t0 = performance.now();
      const r = simulatePower(protocol, {
        n,
        reps,
        alpha,
        effects,
        detectionEffect: parseNumber(o.detectionEffect, '--detection-effect'),
        careless,
        seed: o.seed,
      });
      if (o.json) console.log(JSON.stringify(r, null, 2));
      else {
        console.log(formatPower(r));
        console.log(`(${((performance.now() - t0) / 1000).toFixed(1)} s; simulated over the engine's page plan with the question types' bot answers)`);
      }
    });
}
