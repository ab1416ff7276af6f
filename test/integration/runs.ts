// What the multi-bot integration tests share: the balanced three-condition
// protocol, waiting until a run is under way (by reading the database the
// server writes), and the check that every acknowledged answer is stored once.
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
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

/** Waits (polling every 100 ms, at most `tries` times) until the database holds this many participants and responses. */
export async function waitForRows(dbPath: string, want: { participants: number; responses: number }, tries: number): Promise<void> {
  const watch = new Database(dbPath, { readonly: true, fileMustExist: true });
  try {
    for (let i = 0; i < tries; i++) {
      const r = watch.prepare('SELECT (SELECT COUNT(*) FROM participants) AS p, (SELECT COUNT(*) FROM responses) AS r').get() as { p: number; r: number };
      if (r.p >= want.participants && r.r >= want.responses) return;
      await sleep(100);
    }
  } finally {
    watch.close();
  }
}

/** Asserts that every answer a bot saw acknowledged is stored exactly once; returns how many there were. */
export function assertAckedOnce(d: Database.Database, results: readonly BotResult[]): number {
  const count = d.prepare('SELECT COUNT(*) AS n FROM responses WHERE participant_id = ? AND client_id = ?');
  let acked = 0;
  for (const r of results) {
    for (const id of r.acked) {
      acked++;
      assert.equal((count.get(r.participantId, id) as { n: number }).n, 1, `${r.pid} ${id}`);
    }
  }
  return acked;
}
