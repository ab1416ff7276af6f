// Stored times as ISO text (server/store/rows.ts iso): the fast path gives
// exactly toISOString's text at day edges, before 1970, at the ends of Date's
// range and past year 9999, and refuses what toISOString refuses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { iso } from '../../server/store/rows.ts';

const DAY = 86_400_000;
const RANGE = 8.64e15;

test('iso writes what toISOString writes', () => {
  const edges = [0, DAY, -DAY, 253402300800000 /* year 10000 */, -62167219200000 /* year 0 */, RANGE, -RANGE, Date.UTC(2026, 0, 1), Date.UTC(2024, 1, 29, 23, 59, 59, 999)];
  const times: number[] = [];
  for (const e of edges) for (let d = -2; d <= 2; d++) if (Math.abs(e + d) <= RANGE) times.push(e + d);
  // A fixed linear congruential walk over the whole range and over recent years (no Math.random: the same times each run).
  let x = 12345;
  const next = () => (x = (x * 1103515245 + 12345) % 2147483648) / 2147483648;
  for (let i = 0; i < 20000; i++) times.push(Math.round((next() * 2 - 1) * RANGE));
  for (let i = 0; i < 20000; i++) times.push(1.7e12 + Math.floor(next() * 1e11));
  let wrong = 0;
  for (const ms of times) if (iso(ms) !== new Date(ms).toISOString()) wrong++;
  assert.equal(wrong, 0, `${wrong} of ${times.length} times differ from toISOString`);
  assert.equal(iso(1.9), new Date(1.9).toISOString(), 'a fraction of a millisecond is cut as Date cuts it');
  assert.equal(iso(null), null);
});

test('iso refuses what toISOString refuses', () => {
  for (const bad of [NaN, Infinity, RANGE + 1]) assert.throws(() => iso(bad), RangeError);
});
