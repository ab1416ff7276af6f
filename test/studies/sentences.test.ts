import { test } from 'node:test';
import assert from 'node:assert/strict';
import { splitSentences } from '../../studies/sentences.ts';

test('splitSentences: terminal punctuation, quotes, abbreviations, initials, numbers', () => {
  assert.deepEqual(splitSentences('Mr. Smith went to Washington. He met Dr. J. R. Jones at 3 p.m. Friday! Was it "a success?" Nobody knows.'), [
    'Mr. Smith went to Washington.',
    'He met Dr. J. R. Jones at 3 p.m. Friday!',
    'Was it "a success?"',
    'Nobody knows.',
  ]);
  assert.deepEqual(splitSentences('The U.S. budget grew 3.5 per cent. "It is enough," he said. (So they say.) Then it ended'), [
    'The U.S. budget grew 3.5 per cent.',
    '"It is enough," he said.',
    '(So they say.)',
    'Then it ended',
  ]);
  // A lower-case start does not open a sentence; a blank line always ends one.
  assert.deepEqual(splitSentences('It ended. and then more\n\nNew paragraph'), ['It ended. and then more', 'New paragraph']);
  assert.deepEqual(splitSentences('  '), []);
});
