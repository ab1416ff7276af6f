// Deadline claims (issue 15), on each engine: two stores on one database (a
// SQLite file, or a PostgreSQL database) stand for two server processes. Each due deadline is claimed by exactly one of them; a
// claim lapses after its lease (its claimer died); a new deadline (the next
// page) is a new claim; a deadline not yet due is not claimable.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Store } from '../../server/store/store.ts';
import { openStore } from '../../server/store/open.ts';
import { rawSql, TEST_ENGINES } from '../helpers/engines.ts';
import { loadDef, miniProtocol, tempDir, writeStudy } from '../engine/helpers.ts';

for (const on of TEST_ENGINES) describe(`deadline claims on ${on.name}`, () => {
  test('due deadlines: each claimed by exactly one process; lapsed claims and new deadlines are claimable again; future ones are not', async () => {
    const tmp = tempDir();
    const db = await on.newDb(tmp.dir, 'claims.db');
    const a = await openStore({ db });
    const b = await openStore({ db });
    try {
      const def = await loadDef(writeStudy(tmp.dir, miniProtocol()));
      await a.registerStudy(def);
      const ids: string[] = [];
      for (let i = 0; i < 10; i++) {
        const r = await a.createParticipant({
          studyId: 'mini',
          version: def.version,
          tokenHash: `t${i}`,
          prolificPid: null,
          prolificStudyId: null,
          prolificSessionId: null,
          now: 1000,
          studyLimitMs: i === 9 ? 5000 : null, // the last one has only a study deadline (at 6000)
          choose: () => ({ condition: 'small', seed: i, plan: [], deadlineAt: i === 9 ? null : 1000 + i }),
        });
        assert.ok(!('full' in r));
        ids.push(r.participant.id);
      }
      const claim = (s: Store, now: number, more: { dueBefore?: number; only?: string } = {}) =>
        s.claimDeadlines({ dueBefore: more.dueBefore ?? now, now, leaseMs: 5000, limit: 100, only: more.only });

      const [byA, byB] = await Promise.all([claim(a, 2000), claim(b, 2000)]);
      assert.deepEqual([...byA, ...byB].sort(), ids.slice(0, 9).sort(), 'every due page deadline claimed');
      assert.equal(new Set([...byA, ...byB]).size, byA.length + byB.length, 'never by both');
      assert.deepEqual(await claim(b, 3000), [], 'held while the lease runs');
      assert.deepEqual(await claim(a, 3000, { only: ids[0] }), [], 'held for its own timer too');

      // The claimer died: after the lease another process takes them.
      const again = await claim(b, 7001, { dueBefore: 2000 });
      assert.deepEqual(again.sort(), ids.slice(0, 9).sort());
      // The study deadline (6000) is due by 7001 and claimed once.
      assert.deepEqual(await claim(a, 7001), [ids[9]]);
      assert.deepEqual(await claim(b, 7001), []);

      // The participant moved on to a page with a new deadline: a new claim, even within the old one's lease.
      await rawSql(db, `UPDATE participants SET page_index = 1, deadline_at = 7500 WHERE id = '${ids[0]}'`);
      assert.deepEqual(await claim(a, 7400, { only: ids[0] }), [], 'not due yet');
      assert.deepEqual(await claim(a, 7600, { only: ids[0] }), [ids[0]]);
      assert.deepEqual(await claim(b, 7600, { only: ids[0] }), []);

      // Ended participants have no deadlines to claim.
      await rawSql(db, `UPDATE participants SET status = 'completed' WHERE id = '${ids[1]}'`);
      assert.ok(!(await claim(a, 20_000)).includes(ids[1]));
    } finally {
      await a.close();
      await b.close();
      tmp.cleanup();
    }
  });
});
