// The server's store syncs in the background: commits return before the fsync,
// durable() resolves after it, one fdatasync covers many commits, and a worker
// thread checkpoints the WAL into the database file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SqliteStore } from '../../server/store/sqlite.ts';
import { sleep, tempDir } from '../engine/helpers.ts';

function writeEvents(store: SqliteStore, n: number, tag: string): void {
  store.db.exec('CREATE TABLE IF NOT EXISTS scratch (tag TEXT, body TEXT)');
  const insert = store.db.prepare('INSERT INTO scratch (tag, body) VALUES (?, ?)');
  store.db.transaction(() => {
    for (let i = 0; i < n; i++) insert.run(tag, 'x'.repeat(300));
  }).immediate();
}

test('durable() syncs the WAL off the event loop; concurrent callers share syncs', async () => {
  const { dir, cleanup } = tempDir();
  const store = new SqliteStore(join(dir, 'a.db'));
  try {
    await store.durable(); // synchronous=FULL: nothing to wait for
    assert.equal(store.backgroundSyncs, 0);
    store.syncInBackground();
    assert.equal(store.db.pragma('synchronous', { simple: true }), 1, 'NORMAL on the serving connection');
    assert.equal(store.db.pragma('wal_autocheckpoint', { simple: true }), 0, 'the serving connection never checkpoints');
    writeEvents(store, 5, 'first');
    await store.durable();
    assert.equal(store.backgroundSyncs, 1);
    // Twenty commits and waiters at once: the first sync covers what was committed before it, one more covers the rest.
    const waits: Promise<void>[] = [];
    for (let i = 0; i < 20; i++) {
      writeEvents(store, 1, `burst${i}`);
      waits.push(store.durable());
    }
    await Promise.all(waits);
    assert.ok(store.backgroundSyncs <= 3, `20 waiters needed ${store.backgroundSyncs - 1} syncs`);
    assert.ok(store.backgroundSyncs >= 2);
  } finally {
    await store.close();
    cleanup();
  }
});

test('a worker thread checkpoints the WAL into the database; data reads back after close and reopen', async () => {
  const { dir, cleanup } = tempDir();
  const path = join(dir, 'b.db');
  const store = new SqliteStore(path);
  try {
    store.syncInBackground();
    const before = statSync(path).size;
    writeEvents(store, 3000, 'bulk'); // ~1 MB into the WAL
    await store.durable();
    assert.ok(statSync(`${path}-wal`).size > 500_000, 'the commit went to the WAL');
    let grown = false;
    for (let i = 0; i < 40 && !grown; i++) {
      await sleep(100);
      grown = statSync(path).size > before + 500_000;
    }
    assert.ok(grown, 'the checkpoint worker copied the WAL into the database file within 4 s');
    await store.close();
    const check = new Database(path, { readonly: true });
    assert.equal((check.prepare("SELECT COUNT(*) AS n FROM scratch WHERE tag = 'bulk'").get() as { n: number }).n, 3000);
    check.close();
    await assert.rejects(store.durable(), /closed/);
  } finally {
    await store.close();
    cleanup();
  }
});
