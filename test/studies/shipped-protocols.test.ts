// The shipped studies validate, and a study's version is the hash of its
// content: re-formatting the YAML keeps it, changing content changes it.
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDocument, stringify } from 'yaml';
import { loadStudy, STUDIES_DIR } from '../../studies/load.ts';
import { resolveQuestion } from '../../studies/questions/index.ts';
import { poolLabels } from '../../studies/pools.ts';

const SHIPPED = ['kreps-credibility', 'human-or-machine', 'roft-boundary', 'gltr-assist'];

describe('shipped protocols', () => {
  test('the four seed-study protocols are shipped', () => {
    const files = readdirSync(STUDIES_DIR).filter((f) => f.endsWith('.yaml'));
    for (const id of SHIPPED) assert.ok(files.includes(`${id}.yaml`), `${id}.yaml`);
  });

  for (const id of SHIPPED) {
    test(`${id} validates and is runnable`, () => {
      const s = loadStudy(id);
      assert.equal(s.protocol.id, id);
      assert.match(s.version, /^[0-9a-f]{64}$/);
      const p = s.protocol;
      assert.equal(p.phases[0].kind, 'consent');
      assert.ok(p.phases.some((ph) => ph.kind === 'debrief' && /GPT-2/.test(JSON.stringify(ph.text))), 'debrief discloses the machine texts');
      const codes = p.recruitment.prolific?.completion_codes;
      assert.ok(codes, 'Prolific completion codes');
      assert.equal(new Set(Object.values(codes)).size, 4, 'four distinct completion codes');
      assert.equal(p.exclusions.failed_attention, true);
      // Human texts come from the corpus, machine texts from real GPT-2 model names.
      const pools = Object.values(p.pools);
      assert.ok(pools.some((x) => x.kind === 'corpus' && x.corpus === 'brown-press'));
      for (const pool of pools) {
        if (pool.kind === 'fixed') assert.fail('shipped studies never use invented texts');
        if (pool.kind === 'generated') {
          assert.ok(['gpt2', 'gpt2-medium', 'gpt2-large', 'gpt2-xl', 'distilgpt2'].includes(pool.model), pool.model);
          assert.ok(pool.model_size, 'model_size');
          assert.ok(pool.n <= 12 && pool.sampling.max_new_tokens <= 120, 'small enough for tiny-model prepare');
        }
      }
      // Every question resolves to a descriptor with parsed parameters.
      for (const ph of p.phases) {
        const qs =
          ph.kind === 'trials'
            ? [...ph.blocks.flatMap((b) => b.questions), ...ph.attention_checks.map((a) => a.question)]
            : 'questions' in ph
              ? ph.questions
              : [];
        for (const q of qs) assert.doesNotThrow(() => resolveQuestion(q), `${id}: ${q.id}`);
      }
    });
  }

  test('bias-probes: gender, race and religion probes at four sizes, lexicons, three annotators per continuation', () => {
    const s = loadStudy('bias-probes');
    const p = s.protocol;
    assert.ok(p.phases.some((ph) => ph.kind === 'debrief' && /GPT-2/.test(JSON.stringify(ph.text))), 'debrief discloses the machine texts');
    assert.equal(new Set(Object.values(p.recruitment.prolific!.completion_codes)).size, 4);
    const pool = p.pools.probes;
    assert.ok(pool.kind === 'probe');
    assert.deepEqual(pool.models.map((m) => [m.model, m.model_size]), [['gpt2', '124M'], ['gpt2-medium', '355M'], ['gpt2-large', '774M'], ['gpt2-xl', '1.5B']]);
    assert.deepEqual(Object.keys(pool.slots).sort(), ['gender', 'race', 'religion']);
    const labels = poolLabels(pool)!;
    assert.equal(labels.length, 112);
    assert.deepEqual(new Set(labels.map((l) => l.model_size)), new Set(['124M', '355M', '774M', '1.5B']));
    assert.deepEqual(new Set(labels.map((l) => l.slot)), new Set(['gender', 'race', 'religion', '']));
    assert.ok(pool.sampling.max_new_tokens <= 40, 'short enough for npm start to prepare it with the tiny models');
    assert.deepEqual(Object.keys(p.lexicons ?? {}).sort(), ['gender', 'race', 'religion']);
    // Every continuation in exactly one share, and every share rated by three.
    const shares = p.design.conditions;
    assert.ok(shares.every((c) => c.target === 3 && c.items!.length === 8));
    assert.deepEqual(shares.flatMap((c) => c.items!).sort(), labels.map((_, i) => `probes-${i}`).sort());
    const trials = p.phases.find((ph) => ph.kind === 'trials');
    assert.ok(trials && trials.kind === 'trials');
    assert.deepEqual(trials.blocks[0].questions.map((q) => [q.type, (q as { lexicon?: string }).lexicon]), [['categorize', 'gender'], ['categorize', 'race'], ['categorize', 'religion']]);
    for (const q of trials.blocks[0].questions) assert.doesNotThrow(() => resolveQuestion(q));
  });

  test('kreps-credibility: one story per participant, human vs 355M/774M/1.5B', () => {
    const p = loadStudy('kreps-credibility').protocol;
    const sizes = p.design.conditions.map((c) => {
      const pool = p.pools[c.pools[0]];
      return pool.kind === 'generated' ? pool.model_size : pool.kind;
    });
    assert.deepEqual(sizes, ['corpus', '355M', '774M', '1.5B']);
    const trials = p.phases.find((ph) => ph.kind === 'trials');
    assert.ok(trials && trials.kind === 'trials');
    assert.equal(trials.blocks[0].sample, 1);
    assert.deepEqual(trials.blocks[0].pools, ['$condition']);
    const types = trials.blocks[0].questions.map((q) => q.type);
    assert.deepEqual(types, ['likert', 'slider', 'choice']);
  });
});

describe('study version', () => {
  const dirs: string[] = [];
  const tmp = () => {
    const d = mkdtempSync(join(tmpdir(), 'credence-version-'));
    dirs.push(d);
    return d;
  };
  const original = readFileSync(join(STUDIES_DIR, 'kreps-credibility.yaml'), 'utf8');
  const base = loadStudy('kreps-credibility');

  test('is stable under re-formatting (comments, flow vs block style, key order, defaults written out)', () => {
    const doc = parseDocument(original);
    const js = doc.toJS();
    // Reverse the key order of every mapping and write block style without comments.
    const reorder = (v: unknown): unknown =>
      Array.isArray(v) ? v.map(reorder) : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).reverse().map(([k, x]) => [k, reorder(x)])) : v;
    const reformatted = stringify(reorder(js), { indent: 4, collectionStyle: 'block', lineWidth: 0 });
    assert.notEqual(reformatted, original);
    const d = tmp();
    writeFileSync(join(d, 'kreps-credibility.yaml'), reformatted);
    assert.equal(loadStudy(join(d, 'kreps-credibility.yaml')).version, base.version);
    // Writing a default explicitly is the same protocol.
    const explicit = original.replace('        order: random\n', '        order: random\n        gltr_overlay: false\n');
    assert.notEqual(explicit, original);
    writeFileSync(join(d, 'kreps-credibility.yaml'), explicit);
    assert.equal(loadStudy(join(d, 'kreps-credibility.yaml')).version, base.version);
  });

  test('changes when the content changes', () => {
    const d = tmp();
    for (const [from, to] of [
      ['target: 50, pools: [press]', 'target: 51, pools: [press]'],
      ['min_read_s: 20', 'min_read_s: 21'],
      ['expected: Somewhat agree', 'expected: Strongly agree'],
    ]) {
      assert.ok(original.includes(from), from);
      writeFileSync(join(d, 'kreps-credibility.yaml'), original.replace(from, to));
      assert.notEqual(loadStudy(join(d, 'kreps-credibility.yaml')).version, base.version, `${from} → ${to}`);
    }
  });

  after(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
});

describe('credence study show', () => {
  test('prints the normalised protocol with its version', async () => {
    const { spawnSync } = await import('node:child_process');
    const repo = join(STUDIES_DIR, '..');
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'server/cli/main.ts', 'study', 'show', 'roft-boundary'], { cwd: repo, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const shown = JSON.parse(r.stdout);
    const loaded = loadStudy('roft-boundary');
    assert.equal(shown.version, loaded.version);
    assert.deepEqual(shown.protocol, JSON.parse(JSON.stringify(loaded.protocol)));
    // Defaults are filled in.
    assert.equal(shown.protocol.pools.roft_gpt2_h2.dtype, 'fp32');
    assert.equal(shown.protocol.phases[3].blocks[0].gltr_overlay, false);
  });
});
