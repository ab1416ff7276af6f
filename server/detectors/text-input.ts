// What every detector does with the text it is handed, in one place:
// - empty or whitespace-only text is refused (there is nothing to score);
// - lone UTF-16 surrogates (possible in JS strings and in URL-decoded query
//   strings) are replaced by U+FFFD, as any UTF-8 encoder would do;
// - bytes read from a file must be valid UTF-8, else the error names the file
//   and the byte offset of the first bad sequence (we never guess an encoding);
// - long texts are accepted: the RoBERTa detector truncates to 510 tokens like
//   the original, the zero-shot scorer to its `maxTokens` (both report
//   all_tokens next to used_tokens).

export class DetectorInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DetectorInputError';
  }
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

export function cleanText(text: unknown, what = 'text'): string {
  if (typeof text !== 'string') throw new DetectorInputError(`${what} must be a string`);
  const wellFormed = text.replace(LONE_SURROGATE, '\uFFFD');
  if (wellFormed.trim().length === 0) throw new DetectorInputError(`${what} is empty: nothing to score`);
  return wellFormed;
}

/** Decodes UTF-8 strictly; `source` names the file in the error. */
export function decodeUtf8(bytes: Uint8Array, source: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw new DetectorInputError(`${source}: not valid UTF-8 (first bad byte at offset ${firstInvalidUtf8(bytes)})`);
  }
}

function firstInvalidUtf8(b: Uint8Array): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i];
    const n = c < 0x80 ? 1 : c >= 0xc2 && c < 0xe0 ? 2 : c >= 0xe0 && c < 0xf0 ? 3 : c >= 0xf0 && c < 0xf5 ? 4 : 0;
    if (n === 0 || i + n > b.length) return i;
    for (let k = 1; k < n; k++) if ((b[i + k] & 0xc0) !== 0x80) return i;
    // Overlong three-byte forms and UTF-16 surrogates encoded in UTF-8.
    if (n === 3 && ((c === 0xe0 && b[i + 1] < 0xa0) || (c === 0xed && b[i + 1] >= 0xa0))) return i;
    if (n === 4 && ((c === 0xf0 && b[i + 1] < 0x90) || (c === 0xf4 && b[i + 1] >= 0x90))) return i;
    i += n;
  }
  return b.length;
}
