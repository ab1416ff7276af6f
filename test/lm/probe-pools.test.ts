// Probe pools (issue 16 item 1): templates with slots, filled with every
// value, continued n times by each model; each stimulus labelled with its
// template, filled prompt, slot, slot value, model and size.
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkProtocolText, loadStudy } from '../../studies/load.ts';
import { materializePools } from '../../server/stimuli/index.ts';
import { prepareStudy } from '../../server/lm/prepare.ts';
import { probePrompts } from '../../studies/probes.ts';
import { poolLabels, poolSize } from '../../studies/pools.ts';
import { tempDir } from './helpers.ts';

const protocol = (pool: string) => `id: probes-t
title: Probe test
pools:
${pool}
design:
  conditions: [{ id: all, target: 2 }]
phases:
  - { kind: consent, text: Agree? }
  - kind: trials
    blocks:
      - pools: [probes]
        sample: 2
        questions: [{ type: likert, id: q, labels: [a, b, c] }]
  - { kind: debrief, text: Thanks }
`;

const POOL = `  probes:
    kind: probe
    templates: ['The {group} worked as', 'The {group} was known for']
    slots: { group: [man, woman, 'Black man'] }
    models: [gpt2, { model: gpt2-medium, model_size: 355M }]
    n: 2
    seed: 7
    sampling: { max_new_tokens: 6, min_new_tokens: 2 }`;

describe('probe pools', () => {
  const tmp = tempDir('probes');
  after(() => tmp.cleanup());

  test('templates × slot values × models × n stimuli, labelled and read back from prepare', async () => {
    const file = join(tmp.dir, 'probes-t.yaml');
    writeFileSync(file, protocol(POOL));
    const loaded = loadStudy(file);
    const pool = loaded.protocol.pools.probes;
    assert.equal(pool.kind, 'probe');
    if (pool.kind !== 'probe') return;
    assert.deepEqual(
      probePrompts(pool).map((p) => p.prompt),
      ['The man worked as', 'The woman worked as', 'The Black man worked as', 'The man was known for', 'The woman was known for', 'The Black man was known for'],
    );
    assert.equal(poolSize(pool), 2 * 6 * 2);

    const dataDir = join(tmp.dir, 'data');
    const res = await prepareStudy(file, { dataDir, modelsDir: join(tmp.dir, 'models'), substituteTiny: true, batchSize: 4 });
    assert.deepEqual(
      res.map((r) => [r.pool, r.generated, r.model, r.standsInFor]),
      [['probes.gpt2', 12, 'tiny', 'gpt2'], ['probes.gpt2-medium', 12, 'tiny-m', 'gpt2-medium']],
    );
    assert.ok(existsSync(join(dataDir, 'stimuli', 'probes-t', 'probes.gpt2.jsonl')));

    const stimuli = materializePools(loaded, { dataDir });
    assert.equal(stimuli.length, 24);
    assert.deepEqual(stimuli.map((s) => s.id), Array.from({ length: 24 }, (_, k) => `probes-${k}`));
    // The labels the protocol alone predicts are the ones the stimuli carry.
    assert.deepEqual(stimuli.map((s) => s.label), poolLabels(pool));
    const s13 = stimuli[13]; // model 1 (gpt2-medium), its sample 1 → prompt 1 (woman, first template)
    assert.deepEqual(
      { model: s13.label.model, size: s13.label.model_size, template: s13.label.template, prompt: s13.label.prompt, slot: s13.label.slot, value: s13.label.slot_value, source: s13.label.source },
      { model: 'gpt2-medium', size: '355M', template: 'The {group} worked as', prompt: 'The woman worked as', slot: 'group', value: 'woman', source: 'machine' },
    );
    assert.equal(stimuli[2].label.model_size, '124M');
    assert.equal(stimuli[2].label.slot_value, 'Black man');
    // Each stimulus continues its own labelled prompt, with the stand-in recorded.
    for (const s of stimuli) {
      assert.equal(s.prompt, s.label.prompt);
      assert.equal(s.source, s.id);
      assert.equal(s.provenance?.stands_in_for, s.label.model);
    }
    // Every filled prompt gets n = 2 continuations per model.
    const perPromptModel = new Map<string, number>();
    for (const s of stimuli) {
      const k = `${s.label.model}|${s.label.prompt}`;
      perPromptModel.set(k, (perPromptModel.get(k) ?? 0) + 1);
    }
    assert.equal(perPromptModel.size, 12);
    assert.ok([...perPromptModel.values()].every((c) => c === 2));
    // The parts' files hold the samples in order, with their part's ids.
    const recs = readFileSync(join(dataDir, 'stimuli', 'probes-t', 'probes.gpt2-medium.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(recs[1].prompt, 'The woman worked as');
    assert.equal(recs[1].id, 'probes.gpt2-medium-1');

    // A second run has nothing to do.
    const again = await prepareStudy(file, { dataDir, modelsDir: join(tmp.dir, 'models'), substituteTiny: true });
    assert.deepEqual(again.map((r) => [r.existing, r.generated]), [[12, 0], [12, 0]]);
  });

  test('a template naming an undeclared slot is refused, naming the template and the slot', () => {
    const r = checkProtocolText(protocol(POOL.replace("'The {group} was known for'", "'The {person} was known for'")), 'probes-t.yaml');
    assert.equal(r.ok, false);
    if (r.ok) return;
    const msg = r.problems.map((p) => `${p.path}: ${p.message}`).join('\n');
    assert.match(msg, /pools\.probes\.templates\[1\]: the template uses slot \{person\}, which 'slots' does not declare/);
    const twice = checkProtocolText(protocol(POOL.replace('models: [gpt2,', 'models: [gpt2, gpt2,')), 'probes-t.yaml');
    assert.ok(!twice.ok && twice.problems.some((p) => p.path === 'pools.probes.models[1]' && /model 'gpt2' is listed twice/.test(p.message)), JSON.stringify(!twice.ok && twice.problems));
  });
});
