// sha256 of a model file, streamed (detector files reach 1.4 GB) and cached per
// path + size + mtime so that scoring a study hashes each model once.
import { createHash } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';

const cache = new Map<string, string>();

export async function fileSha256(path: string): Promise<string> {
  const st = statSync(path);
  const key = `${path}:${st.size}:${st.mtimeMs}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 4 << 20 })) hash.update(chunk as Buffer);
  const hex = hash.digest('hex');
  cache.set(key, hex);
  return hex;
}
