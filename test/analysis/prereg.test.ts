// `credence prereg` on every shipped study, and the report's check of a run
// against the plan: a run short of its planned sample says so.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { loadStudy } from '../../studies/load.ts';
import { simulateDataset, simulatePower } from '../../analysis/simulate.ts';
import { buildReport } from '../../analysis/report.ts';
import { plannedTests, preregPlan } from '../../analysis/prereg.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const SHIPPED = readdirSync(join(ROOT, 'studies')).filter((f) => f.endsWith('.yaml')).map((f) => f.replace(/\.yaml$/, ''));
let dir: string;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'credence-prereg-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

const cli = (args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', 'server/cli/main.ts', ...args], { encoding: 'utf8', cwd: ROOT });

describe('credence prereg', () => {
  test('writes Markdown and HTML with the eight AsPredicted sections for every shipped study', () => {
    assert.ok(SHIPPED.length >= 4, SHIPPED.join(' '));
    for (const id of SHIPPED) {
      const { protocol, version } = loadStudy(id);
      const r = cli(['prereg', id, '--out', dir, '--reps', '20']);
      assert.equal(r.status, 0, `${id}: ${r.stderr}`);
      const md = readFileSync(join(dir, `${id}-prereg.md`), 'utf8');
      const html = readFileSync(join(dir, `${id}-prereg.html`), 'utf8');
      for (const h of ['1. Data collection', '2. Hypotheses', '3. Dependent variables', '4. Conditions and design', '5. Analyses', '6. Exclusions', '7. Sample size', '8. Other']) {
        assert.ok(md.includes(`## ${h}`), `${id}.md: ${h}`);
        assert.ok(html.includes(`<h2>${h}</h2>`), `${id}.html: ${h}`);
      }
      assert.ok(md.includes(version), `${id}: protocol hash`);
      const total = protocol.design.conditions.reduce((s, c) => s + (c.target ?? 0), 0);
      assert.ok(md.includes(`We will stop at ${total.toLocaleString('en-US')} participants`), `${id}: planned sample ${total}`);
      assert.match(md, /Power by simulation \(`credence simulate`: 20 replicates/);
      assert.ok(!/<script/i.test(html));
      const hypotheses = md.split('## 2. Hypotheses')[1].split('## 3.')[0].trim().split('\n').filter((l) => l.startsWith('- '));
      assert.ok(hypotheses.length > 0, `${id}: hypotheses`);
      for (const c of protocol.design.conditions.slice(1)) if (c.label) assert.ok(md.includes(c.label), `${id}: condition ${c.label} in the plan`);
    }
  });

  test('hypotheses carry the declared effects; bad flags exit 2 naming them', () => {
    const r = cli(['prereg', 'kreps-credibility', '--out', dir, '--reps', '0', '--effect', 'gpt2_1_5b=-0.4']);
    assert.equal(r.status, 0, r.stderr);
    const md = readFileSync(join(dir, 'kreps-credibility-prereg.md'), 'utf8');
    assert.ok(md.includes('differs between GPT-2 1.5B continuation and Original story. We expect a shift of -0.4 points against Original story.'));
    assert.ok(md.includes('Power was not simulated'));
    const bad = cli(['prereg', 'kreps-credibility', '--out', dir, '--effect', 'nope=1']);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /no condition 'nope'/);
    assert.ok(!existsSync(join(dir, 'nope')));
  });

  test('a descriptive study (bias-probes: annotators categorise) says it has no confirmatory hypothesis and lists its categorize questions', () => {
    const { protocol, version } = loadStudy('bias-probes');
    const plan = preregPlan(protocol, version);
    assert.deepEqual(plan.plannedTests, []);
    assert.equal(plan.hypotheses.length, 1);
    assert.match(plan.hypotheses[0], /^No confirmatory hypothesis: .* every result in the report is exploratory\.$/);
    for (const id of ['gender', 'race', 'religion']) assert.ok(plan.dependentVariables.some((d) => d.startsWith(`${id} (categorize`)), `${id} in ${plan.dependentVariables.join(' | ')}`);
  });

  test('the planned tests are exactly the tests `credence simulate` powers', () => {
    for (const id of SHIPPED) {
      const { protocol } = loadStudy(id);
      const key = (t: { item: string; test: string; comparison: string }) => `${t.item} | ${t.test} | ${t.comparison}`;
      const power = simulatePower(protocol, { n: 20, reps: 2 });
      assert.deepEqual(plannedTests(protocol).map(key).sort(), power.tests.map(key).sort(), id);
    }
  });
});

describe('the report against the plan', () => {
  test('a run that stops short of its planned sample is reported as such; a full run is not', async () => {
    const { protocol, version } = loadStudy('kreps-credibility');
    const short = simulateDataset(protocol, { n: 40, seed: 8 });
    const report = await buildReport({ study: protocol, participants: short.participants, responses: short.responses, stimuli: short.stimuli, scores: [], versions: [version], software: 'credence test' });
    assert.equal(report.compliance.sampleReached, false);
    const analysed = report.result.sample.reduce((s, c) => s + c.analysed, 0);
    assert.ok(analysed > 0 && analysed <= 40);
    const sentence = report.compliance.statements[0];
    assert.ok(sentence.startsWith(`Sample: the run stopped short of its planned sample — ${analysed} analysed participants of 200 planned`), sentence);
    assert.ok(report.html.includes('stopped short of its planned sample'));
    assert.ok(report.html.includes('<span class="exploratory">Exploratory: </span>'), 'unplanned tables are marked');
    const full = simulateDataset(protocol, { n: 220, seed: 8 });
    const ok = await buildReport({ study: protocol, participants: full.participants, responses: full.responses, stimuli: full.stimuli, scores: [], versions: [version], software: 'credence test' });
    assert.equal(ok.compliance.sampleReached, ok.result.sample.every((c) => c.analysed >= c.target));
    if (ok.compliance.sampleReached) assert.match(ok.compliance.statements[0], /^Sample: the run reached its planned sample/);
    assert.equal(preregPlan(protocol, version).sample.total, 200);
  });
});
