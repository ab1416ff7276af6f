// `credence terms STUDY --a POOL --b POOL`: the distinctive terms of two sets of
// a study's stimuli (the release report's Figure 5): each side's top terms by
// TF-IDF and every term's log-odds z-score, printed, and written as a CSV and a
// figure (SVG and PNG) to results/<study>/.
import { createWriteStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import type { Command } from 'commander';
import { compareTerms, extremeTerms, sideTexts } from '../../analysis/terms.ts';
import { termsFigureSpecs } from '../../analysis/terms-figure.ts';
import { renderSpecs } from '../../analysis/figures.ts';
import { writeFigureFiles } from '../../analysis/figure-files.ts';
import { csvStringifier } from '../../analysis/export/csv-writer.ts';
import type { TermsSide } from '../../studies/protocol.ts';
import { openStudy } from './analyze.ts';
import { studyExport } from '../store/study-data.ts';
import { dbOption, integerOption, numberOption } from './options.ts';
import { UsageError } from './usage.ts';

interface TermsCliOptions {
  a: string;
  b: string;
  aSize?: string;
  bSize?: string;
  top: number;
  minCount: number;
  prior?: number;
  db: string;
  out?: string;
  raw?: boolean;
}

/** A file-name-safe slug of a side's name. */
const slug = (s: string) => s.toLowerCase().replace(/[^a-z0-9_-]+/g, '-').replace(/^-|-$/g, '');

export function registerTerms(program: Command): void {
  program
    .command('terms')
    .description("Distinctive terms of two sets of a study's stimuli: top TF-IDF terms of each and log-odds z-scores (Monroe et al. 2008)")
    .argument('<study>', 'study id or protocol file')
    .requiredOption('--a <pools>', 'side A: a pool id, or several separated by commas')
    .requiredOption('--b <pools>', 'side B: a pool id, or several separated by commas')
    .option('--a-size <size>', 'only side A texts from this model size (e.g. 355M)')
    .option('--b-size <size>', 'only side B texts from this model size')
    .addOption(integerOption('--top <n>', 'terms listed per side', { min: 1 }).default(20))
    .addOption(integerOption('--min-count <n>', 'leave out terms seen fewer times than this in both sides together', { min: 1 }).default(3))
    .addOption(numberOption('--prior <words>', "the prior's weight α₀ in words (default: the pooled vocabulary size)", { min: Number.MIN_VALUE }))
    .addOption(dbOption())
    .option('--out <dir>', 'output folder (default: results/<study>/)')
    .option('--raw', "CSV text cells exactly as stored (default: cells a spreadsheet would run as formulas get a leading ')")
    .action(async (arg: string, o: TermsCliOptions) => {
      const { store, data } = await openStudy(arg, o.db, ['real'], studyExport);
      try {
        const pools = Object.keys(data.study.pools);
        const side = (list: string, size: string | undefined, flag: string): TermsSide => {
          const ids = list.split(',').map((x) => x.trim()).filter(Boolean);
          for (const id of ids) if (!pools.includes(id)) throw new UsageError(`${flag} ${id}: study '${data.studyId}' has no pool '${id}' (pools: ${pools.join(', ')})`);
          return { pools: ids, model_size: size };
        };
        const a = sideTexts(data.stimuli, side(o.a, o.aSize, '--a'));
        const b = sideTexts(data.stimuli, side(o.b, o.bSize, '--b'));
        for (const [s, flag] of [[a, '--a'], [b, '--b']] as const) {
          if (s.texts.length === 0) throw new UsageError(`${flag} ${s.name}: no stimuli stored for it (run \`credence prepare ${data.studyId}\` first, or check --a-size/--b-size)`);
        }
        const c = compareTerms(a, b, { top: o.top, minCount: o.minCount, priorTotal: o.prior });
        const out = o.out ?? join('results', data.studyId);
        mkdirSync(out, { recursive: true });
        const base = `terms-${slug(a.name)}-vs-${slug(b.name)}`;
        const csvPath = join(out, `${base}.csv`);
        const file = createWriteStream(csvPath);
        const csv = csvStringifier(['term', `count_${a.name}`, `count_${b.name}`, 'log_odds_ratio', 'se', 'z'], { raw: o.raw });
        csv.pipe(file);
        for (const t of c.logOdds) csv.write([t.term, t.countA, t.countB, t.delta, t.se, t.z]);
        csv.end();
        await finished(file);
        const [figure] = await renderSpecs(termsFigureSpecs([c]).map((f) => ({ ...f, name: base })));
        const files = figure ? writeFigureFiles(out, [figure]) : [];

        console.log(`${a.name}: ${c.a.texts} texts, ${c.a.tokens} words; ${b.name}: ${c.b.texts} texts, ${c.b.tokens} words; prior α₀ = ${c.priorTotal}`);
        const { a: ta, b: tb } = extremeTerms(c, o.top);
        const list = (ts: typeof ta) => ts.map((t) => `${t.term} (z ${t.z.toFixed(2)})`).join(', ') || 'none';
        console.log(`more in ${a.name}: ${list(ta)}`);
        console.log(`more in ${b.name}: ${list(tb)}`);
        console.log(`top TF-IDF, ${a.name}: ${c.a.tfidf.map((t) => t.term).join(', ')}`);
        console.log(`top TF-IDF, ${b.name}: ${c.b.tfidf.map((t) => t.term).join(', ')}`);
        console.log(`${c.significant.a} terms with z > 1.96, ${c.significant.b} with z < −1.96 (of ${c.logOdds.length} seen at least ${o.minCount} times)`);
        console.log(`wrote ${[`${base}.csv`, ...files.flatMap((f) => [f.svg, f.png])].join(', ')} to ${out}`);
      } finally {
        await store.close();
      }
    });
}
