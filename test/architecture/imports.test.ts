// The import rule between the project's rooms: server/ may import anything;
// analysis/, studies/ and client/ never import server/ (they run without it:
// in the browser, in an analysis script); studies/ — the shared vocabulary and
// the protocol language — imports nothing else of the project, so every room
// can depend on it without a cycle. Imports are read with TypeScript's own
// scanner (static, type-only, re-exports and dynamic import()).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** The top-level folders whose imports are restricted, and what each may not import. */
const RULES: { room: string; forbidden: (targetRoom: string) => boolean; why: string }[] = [
  { room: 'analysis', forbidden: (t) => t === 'server', why: 'analysis/ may not import server/' },
  { room: 'client', forbidden: (t) => t === 'server', why: 'client/ may not import server/' },
  { room: 'studies', forbidden: (t) => t !== 'studies', why: 'studies/ may import nothing of the project outside studies/' },
];

function tsFiles(dir: string, out: string[] = []): string[] {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries) {
    if (e.name === 'node_modules' || e.name === 'dist' || e.name.startsWith('.')) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) tsFiles(p, out);
    else if (e.name.endsWith('.ts')) out.push(p);
  }
  return out;
}

/** Every module specifier a file imports or re-exports, statically or with import(). */
export function importsOf(source: string): string[] {
  return ts.preProcessFile(source, true, true).importedFiles.map((f) => f.fileName);
}

/** Breaches of the rule under `root`: one line per import, "file -> target (why)". */
export function importViolations(root: string): string[] {
  const out: string[] = [];
  for (const rule of RULES) {
    for (const file of tsFiles(join(root, rule.room))) {
      for (const spec of importsOf(readFileSync(file, 'utf8'))) {
        if (!spec.startsWith('.') && !spec.startsWith('/')) continue; // a package
        const target = relative(root, resolve(dirname(file), spec));
        if (target.startsWith('..')) continue; // outside the project
        const targetRoom = target.split(sep)[0];
        if (rule.forbidden(targetRoom)) out.push(`${relative(root, file)} -> ${target.split(sep).join('/')} (${rule.why})`);
      }
    }
  }
  return out.sort();
}

test('analysis/, client/ and studies/ import nothing they may not', () => {
  // Sanity: the scan sees the rooms (a wrong root would pass vacuously).
  for (const room of ['analysis', 'client', 'studies']) assert.ok(tsFiles(join(repo, room)).length > 5, `no .ts files found under ${room}/`);
  assert.deepEqual(importViolations(repo), []);
});

test('the rule catches every form of import across a forbidden edge', () => {
  const root = mkdtempSync(join(tmpdir(), 'credence-imports-'));
  try {
    const write = (path: string, text: string) => {
      mkdirSync(dirname(join(root, path)), { recursive: true });
      writeFileSync(join(root, path), text);
    };
    write('server/store/store.ts', 'export type X = 1;\n');
    write('analysis/rows.ts', 'export type R = 1;\n');
    write('studies/vocabulary/pages.ts', "import type { z } from 'zod';\nexport type P = 1;\n");
    write('studies/plan.ts', "import type { P } from './vocabulary/pages.ts';\nimport { readFileSync } from 'node:fs';\n");
    write('client/a.ts', "import type { X } from '../server/store/store.ts';\nimport { P } from '../studies/vocabulary/pages.ts';\n");
    write('client/deep/b.ts', "export { X } from '../../server/store/store.ts';\n");
    write('analysis/c.ts', "const m = await import('../server/store/store.ts');\nimport type { R } from './rows.ts';\n");
    write(
      'studies/d.ts',
      "import {\n  R,\n} from '../analysis/rows.ts';\nimport type { X } from '../server/store/store.ts';\nexport * from '../client/a.ts';\n",
    );
    write('server/e.ts', "import { P } from '../studies/vocabulary/pages.ts';\nimport { R } from '../analysis/rows.ts';\n");
    assert.deepEqual(importViolations(root), [
      'analysis/c.ts -> server/store/store.ts (analysis/ may not import server/)',
      'client/a.ts -> server/store/store.ts (client/ may not import server/)',
      'client/deep/b.ts -> server/store/store.ts (client/ may not import server/)',
      'studies/d.ts -> analysis/rows.ts (studies/ may import nothing of the project outside studies/)',
      'studies/d.ts -> client/a.ts (studies/ may import nothing of the project outside studies/)',
      'studies/d.ts -> server/store/store.ts (studies/ may import nothing of the project outside studies/)',
    ]);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
