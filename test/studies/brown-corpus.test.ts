// The Brown corpus press section, detokenised: clean prose a reader would
// recognise as the 1961 newspaper text, cut into passages of whole sentences.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { brownPassages, brownPressFiles, brownSentences, detokenise } from '../../server/stimuli/brown.ts';
import { splitSentences, countWords } from '../../studies/sentences.ts';

describe('Brown corpus press section', () => {
  test('press files are ca*, cb*, cc* (44 reportage, 27 editorial, 17 reviews)', () => {
    const files = brownPressFiles();
    assert.equal(files.filter((f) => f.startsWith('ca')).length, 44);
    assert.equal(files.filter((f) => f.startsWith('cb')).length, 27);
    assert.equal(files.filter((f) => f.startsWith('cc')).length, 17);
  });

  test('the first sentence of ca01, detokenised', () => {
    assert.equal(
      brownSentences('ca01')[0].text,
      'The Fulton County Grand Jury said Friday an investigation of Atlanta\'s recent primary election produced "no evidence" that any irregularities took place.',
    );
  });

  test('quotes, commas and abbreviations at a sentence end', () => {
    const s = brownSentences('ca01').map((x) => x.text);
    assert.ok(s.includes('The September-October term jury had been charged by Fulton Superior Court Judge Durwood Pye to investigate reports of possible "irregularities" in the hard-fought primary which was won by Mayor-nominate Ivan Allen Jr.'));
    assert.ok(
      s.includes('The City Purchasing Department, the jury said, "is lacking in experienced clerical personnel as a result of city personnel policies".'),
    );
    assert.equal(detokenise("``/`` Only/rb a/at handful/nn ''/'' ,/, he/pps said/vbd ;/. (/( 1/cd )/) it/pps was/bedz '/' odd/jj '/' ./."), '"Only a handful", he said; (1) it was \'odd\'.');
    assert.equal(detokenise('Merger/nn-hl proposed/vbn-hl'), null, 'headlines are dropped');
  });

  test('passages: whole sentences within the word limits, clean prose, re-split to the same sentences', () => {
    const passages = brownPassages(80, 160);
    assert.ok(passages.length > 500, `${passages.length} passages`);
    for (const p of passages) {
      assert.ok(p.words >= 80 && p.words <= 160, `${p.file}: ${p.words} words`);
      assert.equal(countWords(p.text), p.words);
      assert.ok(/^[A-Z0-9"'(]/.test(p.text), p.text.slice(0, 40));
      assert.ok(/[.?!]["')]?$/.test(p.text), p.text.slice(-40));
      assert.doesNotMatch(p.text, /``|''|\/[a-z]+\b(?!\/)|\s[,.;:?!)]|\(\s/, `${p.file}:${p.firstLine}: ${p.text}`);
      assert.deepEqual(splitSentences(p.text), p.sentences);
    }
    assert.match(passages[0].text, /^The Fulton County Grand Jury said Friday/);
  });
});
