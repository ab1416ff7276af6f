// Bundles the participant app (lit + socket.io-client) for the browser. The
// server calls buildClient() at start; it is a no-op when the bundle is already
// newer than every source it is made from, so a restart costs nothing.
import { build } from 'esbuild';
import { existsSync, mkdirSync, readdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outFile = join(root, 'client', 'dist', 'participant.js');

/** Everything the bundle is made from; a change in any of them triggers a rebuild. */
const sources = [
  'client/participant',
  'client/questions',
  'client/shared',
  'studies/questions',
  'studies/sentences.ts',
  'server/realtime/events.ts',
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

function isFresh(): boolean {
  if (!existsSync(outFile)) return false;
  const built = statSync(outFile).mtimeMs;
  return sources.every((s) => newestMtime(join(root, s)) < built);
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
  });
  // Write beside and rename: a server (or a parallel test) may be serving the old bundle right now,
  // and a browser must never load half a file.
  mkdirSync(dirname(outFile), { recursive: true });
  for (const f of result.outputFiles) {
    const tmp = `${f.path}.${process.pid}.tmp`;
    writeFileSync(tmp, f.contents);
    renameSync(tmp, f.path);
  }
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
