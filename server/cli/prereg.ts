// `credence prereg STUDY --out DIR` writes an AsPredicted-style
// preregistration (STUDY-prereg.md and STUDY-prereg.html) from the protocol:
// hypotheses from its conditions (and the effects given with --effect),
// design, dependent variables, planned tests, exclusion rules, and the planned
// sample with the power `credence simulate` computes at it.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { loadStudy } from '../../studies/load.ts';
import { simulatePower } from '../../analysis/simulate.ts';
import { preregHtml, preregMarkdown, preregPlan, PLANNED_ALPHA } from '../../analysis/prereg.ts';
import { parseEffects } from './analyze.ts';
import { parseInteger } from './usage.ts';

export function registerPrereg(program: Command): void {
  program
    .command('prereg')
    .description('Write an AsPredicted-style preregistration (Markdown and HTML) from a study protocol, with the power of each planned test at the planned sample')
    .argument('<study>', 'study id or protocol file')
    .option('--out <dir>', 'output folder', '.')
    .option('--effect <cond=delta>', 'expected shift of the credibility/sharing items in a condition, in points of each item (repeatable; used for the hypotheses and the power)', (v: string, prev: string[]) => [...prev, v], [] as string[])
    .option('--reps <r>', 'replicates of the power simulation (0: no power section)', '200')
    .action((arg: string, o: { out: string; effect: string[]; reps: string }) => {
      const { protocol, version } = loadStudy(arg);
      const effects = parseEffects(o.effect, protocol);
      const reps = parseInteger(o.reps, '--reps', { min: 0 });
      const total = protocol.design.conditions.reduce((s, c) => s + (c.target ?? 0), 0);
      const power = reps > 0 && total > 0 ? simulatePower(protocol, { n: total, reps, alpha: PLANNED_ALPHA, effects }) : null;
      const plan = preregPlan(protocol, version, { effects, power });
      mkdirSync(o.out, { recursive: true });
      const md = join(o.out, `${protocol.id}-prereg.md`);
      const html = join(o.out, `${protocol.id}-prereg.html`);
      writeFileSync(md, preregMarkdown(plan));
      writeFileSync(html, preregHtml(plan));
      console.log(`${protocol.id}: ${plan.hypotheses.length} hypotheses, ${plan.plannedTests.length} planned tests, planned sample ${plan.sample.total}${power ? `, power simulated over ${reps} replicates` : ''}`);
      console.log(`wrote ${md} and ${html}`);
    });
}
