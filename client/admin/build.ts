// Bundles the researcher app (lit + socket.io-client) into client/dist-admin/admin.js,
// outside client/dist (which /static serves to anyone): the bundle and its source
// map are sent only to a logged-in researcher (/admin/assets/).
// mountAdmin calls buildAdminClient() when the server starts; it does nothing
// when the bundle is newer than every source file. Several servers may start at
// once (tests), so the bundle is written to a temporary file and renamed.
import { buildSync } from 'esbuild';
import { existsSync, mkdirSync, readdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const ADMIN_BUNDLE = join(root, 'client', 'dist-admin', 'admin.js');
const sourceDir = join(root, 'client', 'admin');

function newestMtime(path: string): number {
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = 0;
  for (const name of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, name)));
  return newest;
}

export function adminBundleIsFresh(): boolean {
  if (!existsSync(ADMIN_BUNDLE)) return false;
  // An install that ships only the built bundle has nothing to rebuild from.
  if (!existsSync(join(sourceDir, 'main.ts'))) return true;
  return newestMtime(sourceDir) < statSync(ADMIN_BUNDLE).mtimeMs;
}

/** Builds the bundle when missing or older than its sources (or always, with force). Returns whether it built. */
export function buildAdminClient(opts: { force?: boolean } = {}): boolean {
  if (!opts.force && adminBundleIsFresh()) return false;
  const result = buildSync({
    entryPoints: [join(sourceDir, 'main.ts')],
    outfile: ADMIN_BUNDLE,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2020',
    minify: true,
    sourcemap: 'linked',
    legalComments: 'none',
    logLevel: 'silent',
    write: false,
  });
  mkdirSync(dirname(ADMIN_BUNDLE), { recursive: true });
  const tmpSuffix = `.${process.pid}.${Date.now()}.tmp`;
  // The map first, so that a reader never finds a bundle whose map is missing.
  const ordered = [...result.outputFiles].sort((a, b) => Number(b.path.endsWith('.map')) - Number(a.path.endsWith('.map')));
  for (const file of ordered) {
    writeFileSync(file.path + tmpSuffix, file.contents);
    renameSync(file.path + tmpSuffix, file.path);
  }
  return true;
}

// `npx tsx client/admin/build.ts` always rebuilds.
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    buildAdminClient({ force: true });
    console.log(`built ${ADMIN_BUNDLE.slice(root.length + 1)}`);
  } catch (err) {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  }
}
