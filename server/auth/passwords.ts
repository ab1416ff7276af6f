// Researcher passwords at rest: scrypt with a random salt per password, stored as
// one self-describing string so the cost parameters can be raised later without
// breaking old hashes. Comparison is timing-safe.
import { randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';

const KEY_LENGTH = 64;
/** N=2^15, r=8, p=1: ~32 MiB and tens of ms per check, the OWASP floor for scrypt. */
const DEFAULT_COST = { N: 1 << 15, r: 8, p: 1 } as const;

function scrypt(password: string, salt: Buffer, keylen: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scryptCb(password, salt, keylen, options, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

function maxmemFor(cost: { N: number; r: number }): number {
  // scrypt needs 128·N·r bytes; node's default maxmem (32 MiB) is just below that for N=2^15.
  return 256 * cost.N * cost.r;
}

/** `scrypt$N$r$p$<salt base64>$<key base64>` */
export async function hashPassword(password: string): Promise<string> {
  if (password.length === 0) throw new Error('password: must not be empty');
  const salt = randomBytes(16);
  const { N, r, p } = DEFAULT_COST;
  const key = await scrypt(password, salt, KEY_LENGTH, { N, r, p, maxmem: maxmemFor({ N, r }) });
  return ['scrypt', N, r, p, salt.toString('base64'), key.toString('base64')].join('$');
}

/** True when `password` matches `stored`; false for a wrong password or an unreadable hash. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [N, r, p] = parts.slice(1, 4).map(Number);
  if (![N, r, p].every((x) => Number.isInteger(x) && x > 0)) return false;
  const salt = Buffer.from(parts[4], 'base64');
  const expected = Buffer.from(parts[5], 'base64');
  if (expected.length === 0) return false;
  const key = await scrypt(password, salt, expected.length, { N, r, p, maxmem: maxmemFor({ N, r }) });
  return timingSafeEqual(key, expected);
}

/** A hash of a random password, used to spend the same time on unknown usernames. */
let decoyHash: Promise<string> | undefined;
export function decoyPasswordHash(): Promise<string> {
  decoyHash ??= hashPassword(randomBytes(16).toString('base64'));
  return decoyHash;
}

/** A password for the first start: 128 bits, URL-safe, easy to copy from a terminal. */
export function generatePassword(): string {
  return randomBytes(16).toString('base64url');
}
