// `credence models build-tiny --shape tiny-roberta` builds a detector that the
// RoBERTa runtime loads and scores with; a second build without --force refuses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { loadRobertaDetector } from '../../server/detectors/roberta.ts';

const cli = (args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'server/cli/main.ts', ...args], { encoding: 'utf8' });

test('models build-tiny --shape tiny-roberta writes a loadable detector in the HF layout', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'credence-roberta-cli-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const out = join(dir, 'det');
  const first = cli(['models', 'build-tiny', '--shape', 'tiny-roberta', '--seed', '7', '--out', out]);
  assert.equal(first.status, 0, first.stderr);
  for (const f of ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'onnx/model.onnx']) assert.ok(existsSync(join(out, f)), f);

  const det = await loadRobertaDetector(out);
  try {
    const [s] = await det.score(['The Fulton County Grand Jury said Friday an investigation took place.']);
    assert.ok(s.real_probability > 0 && s.real_probability < 1);
    assert.ok(Math.abs(s.real_probability + s.fake_probability - 1) < 1e-9);
  } finally {
    await det.close();
  }

  const again = cli(['models', 'build-tiny', '--shape', 'tiny-roberta', '--out', out]);
  assert.equal(again.status, 2);
  assert.match(again.stderr, /exists/);
});
