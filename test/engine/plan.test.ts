import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { buildPlan, latinSquareRow } from '../../studies/plan.ts';
import { FIXTURES, loadDef, miniProtocol, tempDir, writeStudy } from './helpers.ts';

describe('plan', async () => {
  const def = await loadDef(join(FIXTURES, 'mini.yaml'));
  const base = { protocol: def.protocol, stimuli: def.stimuli };

  test('the same seed gives the same plan; other seeds give other orders', () => {
    const a = buildPlan({ ...base, condition: 'mixed', seed: 11, participantIndex: 3 });
    const b = buildPlan({ ...base, condition: 'mixed', seed: 11, participantIndex: 3 });
    assert.deepEqual(a, b);
    const orders = new Set<string>();
    for (let seed = 0; seed < 30; seed++) {
      const p = buildPlan({ ...base, condition: 'mixed', seed, participantIndex: 0 });
      orders.add(p.filter((x) => x.kind === 'trial').map((x) => x.stimulusId).join(','));
    }
    assert.ok(orders.size > 10, `only ${orders.size} distinct trial orders over 30 seeds`);
  });

  test('page sequence follows the phases, with the attention check after 2 trials', () => {
    const p = buildPlan({ ...base, condition: 'small', seed: 5, participantIndex: 0 });
    assert.deepEqual(
      p.map((x) => x.kind),
      ['consent', 'instructions', 'comprehension', 'trial', 'trial', 'attention', 'trial', 'trial', 'questionnaire', 'debrief'],
    );
    assert.deepEqual(p.filter((x) => x.kind === 'trial').map((x) => x.trialIndex), [0, 1, 2, 3]);
    assert.ok(p.filter((x) => x.kind === 'trial').every((x) => x.timeLimitMs === 30_000));
  });

  test('sample 4 of 8 balanced by source: two human and two machine for every seed, from the condition pools', () => {
    const pool = new Map(def.stimuli.map((s) => [s.id, s]));
    for (const condition of ['small', 'large', 'mixed']) {
      for (let seed = 0; seed < 50; seed++) {
        const trials = buildPlan({ ...base, condition, seed, participantIndex: seed }).filter((x) => x.kind === 'trial');
        const stims = trials.map((t) => pool.get(t.stimulusId!)!);
        assert.equal(stims.length, 4);
        assert.equal(new Set(stims.map((s) => s.id)).size, 4, 'no stimulus twice');
        assert.equal(stims.filter((s) => s.label.source === 'human').length, 2, `seed ${seed} ${condition}`);
        const allowed = condition === 'small' ? ['human', 'm_small'] : condition === 'large' ? ['human', 'm_large'] : ['human', 'm_small', 'm_large'];
        assert.ok(stims.every((s) => allowed.includes(s.pool)), `${condition}: ${stims.map((s) => s.pool)}`);
      }
    }
  });

  test('distinct_by: source never shows two stimuli of one source text, and still balances', () => {
    // Each machine text continues the human text of its number: m_small-i and m_large-i come from human-i.
    const stimuli = def.stimuli.map((s) => ({ ...s, source: s.pool === 'human' ? s.id : `human-${s.id.split('-')[1]}` }));
    const protocol = structuredClone(def.protocol);
    const trials = protocol.phases.find((p) => p.kind === 'trials')!;
    if (trials.kind !== 'trials') throw new Error('no trials');
    trials.blocks[0].distinct_by = 'source';
    let withoutRepeats = 0;
    for (let seed = 0; seed < 60; seed++) {
      const chosen = (d: typeof stimuli, proto: typeof protocol) =>
        buildPlan({ protocol: proto, stimuli: d, condition: 'mixed', seed, participantIndex: seed })
          .filter((x) => x.kind === 'trial')
          .map((t) => d.find((s) => s.id === t.stimulusId)!);
      const stims = chosen(stimuli, protocol);
      assert.equal(stims.length, 4);
      assert.equal(new Set(stims.map((s) => s.source)).size, 4, `seed ${seed}: ${stims.map((s) => s.id)}`);
      assert.equal(stims.filter((s) => s.label.source === 'human').length, 2, `seed ${seed}`);
      const plain = chosen(stimuli, def.protocol);
      if (new Set(plain.map((s) => s.source)).size === 4) withoutRepeats++;
    }
    // Without distinct_by the same draws do repeat sources: the test would notice a no-op.
    assert.ok(withoutRepeats < 60, 'without distinct_by some plans repeat a source');
  });

  test('phases and phase texts limited to conditions are shown only to those conditions', () => {
    const protocol = structuredClone(def.protocol);
    const instructions = protocol.phases.find((p) => p.kind === 'instructions')!;
    if (instructions.kind !== 'instructions') throw new Error('no instructions');
    instructions.text = [{ text: 'For everyone.' }, { text: 'Only for the small group.', conditions: ['small'] }];
    const questionnaire = protocol.phases.find((p) => p.kind === 'questionnaire')!;
    if (questionnaire.kind !== 'questionnaire') throw new Error('no questionnaire');
    questionnaire.conditions = ['large'];
    const plan = (condition: string) => buildPlan({ protocol, stimuli: def.stimuli, condition, seed: 1, participantIndex: 0 });
    assert.equal(plan('small').find((p) => p.kind === 'instructions')!.text, 'For everyone.\n\nOnly for the small group.');
    assert.equal(plan('large').find((p) => p.kind === 'instructions')!.text, 'For everyone.');
    assert.ok(plan('large').some((p) => p.kind === 'questionnaire'));
    assert.ok(!plan('small').some((p) => p.kind === 'questionnaire'));
  });

  test('Latin square rows: each item once per row and per position; even n: each ordered pair adjacent once', () => {
    for (const n of [2, 3, 4, 5, 6]) {
      const rows = Array.from({ length: n % 2 === 0 ? n : 2 * n }, (_, r) => latinSquareRow(n, r));
      for (const row of rows) assert.deepEqual([...row].sort((a, b) => a - b), [...Array(n).keys()]);
      for (let pos = 0; pos < n; pos++) {
        const counts = new Map<number, number>();
        for (const row of rows) counts.set(row[pos], (counts.get(row[pos]) ?? 0) + 1);
        assert.equal(counts.size, n, `n=${n} position ${pos}`);
        assert.ok([...counts.values()].every((c) => c === rows.length / n));
      }
      if (n % 2 === 0) {
        const pairs = new Set<string>();
        for (const row of rows) for (let i = 0; i + 1 < n; i++) pairs.add(`${row[i]}>${row[i + 1]}`);
        assert.equal(pairs.size, n * (n - 1), `n=${n}: every ordered pair once`);
      }
      assert.deepEqual(latinSquareRow(n, n % 2 === 0 ? n : 2 * n), rows[0], 'rows repeat with the period');
    }
  });

  test('latin_square block order goes by participant index', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const p = miniProtocol();
      p.pools.human.items = p.pools.human.items.slice(0, 4);
      const trials = p.phases.find((x: any) => x.kind === 'trials');
      trials.blocks[0] = { ...trials.blocks[0], pools: ['human'], order: 'latin_square' };
      delete trials.blocks[0].sample;
      delete trials.blocks[0].balance;
      const d = await loadDef(writeStudy(dir, p));
      const order = (i: number) =>
        buildPlan({ protocol: d.protocol, stimuli: d.stimuli, condition: 'small', seed: 99, participantIndex: i })
          .filter((x) => x.kind === 'trial')
          .map((x) => x.stimulusId);
      const ids = d.stimuli.filter((s) => s.pool === 'human').map((s) => s.id);
      for (let i = 0; i < 8; i++) assert.deepEqual(order(i), latinSquareRow(4, i).map((k) => ids[k]));
      assert.deepEqual(order(0), order(4));
      assert.notDeepEqual(order(0), order(1));
    } finally {
      cleanup();
    }
  });
  test('a block limited to some conditions is planned only for them (gltr-assist overlay arm)', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const p = miniProtocol();
      const trials = p.phases.find((x: any) => x.kind === 'trials');
      const main = trials.blocks[0];
      trials.blocks = [
        { ...main, id: 'plain', conditions: ['small'] },
        { ...main, id: 'overlay', conditions: ['large'], gltr_overlay: true },
      ];
      const d = await loadDef(writeStudy(dir, p));
      const blocksOf = (condition: string) => [
        ...new Set(
          buildPlan({ protocol: d.protocol, stimuli: d.stimuli, condition, seed: 3, participantIndex: 0 })
            .filter((x) => x.kind === 'trial')
            .map((x) => x.block),
        ),
      ];
      assert.deepEqual(blocksOf('small'), ['plain']);
      assert.deepEqual(blocksOf('large'), ['overlay']);
      assert.deepEqual(blocksOf('mixed'), []);
    } finally {
      cleanup();
    }
  });
});
