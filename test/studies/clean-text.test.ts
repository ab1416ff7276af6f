// Clean stimuli: a character spanning tokens is decoded whole, and texts with
// U+FFFD, control or unprintable characters are recognised.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gpt2Tokenizer } from '../../server/lm/tokenizer.ts';
import { uncleanReason } from '../../server/stimuli/clean-text.ts';

test('token pieces decode whole byte sequences: no U+FFFD where a character spans tokens', () => {
  const t = gpt2Tokenizer();
  const text = 'Café 😀 naïve — “quoted” 日本語';
  const ids = t.encode(text);
  // Decoded one token at a time, GPT-2's byte tokens give U+FFFD for split characters.
  assert.ok(ids.map((i) => t.decode([i])).join('').includes('\uFFFD'), 'the fixture has characters spanning tokens');
  const pieces = t.decodePieces(ids);
  assert.equal(pieces.length, ids.length);
  assert.equal(pieces.join(''), text);
  assert.ok(pieces.every((p) => !p.includes('\uFFFD')), JSON.stringify(pieces));
  // Bytes still incomplete at the end are the only U+FFFD left.
  const cut = t.decodePieces(t.encode('a 😀').slice(0, -1));
  assert.ok(cut.join('').endsWith('\uFFFD'));
});

test('uncleanReason names U+FFFD, control and unprintable characters; line breaks and tabs are text', () => {
  assert.equal(uncleanReason('A plain sentence.\n\tAnd another — with “quotes” and é.'), null);
  assert.match(uncleanReason('broken \uFFFD here')!, /^U\+FFFD \(a broken character\) U\+FFFD at offset 7$/);
  assert.match(uncleanReason('bell\u0007')!, /^a control character U\+0007 at offset 4$/);
  assert.match(uncleanReason('cr\r\n')!, /control character U\+000D/);
  assert.match(uncleanReason('private \uE000')!, /unprintable character U\+E000/);
  assert.match(uncleanReason('zero\u200Bwidth')!, /unprintable character U\+200B/);
  assert.match(uncleanReason('unassigned \u0378')!, /unprintable character U\+0378/);
});
