import { test } from 'node:test';
import assert from 'node:assert/strict';
import { paragraphs } from '../../client/shared/paragraphs.ts';

test('protocol prose: blank lines separate paragraphs, single line breaks fold into spaces', () => {
  const yamlBlock = 'You will read 10 short texts and,\nfor each, say who wrote it.\n\n  Taking part is voluntary;\nyou may stop at any time.\n\n\n<script>x</script>\n';
  assert.deepEqual(paragraphs(yamlBlock), [
    'You will read 10 short texts and, for each, say who wrote it.',
    'Taking part is voluntary; you may stop at any time.',
    '<script>x</script>',
  ]);
  assert.deepEqual(paragraphs('one line'), ['one line']);
  assert.deepEqual(paragraphs('\n \n'), []);
});
