// Each malformed fixture breaks one thing of test/fixtures/protocols/minimal.yaml;
// the loader must name the exact line:column of the offending YAML node and its
// field path, and `credence study validate` must exit 2.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadStudy, ProtocolError, type Problem } from '../../studies/load.ts';

const repo = resolve(fileURLToPath(import.meta.url), '../../..');
const dir = join(repo, 'test/fixtures/protocols/malformed');

function problemsOf(name: string): Problem[] {
  try {
    loadStudy(join(dir, `${name}.yaml`));
  } catch (err) {
    assert.ok(err instanceof ProtocolError, `expected a ProtocolError, got ${String(err)}`);
    return err.problems;
  }
  assert.fail(`${name}.yaml loaded without problems`);
}

// [fixture, line, column, path, part of the message]
const cases: [string, number, number, string, RegExp][] = [
  ['bad-yaml', 20, 1, '', /YAML: Flow map/],
  ['duplicate-yaml-key', 4, 1, '', /Map keys must be unique/],
  ['unknown-question-type', 29, 13, 'phases[1].blocks[0].questions[0].type', /unknown question type 'judgement'/],
  ['missing-field', 21, 5, 'phases[0].text', /missing required field 'text'/],
  ['mistyped-field', 19, 19, 'design.conditions[0].target', /expected number, got string/],
  ['unknown-pool', 25, 24, 'phases[1].blocks[0].pools[1]', /no pool 'robots'/],
  ['sample-too-large', 26, 9, 'phases[1].blocks[0].sample', /sample 6 is more than the 4 stimuli/],
  ['duplicate-condition-id', 20, 9, 'design.conditions[1].id', /duplicate condition id 'main'/],
  ['duplicate-question-id', 32, 13, 'phases[1].blocks[0].questions[1].id', /duplicate question id 'judgment'/],
  ['id-not-file-name', 2, 1, 'id', /must equal the file name 'id-not-file-name'/],
  ['missing-debrief', 20, 1, 'phases', /debrief phase is required/],
  ['attention-without-expected', 33, 9, 'phases[1].attention_checks[0].question.expected', /missing required field 'expected'/],
  ['expected-not-an-option', 37, 11, 'phases[1].attention_checks[0].question.expected', /expected must be one of the options/],
  ['unknown-top-level-key', 4, 1, 'colour', /unknown key 'colour'/],
  ['bad-sampling-value', 21, 28, 'pools.gen.sampling.top_p', /less than or equal to 1/],
  ['condition-without-pools', 25, 17, 'phases[1].blocks[0].pools[0]', /'\$condition' needs pools in every condition; 'main' lists none/],
  ['balance-infeasible', 26, 20, 'phases[1].blocks[0].balance.by', /every stimulus in 'human' has source = human/],
  ['consent-not-first', 21, 5, 'phases[0].kind', /first phase must be consent, found 'instructions'/],
  ['unknown-phase-kind', 38, 5, 'phases[2].kind', /expected one of 'consent'/],
  ['bad-question-params', 31, 13, 'phases[1].blocks[0].questions[0].labels', /at least two points/],
  ['generated-from-generated', 25, 16, 'pools.gen_b.prompts.pool', /itself generated/],
  ['bad-prompts', 20, 29, 'pools.roft.prompts.sentences', /greater than or equal to 1/],
  ['tokens-min-above-max', 21, 17, 'pools.gen.sampling.min_new_tokens', /min_new_tokens 80 is above max_new_tokens 40/],
  ['comprehension-attempts', 24, 5, 'phases[1].attempts', /greater than or equal to 1/],
  ['comprehension-attempts', 26, 9, 'phases[1].questions[0].type', /comprehension phase asks comprehension questions/],
  ['training-unknown-stimulus', 26, 11, 'phases[1].items[1].stimulus', /pool 'machine' holds 2 \(indices 0–1\)/],
  ['alias-bomb', 1, 1, '', /Excessive alias count/],
  ['empty', 1, 1, 'phases', /missing required field 'phases'/],
  ['boundary-without-passages', 25, 9, 'phases[1].blocks[0].pools', /boundary question needs passages/],
  ['repeated-source', 32, 9, 'phases[1].blocks[0].sample', /could see two stimuli from the same source text \('early', 'late' hold 4 stimuli from 2 source texts, via 'stories'\): add distinct_by: source/],
  ['distinct-too-few', 33, 9, 'phases[1].blocks[0].distinct_by', /distinct_by: source leaves 2 distinct values in 'early', 'late', but the block shows 3/],
  ['unknown-phase-condition', 17, 18, 'phases[1].conditions[0]', /no condition 'mian'/],
  ['unknown-phase-condition', 28, 22, 'phases[3].text[1].conditions[0]', /no condition 'other'/],
];

describe('malformed protocols', () => {
  for (const [name, line, column, path, message] of cases) {
    test(`${name}: ${line}:${column} ${path || '(file)'}`, () => {
      const problems = problemsOf(name);
      const hit = problems.find((p) => p.path === path && message.test(p.message));
      assert.ok(hit, `no problem at ${path} matching ${message}; got:\n${problems.map((p) => `${p.line}:${p.column} ${p.path} ${p.message}`).join('\n')}`);
      assert.equal(hit.line, line, `line of ${path}`);
      assert.equal(hit.column, column, `column of ${path}`);
      assert.equal(hit.file, join(dir, `${name}.yaml`));
    });
  }

  test('every problem is reported, not just the first', () => {
    const problems = problemsOf('several-problems');
    assert.deepEqual(
      problems.map((p) => [p.line, p.column, p.path]),
      [
        [19, 19, 'design.conditions[0].target'],
        [22, 5, 'phases[0].text'],
        [29, 13, 'phases[1].blocks[0].questions[0].type'],
      ],
    );
    // A question's unknown parameter is its own problem, next to the bad value.
    const params = problemsOf('bad-question-params');
    assert.ok(params.some((p) => p.path === 'phases[1].blocks[0].questions[0].colour' && p.line === 32 && p.column === 13));
  });

  test('ProtocolError.format prints one problem per line as file:line:column  path  message', () => {
    try {
      loadStudy(join(dir, 'several-problems.yaml'));
      assert.fail('loaded');
    } catch (err) {
      const lines = (err as ProtocolError).format().split('\n');
      assert.equal(lines.length, 3);
      assert.equal(lines[0], `${join(dir, 'several-problems.yaml')}:19:19  design.conditions[0].target  Number must be greater than or equal to 1`);
    }
  });

  test('an unknown study id is a problem, not a crash', () => {
    assert.throws(() => loadStudy('no-such-study'), (e: unknown) => e instanceof ProtocolError && /no such study/.test(e.problems[0].message));
  });
});

describe('credence study validate', () => {
  const cli = (...args: string[]) =>
    spawnSync(process.execPath, ['--import', 'tsx', 'server/cli/main.ts', 'study', 'validate', ...args], { cwd: repo, encoding: 'utf8' });

  test('exits 2 and prints every problem of every file', () => {
    const r = cli(join(dir, 'unknown-pool.yaml'), join(dir, 'several-problems.yaml'));
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /unknown-pool\.yaml:25:24 {2}phases\[1\]\.blocks\[0\]\.pools\[1\] {2}no pool 'robots'/);
    assert.match(r.stderr, /several-problems\.yaml:19:19 {2}design\.conditions\[0\]\.target/);
    assert.match(r.stderr, /several-problems\.yaml:29:13 {2}phases\[1\]\.blocks\[0\]\.questions\[0\]\.type/);
    assert.match(r.stderr, /2 of 2 protocols invalid/);
  });

  test('refuses a design that could show one participant two stimuli of one source text, with line:column and exit 2', () => {
    const r = cli(join(dir, 'repeated-source.yaml'));
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /repeated-source\.yaml:32:9 {2}phases\[1\]\.blocks\[0\]\.sample {2}one participant could see two stimuli from the same source text/);
  });

  test('exits 2 on bad YAML', () => {
    const r = cli(join(dir, 'bad-yaml.yaml'));
    assert.equal(r.status, 2);
    assert.match(r.stderr, /bad-yaml\.yaml:20:1 /);
  });

  test('exits 0 with the version for a valid file, 2 when any file is invalid', () => {
    const ok = cli(join(repo, 'test/fixtures/protocols/minimal.yaml'));
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, /valid {2}version [0-9a-f]{64}/);
    const mixed = cli(join(repo, 'test/fixtures/protocols/minimal.yaml'), join(dir, 'missing-debrief.yaml'));
    assert.equal(mixed.status, 2);
    assert.match(mixed.stdout, /minimal\.yaml: valid/);
    assert.match(mixed.stderr, /missing-debrief\.yaml:20:1 {2}phases {2}a debrief phase is required/);
  });
});
