// The participant socket's resend backoff: it doubles from one resend to the
// next up to a ceiling, and its jitter spreads clients that timed out together.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { retryDelayMs } from '../../client/participant/connection.ts';

test('resends back off exponentially, capped, with ±50% jitter', () => {
  const mid = (k: number) => retryDelayMs(k, () => 0.5);
  assert.deepEqual([0, 1, 2, 3, 4, 5, 6].map(mid), [500, 1000, 2000, 4000, 8000, 15000, 15000]);
  assert.equal(retryDelayMs(2, () => 0), 1000);
  assert.equal(retryDelayMs(2, () => 0.999), 2000 * 1.499);
  const spread = new Set(Array.from({ length: 50 }, () => retryDelayMs(3)));
  assert.ok(spread.size > 40, 'random jitter: clients that timed out together do not resend together');
  for (const d of spread) assert.ok(d >= 2000 && d < 6000, String(d));
});
