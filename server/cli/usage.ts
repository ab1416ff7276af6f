// The command line's one error edge. Commands throw; main.ts hands what they
// threw to exitCodeFor, which prints one message and picks the exit code: 2 for
// bad usage (a flag or argument, a protocol that does not validate, input a
// command refuses), 1 for anything else (a failure while doing the work).
// Option values are parsed here too, so `--seed abc` is refused, never read as
// NaN or quietly replaced by a default.
import { CommanderError } from 'commander';
import { ProtocolError } from '../../studies/load.ts';
import { DetectorInputError } from '../detectors/text-input.ts';
import { StorageError } from '../store/storage-check.ts';
import { CopyError } from '../store/tables.ts';

/** Bad usage: the message says what was wrong; the command exits 2. */
export class UsageError extends Error {}

/** Input errors other modules throw that mean "bad usage" at the command line. */
const USAGE_ERRORS = [UsageError, ProtocolError, DetectorInputError, StorageError, CopyError];

/** Prints the failure (commander has printed its own already) and returns the exit code. */
export function exitCodeFor(err: unknown, log: (line: string) => void = (l) => console.error(l)): number {
  if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
  if (err instanceof ProtocolError) log(err.format());
  else log(`error: ${err instanceof Error ? err.message : String(err)}`);
  return USAGE_ERRORS.some((E) => err instanceof E) ? 2 : 1;
}

/** An integer option within bounds; `flag` names it in the error (e.g. '--seed'). */
export function parseInteger(value: string, flag: string, range: { min?: number; max?: number } = {}): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n)) throw new UsageError(`${flag}: expected an integer, got "${value}"`);
  checkRange(n, value, flag, range);
  return n;
}

export function parsePositiveInt(value: string, flag: string): number {
  return parseInteger(value, flag, { min: 1 });
}

/** A finite number option within bounds. */
export function parseNumber(value: string, flag: string, range: { min?: number; max?: number } = {}): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw new UsageError(`${flag}: expected a number, got "${value}"`);
  checkRange(n, value, flag, range);
  return n;
}

/** One of a fixed set of words. */
export function parseChoice<T extends string>(value: string, flag: string, choices: readonly T[]): T {
  if (!(choices as readonly string[]).includes(value)) throw new UsageError(`${flag}: expected one of ${choices.join(', ')}, got "${value}"`);
  return value as T;
}

function checkRange(n: number, value: string, flag: string, { min, max }: { min?: number; max?: number }): void {
  if ((min !== undefined && n < min) || (max !== undefined && n > max)) {
    const want = min !== undefined && max !== undefined ? `between ${min} and ${max}` : min !== undefined ? `at least ${min}` : `at most ${max}`;
    throw new UsageError(`${flag}: expected a number ${want}, got "${value}"`);
  }
}
