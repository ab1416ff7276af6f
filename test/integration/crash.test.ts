import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';
import { runBots } from '../../server/bots/run.ts';
import { miniProtocol, sleep, tempDir, writeStudy } from '../engine/helpers.ts';
import { assertAckedOnce, waitForRows } from './runs.ts';
import { openReader } from '../helpers/db-reader.ts';
import { freePort } from '../helpers/free-port.ts';

const ROOT = resolve(import.meta.dirname, '..', '..');

// SQLite only: a SIGKILLed writer on one file and its WAL recovered at restart. Its PostgreSQL counterpart,
// a SIGKILLed process during a 200-bot run with acknowledged answers stored once, is in workers.test.ts.

function serve(port: number, db: string, file: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/cli/main.ts', 'serve', '--port', String(port), '--db', db, '--study', file, '--join-limit-exempt', '127.0.0.1'], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((ok, fail) => {
    let out = '';
    const t = setTimeout(() => fail(new Error(`server did not start: ${out}`)), 30_000);
    child.stdout!.on('data', (d) => {
      out += d;
      if (out.includes('serving on')) {
        clearTimeout(t);
        ok(child);
      }
    });
    child.stderr!.on('data', (d) => (out += d));
    child.once('exit', (code) => fail(new Error(`server exited ${code}: ${out}`)));
  });
}

test('SIGKILL during a 200-bot run: every acknowledged response is stored exactly once and every bot resumes where it was and finishes', async () => {
  const tmp = tempDir();
  let child: ChildProcess | undefined;
  try {
    const p = miniProtocol();
    p.id = 'crash';
    p.design.conditions = p.design.conditions.map((c: any) => ({ ...c, target: 100 }));
    p.design.slot_ttl_minutes = 5;
    const file = writeStudy(tmp.dir, p);
    const db = join(tmp.dir, 'crash.db');
    const port = await freePort();
    child = await serve(port, db, file);
    const run = runBots({
      url: `http://127.0.0.1:${port}`,
      study: file,
      n: 200,
      concurrency: 200,
      thinkMs: [150, 500],
      pidPrefix: 'K-',
      keepResults: true,
      maxMsPerBot: 90_000,
    });
    // Kill once every bot has joined and is mid-way (polling the database the server writes).
    await waitForRows(db, { participants: 200, responses: 600 }, 300);
    child.kill('SIGKILL');
    await new Promise((r) => child!.once('exit', r));
    await sleep(500);
    child = await serve(port, db, file);
    const summary = await run;

    assert.equal(summary.stuck, 0, `stuck bots: ${summary.errors.join('\n')}`);
    assert.equal(summary.completed, 200, JSON.stringify(summary.byStatus));
    assert.ok(summary.reconnects >= 150, `most bots reconnected after the kill (${summary.reconnects})`);

    const d = await openReader(db);
    try {
      const acked = await assertAckedOnce(d, summary.results!);
      assert.ok(acked > 1500, `acked ${acked}`);
      const dup = await d.number('SELECT COUNT(*) AS n FROM (SELECT participant_id, page_index, COUNT(*) c FROM responses GROUP BY 1, 2 HAVING c > 1 AND MIN(page_kind) <> \'comprehension\')');
      assert.equal(dup, 0, 'no page answered twice');
      const statuses = await d.all('SELECT status, COUNT(*) AS n FROM participants GROUP BY status');
      assert.deepEqual(statuses, [{ status: 'completed', n: 200 }]);
    } finally {
      await d.close();
    }
    // Resume: the page after reconnecting is the one the bot was on, or the next when its last submit had
    // committed (unacknowledged at the kill, or acknowledged while the next page was still on the wire).
    const resumes = summary.results!.flatMap((r) => r.resumes.filter((x) => x.before >= 0));
    assert.ok(resumes.length >= 150, `resumes ${resumes.length}`);
    for (const x of resumes) {
      assert.ok(x.after === x.before || ((x.pendingBefore || x.ackedBefore) && x.after === x.before + 1), JSON.stringify(x));
    }
    console.log(`# acked ${summary.submits} submits, ${summary.reconnects} reconnects, ${summary.retries} retries, resumes ${resumes.length}`);
  } finally {
    if (child && child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((r) => child!.once('exit', r));
    }
    tmp.cleanup();
  }
});
