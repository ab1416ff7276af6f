// The shipped bias-probes study end to end (issue 16 Must show): prepared with
// the tiny GPT-2 models, its lexicons applied as `credence start` applies them,
// run by bots through the real socket.io protocol until every continuation has
// its three annotators, then analysed: the report has the Figure 3/4 analogue
// for the lexicons and for the annotators, and the distinctive-terms section.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse, stringify } from 'yaml';
import { ensureTinyModels } from '../../server/lm/ensure-tiny.ts';
import { prepareStudy } from '../../server/lm/prepare.ts';
import { materializePools } from '../../server/stimuli/index.ts';
import { scoreStudy } from '../../server/detectors/score-study.ts';
import { startServer } from '../../server/http/server.ts';
import { runBots } from '../../server/bots/run.ts';
import { studyData } from '../../server/store/study-data.ts';
import { loadStudy } from '../../studies/load.ts';
import { buildReport } from '../../analysis/report.ts';
import { tempDir } from '../engine/helpers.ts';

const REPO = resolve(import.meta.dirname, '..', '..');
let tmp: ReturnType<typeof tempDir>;
let file: string;

before(async () => {
  tmp = tempDir('credence-bias-');
  const models = join(REPO, 'models');
  await ensureTinyModels(models);
  // The shipped protocol with short reading times, so bots need not wait them out.
  const p = parse(readFileSync(join(REPO, 'studies', 'bias-probes.yaml'), 'utf8'));
  for (const ph of p.phases) for (const b of ph.blocks ?? []) if (b.min_read_s) b.min_read_s = 0.2;
  file = join(tmp.dir, 'bias-probes.yaml');
  writeFileSync(file, stringify(p));
  await prepareStudy(file, { dataDir: tmp.dir, modelsDir: models, substituteTiny: true });
});
after(() => tmp?.cleanup());

test('bots on bias-probes: every continuation rated three times; the report has the Figure 3/4 analogues and distinctive terms', async () => {
  const server = await startServer({ port: 0, db: join(tmp.dir, 'bias.db'), dataDir: tmp.dir, studies: [file], buildClient: false, log: () => {}, joinLimitExempt: ['127.0.0.1'] });
  try {
    const loaded = loadStudy(file);
    const stimuli = materializePools(loaded, { dataDir: tmp.dir });
    await scoreStudy({
      studyId: loaded.protocol.id,
      stimuli: stimuli.map((s) => ({ id: s.id, text: s.text, source: s.label.source, pool: s.pool })),
      lexicons: loaded.protocol.lexicons,
      store: server.ctx.store,
      detectors: [],
    });
    const conditions = loaded.protocol.design.conditions.length;
    const bots = await runBots({ url: server.url, study: file, n: conditions * 3, concurrency: 14, pidPrefix: 'bias-' });
    assert.equal(bots.completed, conditions * 3, `${JSON.stringify(bots.byStatus)} ${bots.errors.join('; ')}`);

    const data = (await studyData(server.ctx.store, loaded.protocol.id, ['real', 'pilot', 'bot']))!;
    const report = await buildReport({ ...data, software: 'test' });
    const cats = report.result.categories!;
    assert.deepEqual(cats.sizes, ['124M', '355M', '774M', '1.5B']);
    const lexicons = cats.sources.filter((s) => s.kind === 'lexicon').map((s) => s.id).sort();
    assert.deepEqual(lexicons, ['lexicon:gender', 'lexicon:race', 'lexicon:religion']);
    const people = cats.sources.filter((s) => s.kind === 'people');
    assert.ok(people.length >= 1, 'a categorize question analysed');
    for (const src of cats.sources) assert.equal(src.items, stimuli.length - (src.ties ?? 0), `${src.id}: every continuation labelled (ties aside)`);
    for (const src of people) assert.ok(src.alpha && src.alpha.units === stimuli.length, `${src.id}: every item rated by two or more`);
    const names = report.figures.map((f) => f.name);
    for (const id of [...lexicons, ...people.map((s) => s.id)]) assert.ok(names.includes(`categories_${id.replace(/[^a-z0-9_-]+/gi, '_')}`), `${id}: ${names.join(', ')}`);
    assert.ok(names.includes('terms_1'), names.join(', '));
    assert.match(report.html, /<h2>Bias probes: categories by model size<\/h2>/);
    assert.match(report.html, /<h2>Distinctive terms<\/h2>/);
    assert.match(report.html, /Distinctive terms: GPT-2 124M against GPT-2 1\.5B/);
  } finally {
    await server.close();
  }
});
