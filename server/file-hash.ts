// The one file hasher: sha256 over one or more files in order, streamed (model
// files reach 1.4 GB) so memory stays flat. Model files are hashed once per
// process: the digest is cached per (path, size, mtime) of every file, so
// scoring or generating with a model many times reads it once. Files this
// process writes itself (analysis outputs) are hashed with `cache: false`.
import { createHash } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';

const cache = new Map<string, string>();

export interface HashFilesOptions {
  /** Reuse a digest computed earlier in this process for the same paths, sizes and mtimes (default true). */
  cache?: boolean;
}

/** sha256 (hex) of the concatenated contents of `files`. */
export async function sha256Files(files: string[], opts: HashFilesOptions = {}): Promise<string> {
  const useCache = opts.cache !== false;
  const key = useCache ? files.map((f) => { const s = statSync(f); return `${f}:${s.size}:${s.mtimeMs}`; }).join('|') : '';
  const hit = useCache ? cache.get(key) : undefined;
  if (hit) return hit;
  const hash = createHash('sha256');
  for (const f of files) {
    for await (const chunk of createReadStream(f, { highWaterMark: 4 << 20 })) hash.update(chunk as Buffer);
  }
  const hex = hash.digest('hex');
  if (useCache) cache.set(key, hex);
  return hex;
}

/** sha256 (hex) of one file. */
export const sha256File = (path: string, opts: HashFilesOptions = {}): Promise<string> => sha256Files([path], opts);
