// The store's boundary: only server/store/ names the database or its engine
// (everything else opens stores through server/store/open.ts and sees the Store
// interface, whichever engine is behind it), and
// the engine stays split into rooms of at most 300 lines each.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

function tsFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) tsFiles(p, out);
    else if (p.endsWith('.ts')) out.push(p);
  }
  return out;
}

test("nothing outside server/store knows the engine of the store: neither its class, its module nor SQLite's driver", () => {
  const offenders: string[] = [];
  for (const folder of ['server', 'client', 'analysis', 'studies']) {
    for (const file of tsFiles(join(ROOT, folder))) {
      const rel = relative(ROOT, file);
      if (rel.startsWith(join('server', 'store'))) continue;
      const src = readFileSync(file, 'utf8');
      if (/from\s+['"][^'"]*store\/(sqlite|postgres)[^'"]*\.ts['"]|better-sqlite3|\b(SqliteStore|PostgresStore)\b/.test(src)) offenders.push(rel);
    }
  }
  // The researcher accounts too live behind server/store (Store.researchers, researchers.ts).
  assert.deepEqual(offenders, []);
});

test('no file in server/engine is over 300 lines', () => {
  const long = tsFiles(join(ROOT, 'server', 'engine'))
    .map((f) => ({ file: relative(ROOT, f), lines: readFileSync(f, 'utf8').split('\n').length }))
    .filter((f) => f.lines > 300);
  assert.deepEqual(long, []);
});
