// The participant-kind vocabulary: which recruiter ids are template
// placeholders, and how kind lists from --include / --kind are read.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isPlaceholderId, parseKinds, PURGEABLE_KINDS } from '../../studies/vocabulary/participant-kinds.ts';

test('template placeholders are recognised; real ids and odd text are not', () => {
  for (const v of ['{{%PROLIFIC_PID%}}', '{PID}', '${pid}', '%PROLIFIC_PID%', '[PID]', 'PROLIFIC_PID', ' {{%PROLIFIC_PID%}} ']) assert.equal(isPlaceholderId(v), true, v);
  for (const v of ['5f1a2b3c4d5e6f7a8b9c0d1e', `<img src=x onerror="window.__pwned='pid'">`, 'bot-1-3', 'a{b', '50%']) assert.equal(isPlaceholderId(v), false, v);
});

test('kind lists: comma separated, each known, and purge never takes real', () => {
  assert.deepEqual(parseKinds('pilot,bot'), ['pilot', 'bot']);
  assert.deepEqual(parseKinds(' bot , bot '), ['bot']);
  assert.throws(() => parseKinds('robots'), /'robots' is not one of real, pilot, bot/);
  assert.throws(() => parseKinds(''), /expected one or more/);
  assert.throws(() => parseKinds('bot,real', PURGEABLE_KINDS), /'real' is not one of pilot, bot/);
});
