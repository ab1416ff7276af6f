// `credence simulate --effect COND=DELTA` says it shifts "the credibility/sharing
// items in a condition, in points of each item": the same seeded dataset with
// and without the effect must differ by about DELTA points on every such item
// of that condition (toward sharing for the sharing item), and nowhere else.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { loadStudy } from '../../studies/load.ts';
import { simulateDataset } from '../../analysis/simulate.ts';
import { questionMap, saysShare } from '../../analysis/roles.ts';
import type { ResponseRow } from '../../analysis/rows.ts';

const MOVED_ROLES = ['credibility_4pt', 'credibility_10', 'sharing'];

function meanOf(rows: ResponseRow[], condition: string, question: string, read: (r: ResponseRow) => number): number {
  const v = rows.filter((r) => r.condition === condition && r.question_id === question && !r.timed_out).map(read);
  assert.ok(v.length >= 100, `${condition} ${question}: ${v.length} answers`);
  return v.reduce((a, b) => a + b, 0) / v.length;
}

test('simulate --effect moves every credibility and sharing item of its condition by about its points, and nothing else', () => {
  const { protocol } = loadStudy('kreps-credibility');
  const questions = [...questionMap(protocol).values()];
  const moved = questions.filter((q) => MOVED_ROLES.includes(q.role));
  // The help's promise covers each role the shipped study asks.
  assert.deepEqual(moved.map((q) => q.role).sort(), [...MOVED_ROLES].sort());
  const delta = 1;
  const base = simulateDataset(protocol, { n: 800, seed: 11 }).responses;
  const shifted = simulateDataset(protocol, { n: 800, seed: 11, effects: { gpt2_1_5b: delta } }).responses;
  const num = (r: ResponseRow) => r.value_num!;
  for (const q of moved) {
    const diff = meanOf(shifted, 'gpt2_1_5b', q.id, num) - meanOf(base, 'gpt2_1_5b', q.id, num);
    if (q.role === 'sharing') {
      // Toward the options that say "share" (yes is option 1 here), and the share rate rises.
      assert.ok(diff < -0.5 * delta, `${q.id}: moved ${diff.toFixed(2)} points`);
      const share = (r: ResponseRow) => (saysShare(r.value_text) ? 1 : 0);
      const rise = meanOf(shifted, 'gpt2_1_5b', q.id, share) - meanOf(base, 'gpt2_1_5b', q.id, share);
      assert.ok(rise > 0.2, `${q.id}: share rate rose by ${rise.toFixed(2)}`);
    } else {
      // Clamping at the scale's ends takes a little off the full point.
      assert.ok(diff > 0.5 * delta && diff <= delta + 0.1, `${q.id}: moved ${diff.toFixed(2)} points`);
    }
  }
  // Every other condition, and every other item, is exactly as without the effect.
  const key = (r: ResponseRow) => `${r.participant_id}|${r.page_index}|${r.question_id}`;
  const before = new Map(base.map((r) => [key(r), r.value_json]));
  const movedIds = new Set(moved.map((q) => q.id));
  for (const r of shifted) {
    if (r.condition === 'gpt2_1_5b' && movedIds.has(r.question_id)) continue;
    assert.equal(r.value_json, before.get(key(r)), `${key(r)} (${r.condition})`);
  }
});

test('simulate --effect on the command line: a larger effect gives the planned test more power', () => {
  const cli = (effect: string) =>
    spawnSync(process.execPath, ['--import', 'tsx', 'server/cli/main.ts', 'simulate', 'kreps-credibility', '--n', '120', '--reps', '40', '--effect', effect, '--json'], { encoding: 'utf8', cwd: join(import.meta.dirname, '..', '..') });
  const power = (effect: string) => {
    const r = cli(effect);
    assert.equal(r.status, 0, r.stderr);
    const report = JSON.parse(r.stdout) as { tests: { item: string; comparison: string; power: number }[] };
    return report.tests.filter((t) => t.comparison.includes('gpt2_1_5b'));
  };
  const none = power('gpt2_1_5b=0');
  const big = power('gpt2_1_5b=1.5');
  const items = new Set(big.map((t) => t.item));
  for (const id of ['credible_4', 'credibility_10', 'share']) assert.ok(items.has(id), `a planned test of ${id}: ${[...items].join(', ')}`);
  for (const id of items) {
    const p0 = Math.max(...none.filter((t) => t.item === id).map((t) => t.power));
    const p1 = Math.max(...big.filter((t) => t.item === id).map((t) => t.power));
    assert.ok(p1 > p0 + 0.3, `${id}: power ${p0} without the effect, ${p1} with it`);
  }
});
