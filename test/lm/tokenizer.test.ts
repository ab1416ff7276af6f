import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import { env, AutoTokenizer } from '@huggingface/transformers';
import { basename, dirname } from 'node:path';
import { gpt2Tokenizer } from '../../server/lm/tokenizer.ts';
import { loadGpt2Dir } from '../../server/lm/gpt2-dir.ts';
import { tinyModels } from './helpers.ts';

// The 26 Xenova/gpt2 vectors of transformers.js tests/models/gpt2/test_tokenization_gpt2.js
// (texts from its test_strings.js), plus the ggml README's "Hello my name is" and
// the end-of-text special token.
const VECTORS: [string, number[]][] = [
  ['Hello my name is', [15496, 616, 1438, 318]],
  ['<|endoftext|>hi', [50256, 5303]],
  ['How are you doing?', [2437, 389, 345, 1804, 30]],
  ["You should've done this", [1639, 815, 1053, 1760, 428]],
  ['0123456789 0 1 2 3 4 5 6 7 8 9 10 100 1000', [486, 1954, 2231, 3134, 4531, 657, 352, 362, 513, 604, 642, 718, 767, 807, 860, 838, 1802, 8576]],
  ['The company was founded in 2016.', [464, 1664, 373, 9393, 287, 1584, 13]],
  ["A\n'll !!to?'d''d of, can't.", [32, 198, 1183, 37867, 1462, 8348, 67, 7061, 67, 286, 11, 460, 470, 13]],
  ['def main():\n\tpass', [4299, 1388, 33529, 198, 197, 6603]],
  ['let a = obj.toString();\ntoString();', [1616, 257, 796, 26181, 13, 1462, 10100, 9783, 198, 1462, 10100, 9783]],
  ['This\n\nis\na\ntest.', [1212, 198, 198, 271, 198, 64, 198, 9288, 13]],
  ['UNwant\u00e9d,running', [4944, 42949, 2634, 67, 11, 20270]],
  ['1\u00002\ufffd3', [16, 188, 17, 4210, 18]],
  ['Hello World', [15496, 2159]],
  ['hello world', [31373, 995]],
  ['\u751f\u6d3b\u7684\u771f\u8c1b\u662f', [37955, 162, 112, 119, 21410, 40367, 253, 164, 108, 249, 42468]],
  ['   leading space', [220, 220, 3756, 2272]],
  ['trailing space   ', [9535, 4386, 2272, 220, 220, 220]],
  ['Hi  Hello', [17250, 220, 18435]],
  ['test $1 R2 #3 \u20ac4 \u00a35 \u00a56 \u20a37 \u20b98 \u20b19 test', [9288, 720, 16, 371, 17, 1303, 18, 10432, 19, 4248, 20, 38221, 21, 2343, 224, 96, 22, 2343, 224, 117, 23, 2343, 224, 109, 24, 1332]],
  ['I bought an apple for $1.00 at the store.', [40, 5839, 281, 17180, 329, 720, 16, 13, 405, 379, 262, 3650, 13]],
  ['you\u2026  ', [5832, 1399, 220, 220]],
  ['you\u2026\u00a0\u00a0', [5832, 1399, 4603]],
  ['you\u2026\u00a0\u00a0you\u2026\u00a0\u00a0', [5832, 1399, 1849, 1849, 5832, 1399, 4603]],
  ['weird \uff5e edge \uff5e case', [732, 1447, 27332, 121, 252, 5743, 27332, 121, 252, 1339]],
  ['\u2581This \u2581is \u2581a \u2581test \u2581.', [5008, 223, 1212, 11019, 223, 271, 11019, 223, 64, 11019, 223, 9288, 11019, 223, 13]],
  ['<s>\n', [27, 82, 29, 198]],
  [' </s> test </s> ', [7359, 82, 29, 1332, 7359, 82, 29, 220]],
  ['</s>test</s>', [3556, 82, 29, 9288, 3556, 82, 29]],
];

const MORE = [
  'The quick brown fox jumps over the lazy dog.',
  "I'm sure they'll say it's fine, won't they? We've been here before.",
  '  multiple   spaces\tand\ttabs\n\nand blank lines\n\n\n',
  '3.14159 + 2.71828 = 5.85987; 1,000,000 items @ $9.99',
  'Ünïcödé — “quotes” and ‘apostrophes’ … ellipsis',
  '日本語のテキストと한국어 텍스트',
  'email@example.com https://huggingface.co/gpt2?x=1&y=2',
  '<|endoftext|>The end.<|endoftext|>',
  'CamelCaseWords and snake_case_words and SHOUTING',
  "\u00a0non-breaking\u2009thin\u200bzero-width",
];

describe('GPT-2 tokenizer', () => {
  test('encodes the transformers.js GPT-2 vectors exactly and decodes them back', () => {
    assert.equal(VECTORS.length, 28);
    const t = gpt2Tokenizer();
    assert.equal(t.vocabSize, 50257);
    assert.equal(t.eosTokenId, 50256);
    for (const [text, ids] of VECTORS) {
      assert.deepEqual(t.encode(text), ids, `encode ${JSON.stringify(text)}`);
      assert.equal(t.decode(ids), text, `decode ${JSON.stringify(text)}`);
    }
  });

  describe('agrees with transformers.js AutoTokenizer on the same model directory', () => {
    let dir = '';
    before(async () => { dir = (await tinyModels()).tiny; });
    test('same ids and same decoded text', async () => {
      env.allowRemoteModels = false;
      env.localModelPath = dirname(dir);
      const theirs = await AutoTokenizer.from_pretrained(basename(dir));
      const ours = (await loadGpt2Dir(dir, { skipHash: true })).tokenizer;
      for (const text of [...VECTORS.map(([s]) => s), ...MORE]) {
        const a = ours.encode(text);
        const b = Array.from(theirs.encode(text, { add_special_tokens: false }) as number[]);
        assert.deepEqual(a, b, `ids of ${JSON.stringify(text)}`);
        assert.equal(ours.decode(a), theirs.decode(b, { clean_up_tokenization_spaces: false }), `text of ${JSON.stringify(text)}`);
      }
    });
  });
});
