// The command line's one error edge (server/cli/usage.ts): bad usage of any
// command prints one message naming the flag and exits 2; option values are
// parsed strictly (`--seed abc` is refused, never read as 1 or NaN).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ProtocolError } from '../../studies/load.ts';
import { exitCodeFor, parseChoice, parseInteger, parseNumber, UsageError } from '../../server/cli/usage.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const cli = (args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', 'server/cli/main.ts', ...args], { encoding: 'utf8', cwd: ROOT });

test('option parsers refuse what is not a number of the kind asked, naming the flag', () => {
  assert.equal(parseInteger('42', '--seed'), 42);
  assert.equal(parseInteger('-3', '--seed'), -3);
  for (const bad of ['abc', '', ' ', '1.5', '1e400', 'NaN', '0x']) {
    assert.throws(() => parseInteger(bad, '--seed'), (e: unknown) => e instanceof UsageError && e.message === `--seed: expected an integer, got "${bad}"`, bad);
  }
  assert.throws(() => parseInteger('0', '-n', { min: 1 }), /-n: expected a number at least 1, got "0"/);
  assert.throws(() => parseInteger('70000', '--port', { min: 0, max: 65535 }), /--port: expected a number between 0 and 65535/);
  assert.equal(parseNumber('0.25', '--abandon', { min: 0, max: 1 }), 0.25);
  assert.throws(() => parseNumber('1.5', '--abandon', { min: 0, max: 1 }), UsageError);
  assert.throws(() => parseNumber('Infinity', '--alpha'), /--alpha: expected a number, got "Infinity"/);
  assert.equal(parseChoice('random', '--profile', ['attentive', 'random'] as const), 'random');
  assert.throws(() => parseChoice('lazy', '--profile', ['attentive', 'random']), /--profile: expected one of attentive, random, got "lazy"/);
});

test('exit codes: bad usage and invalid protocols 2, failures while working 1', () => {
  const lines: string[] = [];
  const log = (l: string) => lines.push(l);
  assert.equal(exitCodeFor(new UsageError('--seed: expected an integer, got "abc"'), log), 2);
  assert.equal(exitCodeFor(new ProtocolError([{ file: 'x.yaml', line: 3, column: 1, path: 'id', message: 'required' }]), log), 2);
  assert.equal(exitCodeFor(new Error('disk full'), log), 1);
  assert.deepEqual([lines[0], lines[2]], ['error: --seed: expected an integer, got "abc"', 'error: disk full']);
  assert.match(lines[1], /x\.yaml:3:1/);
});

test('every command reports bad usage through the same edge: one message, exit 2', () => {
  const cases: [string[], RegExp][] = [
    [['bots', 'kreps-credibility', '--seed', 'abc'], /^error: --seed: expected an integer, got "abc"$/m],
    [['bots', 'kreps-credibility', '-n', '0'], /^error: -n\/--n: expected a number at least 1, got "0"$/m],
    [['serve', '--port', 'eighty'], /^error: --port: expected an integer, got "eighty"$/m],
    [['simulate', 'studies/kreps-credibility.yaml', '--n', 'ten'], /^error: -n\/--n: expected an integer, got "ten"$/m],
    [['backup'], /^error: backup: give exactly one of --out FILE/m],
    [['models', 'build-tiny', '--seed', 'abc'], /^error: --seed: expected an integer, got "abc"$/m],
    // Shared options (server/cli/options.ts) parse alike in every command that takes them.
    [['prepare', 'kreps-credibility', '--batch', '0'], /^error: --batch: expected a number at least 1, got "0"$/m],
    [['generate', '--model', 'models/tiny', '--prompt', 'a', '--top-p', 'abc'], /^error: --top-p: expected a number, got "abc"$/m],
    [['analyze', 'kreps-credibility', '--seed', '1.5'], /^error: --seed: expected an integer, got "1.5"$/m],
  ];
  for (const [args, message] of cases) {
    const r = cli(args);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message, args.join(' '));
  }
});
