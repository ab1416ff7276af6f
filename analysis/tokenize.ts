// Words as the TF-IDF detector and the distinctive-terms analysis count them:
// scikit-learn's default token_pattern (?u)\b\w\w+\b, lowercased, so the
// vocabulary matches an sklearn pipeline on the same texts.
export function tokenize(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}_]{2,}/gu) ?? [];
}

/** The text's words followed by its n-grams up to `ngramMax`, joined by a space. */
export function ngrams(text: string, ngramMax = 1): string[] {
  const toks = tokenize(text);
  const out = toks.slice();
  for (let n = 2; n <= ngramMax; n++) {
    for (let i = 0; i + n <= toks.length; i++) out.push(toks.slice(i, i + n).join(' '));
  }
  return out;
}
