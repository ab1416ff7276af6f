// Abuse suite, finding 12 / build item 10: `credence backup` takes an online,
// consistent copy while participants keep answering; the copy passes
// integrity_check and holds every response acknowledged before it began.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, spawn } from 'node:child_process';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { startServer } from '../../server/http/server.ts';
import { runBots } from '../../server/bots/run.ts';
import { miniProtocol, sleep, tempDir, writeStudy } from '../engine/helpers.ts';

test('backup during a 200-bot run passes integrity_check and holds every response acknowledged before it began', { timeout: 600_000 }, async () => {
  const tmp = tempDir();
  const p = miniProtocol();
  p.id = 'backup';
  p.design.conditions = p.design.conditions.map((c: { target: number }) => ({ ...c, target: 100 }));
  const file = writeStudy(tmp.dir, p);
  const dbPath = join(tmp.dir, 'live.db');
  const server = await startServer({ port: 0, db: dbPath, dataDir: tmp.dir, studies: [file], buildClient: false, log: () => {}, joinLimitExempt: ['127.0.0.1'] });
  try {
    const bots = runBots({ url: server.url, study: file, n: 200, concurrency: 200, thinkMs: [20, 80], pidPrefix: 'B-', seed: 5, keepResults: true });
    // Mid-run: what is acknowledged now is committed now (acks wait for the commit), so read it from the live database.
    const live = new Database(dbPath, { readonly: true });
    const stored = () => live.prepare('SELECT participant_id || \'/\' || client_id AS k FROM responses').all() as { k: string }[];
    for (let i = 0; i < 240 && stored().length < 300; i++) await sleep(250);
    const before = stored();
    live.close();
    assert.ok(before.length > 50, `the run is under way (${before.length} responses)`);
    const out = join(tmp.dir, 'copy.db');
    const child = spawn(process.execPath, ['--import', 'tsx', 'server/cli/main.ts', 'backup', '--db', dbPath, '--out', out], { stdio: ['ignore', 'pipe', 'pipe'] });
    let printed = '';
    child.stdout!.on('data', (d) => (printed += d));
    child.stderr!.on('data', (d) => (printed += d));
    const code = await new Promise<number | null>((ok) => child.once('exit', ok));
    assert.equal(code, 0, printed);
    const summary = await bots;
    assert.equal(summary.stuck, 0, summary.errors.join('\n'));
    const copy = new Database(out, { readonly: true });
    assert.equal(copy.pragma('integrity_check', { simple: true }), 'ok');
    const inCopy = new Set((copy.prepare('SELECT participant_id || \'/\' || client_id AS k FROM responses').all() as { k: string }[]).map((r) => r.k));
    copy.close();
    const missing = before.filter((r) => !inCopy.has(r.k));
    assert.deepEqual(missing, [], 'every response stored before the backup began is in it');
    const verify = spawnSync(process.execPath, ['--import', 'tsx', 'server/cli/main.ts', 'backup', '--verify', out], { encoding: 'utf8' });
    assert.equal(verify.status, 0, verify.stderr);
    assert.match(verify.stdout, /integrity_check passed/);
  } finally {
    await server.close();
    tmp.cleanup();
  }
});
