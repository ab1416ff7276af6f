// Worker thread (started by wal-sync.ts): checkpoints the server's WAL into the
// database with its own connection at synchronous=FULL, so the WAL is synced
// before frames are copied and the database is synced before the WAL may be
// reused. PASSIVE never waits for the writer, which goes on serving.
import Database from 'better-sqlite3';
import { parentPort, workerData } from 'node:worker_threads';

const { dbPath, intervalMs } = workerData as { dbPath: string; intervalMs: number };
const db = new Database(dbPath);
db.pragma('synchronous = FULL');
db.pragma('busy_timeout = 5000');

function checkpoint(): void {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch (err) {
    parentPort!.postMessage({ error: (err as Error).message });
  }
}

const timer = setInterval(checkpoint, intervalMs);
parentPort!.on('message', (m: unknown) => {
  if (m !== 'stop') return;
  clearInterval(timer);
  checkpoint();
  db.close();
  parentPort!.close();
});
