// The server's store syncs in the background: commits return before the fsync,
// durable() resolves after it, one fdatasync covers many commits, and a worker
// thread checkpoints the WAL into the database file, resetting it while the
// store holds its writes so that steady writes cannot grow it without end.
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

test('under steady writes the worker resets the WAL while the store holds its writes: the file stays near the reset size', async (t) => {
  const { dir, cleanup } = tempDir();
  const path = join(dir, 'c.db');
  const store = new SqliteStore(path);
  try {
    const resetBytes = 1 << 20;
    store.syncInBackground({ resetBytes });
    store.db.exec('CREATE TABLE scratch (tag TEXT, body TEXT)');
    const insert = store.db.prepare('INSERT INTO scratch (tag, body) VALUES (?, ?)');
    // A commit every 1–2 ms for 6–10 s (about 19 MB of WAL frames), with no idle
    // moment in which a checkpoint could catch up by itself, which is the only
    // time SQLite would reset the WAL on its own: without the held resets the
    // file grew to everything written (19.1 MB; 18.7 MB for 3,000 commits, twice).
    let walPeak = 0;
    const n = 4000;
    for (let i = 0; i < n; i++) {
      await store.transaction(async () => {
        insert.run(`t${i}`, 'x'.repeat(1000));
      });
      if (i % 10 === 0) walPeak = Math.max(walPeak, statSync(`${path}-wal`).size);
      await sleep(1);
    }
    t.diagnostic(`WAL peak ${(walPeak / 1e6).toFixed(1)} MB, ${store.walResets} resets, writes held at most ${store.commitStats().walHoldMaxMs?.toFixed(1)} ms`);
    // Each reset comes a checkpoint's time after the WAL passed 1 MB: 3.5–3.7 MB at a load of 12 on 2 cores.
    assert.ok(walPeak < 10 * resetBytes, `the WAL grew to ${(walPeak / 1e6).toFixed(1)} MB with a 1 MB reset size`);
    assert.ok(store.walResets >= 3, `${store.walResets} WAL resets for ~19 MB of commits with a 1 MB reset size`);
    assert.equal(store.commitStats().walResets, store.walResets, '/admin sees the resets');
    assert.equal((store.db.prepare('SELECT COUNT(*) AS n FROM scratch').get() as { n: number }).n, n, 'every committed row is there');
    await store.close();
    const check = new Database(path, { readonly: true });
    assert.equal((check.prepare('SELECT COUNT(*) AS n FROM scratch').get() as { n: number }).n, n, 'and reads back after close');
    check.close();
  } finally {
    await store.close();
    cleanup();
  }
});
