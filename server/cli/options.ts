// Options that several commands share, defined once: the same flag has the
// same spelling, help text and parsing in every command that takes it, and its
// value reaches the action already parsed (a number, never a string to parse
// again). Parsing goes through usage.ts, so `--seed abc` or `--batch 0` is
// refused with exit 2 wherever it is given.
import { Option } from 'commander';
import { parseInteger, parseNumber, UsageError } from './usage.ts';
import { checkDbName, DB_ENV, DEFAULT_DB } from '../store/open.ts';

type Range = { min?: number; max?: number };

/** How an error names the option: both spellings when it has two (`-n/--n`). */
function nameOf(opt: Option): string {
  return opt.short && opt.long ? `${opt.short}/${opt.long}` : (opt.long ?? opt.flags);
}

/** An option whose value is an integer within `range`. */
export function integerOption(flags: string, description: string, range: Range = {}): Option {
  const opt = new Option(flags, description);
  return opt.argParser((v: string) => parseInteger(v, nameOf(opt), range));
}

/** An option whose value is a finite number within `range`. */
export function numberOption(flags: string, description: string, range: Range = {}): Option {
  const opt = new Option(flags, description);
  return opt.argParser((v: string) => parseNumber(v, nameOf(opt), range));
}

/** `--seed N`: every seeded command's seed; without a default, the command picks one (e.g. the design seed). */
export function seedOption(description: string, fallback?: number): Option {
  const opt = integerOption('--seed <n>', description);
  return fallback === undefined ? opt : opt.default(fallback);
}

/** `-n, --n N`: how many participants (bots, simulate) or samples (generate); `bots` and `simulate` spell it alike. */
export function countOption(description: string, fallback?: number): Option {
  const opt = integerOption('-n, --n <n>', description, { min: 1 });
  return fallback === undefined ? opt : opt.default(fallback);
}

/** `--batch B`: samples per forward pass of the language model. */
export function batchOption(): Option {
  return integerOption('--batch <b>', 'samples per forward pass', { min: 1 }).default(8);
}

/** `--models DIR`: where model directories live (models/<name>). */
export function modelsOption(): Option {
  return new Option('--models <dir>', 'models directory').default('models');
}

/** `--substitute-tiny`: run a study whose GPT-2 sizes are not installed on the tiny stand-ins. */
export function substituteTinyOption(description = 'use the tiny models in place of GPT-2 sizes that are not installed'): Option {
  return new Option('--substitute-tiny', description);
}

/**
 * `--db FILE|URL` (or CREDENCE_DB): the database of every command that opens
 * one, a SQLite file or postgres://user@host/db. Checked here, opened by
 * openStore (server/store/open.ts), which alone knows the engines apart.
 */
export function dbOption(description = 'database: a SQLite file or postgres://user@host/db'): Option {
  return new Option('--db <file-or-url>', `${description} (also ${DB_ENV})`)
    .env(DB_ENV)
    .default(DEFAULT_DB)
    .argParser((v: string) => parseDb(v, '--db'));
}

/** Another option naming a database (`db copy --from/--to`), checked as --db is. */
export function databaseOption(flags: string, description: string): Option {
  const opt = new Option(flags, description);
  return opt.argParser((v: string) => parseDb(v, opt.long ?? flags));
}

function parseDb(v: string, flag: string): string {
  try {
    return checkDbName(v, flag);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}
