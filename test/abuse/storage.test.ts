// Abuse suite, findings 6, 10 and 11: another writer on the database delays
// submits instead of failing them; a corrupt, read-only or empty database is
// refused at start with a message naming the file; the files are private, also
// when `credence start` prepares stimuli before the database exists.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, openSync, readSync, statSync, writeFileSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { startServer } from '../../server/http/server.ts';
import { miniProtocol, tempDir, writeStudy } from '../engine/helpers.ts';
import { emitAck, joinAs, once } from '../integration/helpers.ts';
import type { PageView } from '../../studies/vocabulary/participant-wire.ts';

async function startOn(dbPath: string, dir: string) {
  const p = miniProtocol();
  return startServer({ port: 0, db: dbPath, dataDir: dir, studies: [writeStudy(dir, p)], buildClient: false, log: () => {} });
}

test('a concurrent BEGIN IMMEDIATE held 500 ms by another process delays a submit and fails none', async () => {
  const tmp = tempDir();
  const dbPath = join(tmp.dir, 'busy.db');
  const server = await startOn(dbPath, tmp.dir);
  try {
    const a = await joinAs(server.url, 'mini', 'BUSY');
    // Another process (a sqlite3 shell, credence score) takes the write lock, writes, and holds it 500 ms from
    // the moment the test says it is submitting, then commits. The server runs in this process and its
    // BEGIN IMMEDIATE waits on this thread, so the release has to be timed by the holder; counting the 500 ms
    // from "submitting" rather than from "locked" keeps a slow pipe from eating the hold (the old flake).
    const holder = spawn(
      process.execPath,
      ['-e', `const D=require('better-sqlite3');const d=new D(process.argv[1]);d.pragma('busy_timeout=5000');d.exec('BEGIN IMMEDIATE');d.exec('CREATE TABLE IF NOT EXISTS other_writer(x)');d.prepare('INSERT INTO other_writer VALUES (1)').run();console.log('locked');process.stdin.once('data',()=>setTimeout(()=>{const at=Date.now();d.exec('COMMIT');console.log('released '+at);process.exit(0);},500));`, dbPath],
      { stdio: ['pipe', 'pipe', 'inherit'] },
    );
    const exited = new Promise((ok) => holder.once('exit', ok));
    let out = '';
    holder.stdout!.on('data', (d) => (out += String(d)));
    const said = async (re: RegExp): Promise<RegExpMatchArray> => {
      for (let m = out.match(re); ; m = out.match(re)) {
        if (m) return m;
        await new Promise((ok) => holder.stdout!.once('data', ok));
      }
    };
    await said(/locked/);
    const next = once<PageView>(a.socket, 'page', 10_000);
    holder.stdin!.end('submitting\n');
    const sentAt = Date.now();
    const ack = await emitAck(a.socket, 'submit', { clientId: 'consent-busy-1', pageIndex: a.page.index, answers: { consent: true }, rtMs: 500, events: [] });
    const ackAt = Date.now();
    const releasedAt = Number((await said(/released (\d+)/))[1]);
    assert.deepEqual(ack, { ok: true }, 'the submit waited for the lock instead of failing');
    assert.ok(sentAt < releasedAt, `the submit went out while the other writer held the lock (${releasedAt - sentAt} ms before it let go)`);
    assert.ok(ackAt >= releasedAt, `the submit was acknowledged only after the other writer committed (${ackAt - releasedAt} ms after)`);
    assert.equal((await next).index, a.page.index + 1);
    await exited;
    assert.equal(holder.exitCode, 0, 'the other writer committed');
  } finally {
    await server.close();
    tmp.cleanup();
  }
});

// One test per kind of bad storage, so each is shown to fail on the code before the fix on its own.
test('a corrupt database is refused at start, naming the file and what to do', async () => {
  const tmp = tempDir();
  try {
    // A real database, then damaged in its middle pages.
    const corrupt = join(tmp.dir, 'corrupt.db');
    const s = await startOn(corrupt, tmp.dir);
    await s.close();
    const db = new Database(corrupt);
    db.pragma('journal_mode = DELETE');
    db.close();
    const size = statSync(corrupt).size;
    const fd = openSync(corrupt, 'r+');
    const garbage = Buffer.alloc(4096 * 3, 0xa5);
    writeSync(fd, garbage, 0, garbage.length, Math.max(4096, Math.floor(size / 2 / 4096) * 4096));
    closeSync(fd);
    await assert.rejects(startOn(corrupt, tmp.dir), (err: Error) => {
      assert.match(err.message, /corrupt\.db/);
      assert.match(err.message, /damaged|backup/);
      return true;
    });
  } finally {
    tmp.cleanup();
  }
});

test('a read-only database is refused at start, naming the file and what to do', async () => {
  const tmp = tempDir();
  try {
    const readOnly = join(tmp.dir, 'readonly.db');
    const ro = await startOn(readOnly, tmp.dir);
    await ro.close();
    chmodSync(readOnly, 0o444);
    await assert.rejects(startOn(readOnly, tmp.dir), (err: Error) => {
      assert.match(err.message, /readonly\.db/);
      assert.match(err.message, /not writable/);
      return true;
    });
  } finally {
    tmp.cleanup();
  }
});

test('an empty (zero-byte) database is refused at start, naming the file and what to do', async () => {
  const tmp = tempDir();
  try {
    const empty = join(tmp.dir, 'empty.db');
    writeFileSync(empty, '');
    await assert.rejects(startOn(empty, tmp.dir), /empty\.db is empty \(0 bytes\)/);
  } finally {
    tmp.cleanup();
  }
});

test('a new database is created private: folder 0700, database and WAL 0600', async () => {
  const tmp = tempDir();
  try {
    const dbPath = join(tmp.dir, 'data', 'credence.db');
    const s = await startOn(dbPath, tmp.dir);
    await joinAs(s.url, 'mini', 'MODES');
    try {
      assert.equal(statSync(join(tmp.dir, 'data')).mode & 0o777, 0o700);
      for (const f of [dbPath, `${dbPath}-wal`]) assert.equal(statSync(f).mode & 0o777, 0o600, f);
    } finally {
      await s.close();
    }
    const buf = Buffer.alloc(16);
    const fd = openSync(dbPath, 'r');
    readSync(fd, buf, 0, 16, 0);
    closeSync(fd);
    assert.equal(buf.toString('latin1', 0, 15), 'SQLite format 3');
  } finally {
    tmp.cleanup();
  }
});

test('`credence start` on a fresh clone makes data/ 0700 before anything writes there, and so prints no warning about it', { timeout: 300_000 }, async () => {
  const tmp = tempDir();
  try {
    // The mini study with one generated pool, so `start` prepares stimuli (which used to create data/ 0755 first) and scores them.
    const p = miniProtocol();
    p.id = 'fresh';
    p.pools.m_small = { kind: 'generated', model: 'gpt2', model_size: '124M', prompts: { pool: 'human', words: 3 }, sampling: { min_new_tokens: 4, max_new_tokens: 8 }, n: 4, seed: 1 };
    // Each continuation shares its source text with the human text it was prompted by.
    p.phases.find((ph: { kind: string }) => ph.kind === 'trials').blocks[0].distinct_by = 'source';
    const file = writeStudy(tmp.dir, p);
    const dbPath = join(tmp.dir, 'data', 'credence.db');
    const child = spawn(process.execPath, ['--import', 'tsx', 'server/cli/main.ts', 'start', '--port', '0', '--db', dbPath, '--study', file], {
      cwd: join(import.meta.dirname, '..', '..'),
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, CREDENCE_ADMIN_PASSWORD: 'fresh-start-password' },
    });
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((ok) => child.once('exit', (code) => ok(code)));
    try {
      await new Promise<void>((ok, fail) => {
        const poll = setInterval(() => {
          if (/serving on http/.test(out)) {
            clearInterval(poll);
            ok();
          } else if (child.exitCode !== null) {
            clearInterval(poll);
            fail(new Error(`start exited ${child.exitCode}:\n${out}`));
          }
        }, 100);
      });
      assert.match(out, /prepared \d+ machine-written texts/, 'start generated stimuli into the data folder');
      assert.doesNotMatch(out, /can be read by other users|chmod/, out);
      assert.equal(statSync(join(tmp.dir, 'data')).mode & 0o777, 0o700, 'the data folder');
      for (const f of [dbPath, `${dbPath}-wal`]) assert.equal(statSync(f).mode & 0o777, 0o600, f);
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
  } finally {
    tmp.cleanup();
  }
});
