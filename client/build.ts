// Bundles the participant app (lit + socket.io-client) for the browser. The
// server calls buildClient() at start; it is a no-op when the bundle is already
// newer than every source it is made from, so a restart costs nothing.
import { build } from 'esbuild';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outFile = join(root, 'client', 'dist', 'participant.js');
/** The files the last build read (from esbuild's metafile), so a change anywhere in the import graph rebuilds. */
const inputsFile = join(root, 'client', 'dist', 'participant.inputs.json');

/** Where the bundle's sources live; a change in any of them triggers a rebuild. */
const sources = [
  'client/participant',
  'client/questions',
  'client/shared',
  'studies/questions',
  'studies/sentences.ts',
  'studies/vocabulary',
  'studies/protocol.ts',
];

function newestMtime(path: string): number {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = 0;
  for (const name of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, name)));
  return newest;
}

function lastInputs(): string[] {
  try {
    const list: unknown = JSON.parse(readFileSync(inputsFile, 'utf8'));
    return Array.isArray(list) ? list.filter((x): x is string => typeof x === 'string') : [];
  } catch {
    return [];
  }
}

function isFresh(): boolean {
  if (!existsSync(outFile) || !existsSync(inputsFile)) return false;
  const built = statSync(outFile).mtimeMs;
  // node_modules count too: an upgraded lit or socket.io-client must not keep serving the old one.
  return [...sources, ...lastInputs()].every((s) => newestMtime(join(root, s)) < built);
}

export async function buildClient(opts: { force?: boolean } = {}): Promise<void> {
  if (!opts.force && isFresh()) return;
  const result = await build({
    entryPoints: [join(root, 'client', 'participant', 'main.ts')],
    outfile: outFile,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2020',
    minify: true,
    sourcemap: true,
    legalComments: 'none',
    logLevel: 'error',
    write: false,
    metafile: true,
    absWorkingDir: root,
  });
  // Write beside and rename: a server (or a parallel test) may be serving the old bundle right now,
  // and a browser must never load half a file.
  mkdirSync(dirname(outFile), { recursive: true });
  const writeAtomically = (path: string, data: string | Uint8Array) => {
    const tmp = `${path}.${process.pid}.tmp`;
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  };
  writeAtomically(inputsFile, JSON.stringify(Object.keys(result.metafile.inputs).sort(), null, 1));
  for (const f of result.outputFiles) writeAtomically(f.path, f.contents);
}

// `npx tsx client/build.ts` always rebuilds.
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  buildClient({ force: true }).then(
    () => console.log(`built ${outFile.slice(root.length + 1)}`),
    (err: unknown) => {
      console.error(err instanceof Error ? err.message : err);
      process.exit(1);
    },
  );
}
