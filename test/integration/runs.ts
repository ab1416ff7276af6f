// What the multi-bot integration tests share: the balanced three-condition
// protocol, waiting until a run is under way (by reading the database the
// server writes, on either engine), and the check that every acknowledged
// answer is stored once.
import assert from 'node:assert/strict';
import { ackedStorage, openReader, type DbReader } from '../helpers/db-reader.ts';
import type { BotResult } from '../../server/bots/bot.ts';
import { miniProtocol, sleep } from '../engine/helpers.ts';

/** The mini study with three conditions of target 50 and a 1.2 s slot TTL, so abandoned places return within a test. */
export function balancedProtocol(id: string): any {
  const p = miniProtocol();
  p.id = id;
  p.design.conditions = [
    { id: 'small', target: 50, pools: ['m_small'] },
    { id: 'large', target: 50, pools: ['m_large'] },
    { id: 'mixed', target: 50, pools: ['m_small', 'm_large'] },
  ];
  p.design.slot_ttl_minutes = 0.02; // 1.2 s
  return p;
}

/** Waits (polling every 100 ms, at most `tries` times) until the database (a file or a postgres:// URL) holds this many participants and responses. */
export async function waitForRows(db: string, want: { participants: number; responses: number }, tries: number): Promise<void> {
  const watch = await openReader(db);
  try {
    for (let i = 0; i < tries; i++) {
      const [r] = await watch.all<{ p: number | string; r: number | string }>('SELECT (SELECT COUNT(*) FROM participants) AS p, (SELECT COUNT(*) FROM responses) AS r');
      if (Number(r.p) >= want.participants && Number(r.r) >= want.responses) return;
      await sleep(100);
    }
  } finally {
    await watch.close();
  }
}

/** Asserts that every answer a bot saw acknowledged is stored exactly once; returns how many there were. */
export async function assertAckedOnce(d: DbReader, results: readonly BotResult[]): Promise<number> {
  const stored = await ackedStorage(d, results);
  assert.deepEqual(stored.lost, [], 'acknowledged but not stored');
  assert.deepEqual(stored.twice, [], 'stored twice');
  return stored.acked;
}
