// The one sentence splitter of the platform. The RoFT boundary question counts
// sentences, so the server (which stores the true boundary), the browser (which
// shows the sentences to click) and analysis must split a passage the same way:
// they all import this pure function (no Node APIs, safe for the client bundle).

/** Words that end with a period without ending a sentence (news prose: titles, months, states, companies). */
const ABBREVIATIONS = new Set(
  [
    'mr', 'mrs', 'ms', 'dr', 'jr', 'sr', 'st', 'mt', 'ft', 'rev', 'gen', 'gov', 'sen', 'rep', 'col', 'capt', 'lt', 'sgt',
    'maj', 'cmdr', 'adm', 'prof', 'pres', 'supt', 'atty', 'hon', 'messrs', 'mme', 'msgr', 'fr', 'bros', 'co', 'corp',
    'inc', 'ltd', 'no', 'nos', 'vs', 'etc', 'cf', 'al', 'ave', 'blvd', 'rd', 'dept', 'univ', 'assn', 'approx', 'est',
    'jan', 'feb', 'mar', 'apr', 'jun', 'jul', 'aug', 'sep', 'sept', 'oct', 'nov', 'dec',
    'ala', 'ariz', 'ark', 'calif', 'colo', 'conn', 'del', 'fla', 'ga', 'ill', 'ind', 'kan', 'kans', 'ky', 'la', 'md',
    'mass', 'mich', 'minn', 'miss', 'mo', 'mont', 'neb', 'nev', 'okla', 'ore', 'pa', 'tenn', 'tex', 'va', 'vt', 'wash',
    'wis', 'wyo', 'e.g', 'i.e', 'a.m', 'p.m', 'u.s', 'u.n', 'd.c',
  ],
);

const CLOSERS = `"'”’)]`;
const OPENERS = `"'“‘([`;

function isAbbreviation(word: string): boolean {
  const w = word.replace(/^[("'“‘[]+/, '').replace(/\.$/, '').toLowerCase();
  if (w.length === 0) return false;
  if (ABBREVIATIONS.has(w)) return true;
  // A single initial ("J.") or dotted initials ("U.S", "A.B.C") rarely end a sentence in news prose.
  if (/^[a-z]$/.test(w)) return true;
  return /^([a-z]\.)+[a-z]$/.test(w);
}

/**
 * Splits prose into sentences. A sentence ends at `.`, `?` or `!` (plus any
 * closing quotes or brackets) followed by whitespace and a capital letter, a
 * digit or an opening quote — unless the word before the period is a known
 * abbreviation or an initial. Paragraph breaks (blank lines) always end a
 * sentence. Each returned sentence is trimmed; joining them with one space
 * gives the text back up to whitespace.
 */
export function splitSentences(text: string): string[] {
  const out: string[] = [];
  for (const paragraph of text.split(/\n\s*\n/)) {
    let start = 0;
    const p = paragraph;
    for (let i = 0; i < p.length; i++) {
      const ch = p[i];
      if (ch !== '.' && ch !== '?' && ch !== '!') continue;
      let end = i + 1;
      while (end < p.length && (p[end] === '.' || p[end] === '?' || p[end] === '!')) end++;
      while (end < p.length && CLOSERS.includes(p[end])) end++;
      let next = end;
      while (next < p.length && /\s/.test(p[next])) next++;
      if (next === end && end < p.length) continue; // no space after: "3.5", "U.S."
      if (next >= p.length) break; // the last sentence, handled below
      const c = p[next];
      const startsSentence = /[A-Z0-9]/.test(c) || OPENERS.includes(c);
      if (!startsSentence) continue;
      if (ch === '.' && end === i + 1) {
        const wordStart = p.lastIndexOf(' ', i) + 1;
        const word = p.slice(wordStart, i + 1);
        if (isAbbreviation(word)) continue;
      }
      const sentence = p.slice(start, end).trim().replace(/\s+/g, ' ');
      if (sentence) out.push(sentence);
      start = next;
      i = next - 1;
    }
    const rest = p.slice(start).trim().replace(/\s+/g, ' ');
    if (rest) out.push(rest);
  }
  return out;
}

/** Words as the platform counts them (length_words, min/max_words). */
export function countWords(text: string): number {
  const t = text.trim();
  return t ? t.split(/\s+/).length : 0;
}
