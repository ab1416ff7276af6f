// Worker thread (started by wal-sync.ts): checkpoints the server's WAL into the
// database with its own connection at synchronous=FULL, so the WAL is synced
// before frames are copied and the database is synced before the WAL may be
// reused. PASSIVE never waits for the writer, which goes on serving.
//
// Under a steady stream of commits a PASSIVE checkpoint never catches up with
// the last frame, so SQLite never starts the WAL again from its beginning and
// the file grows without end. Once the WAL holds `resetFrames` frames this
// worker asks the server to hold its writes ('reset?'), copies the few frames
// left while nothing is appended ('paused' → checkpoint → 'reset'), and the
// server's next commit then writes the WAL from its start: the file stays near
// that size, and no commit pays for the reset except that short hold.
import Database from 'better-sqlite3';
import { parentPort, workerData } from 'node:worker_threads';

export type ToWorker = 'stop' | 'paused';
export type FromWorker = { error: string } | { reset: 'ask' } | { reset: 'done'; complete: boolean };

const { dbPath, intervalMs, resetBytes } = workerData as { dbPath: string; intervalMs: number; resetBytes: number };
const db = new Database(dbPath);
db.pragma('synchronous = FULL');
db.pragma('busy_timeout = 5000');
const resetFrames = Math.max(1, Math.floor(resetBytes / (db.pragma('page_size', { simple: true }) as number)));
const port = parentPort!;
const send = (m: FromWorker) => port.postMessage(m);

/** Frames in the WAL and frames copied into the database; null when the checkpoint failed. */
function checkpoint(): { log: number; checkpointed: number } | null {
  try {
    const [r] = db.pragma('wal_checkpoint(PASSIVE)') as { busy: number; log: number; checkpointed: number }[];
    return r;
  } catch (err) {
    send({ error: (err as Error).message });
    return null;
  }
}

/** True from asking the server to hold its writes until the reset is done. */
let resetting = false;

function tick(): void {
  if (resetting) return;
  const r = checkpoint();
  if (r && r.log >= resetFrames) {
    resetting = true;
    send({ reset: 'ask' });
  }
}

const timer = setInterval(tick, intervalMs);
port.on('message', (m: ToWorker) => {
  if (m === 'paused') {
    // Nothing is appended now: this checkpoint reaches the WAL's last frame (unless a reader still needs older frames).
    const r = checkpoint();
    resetting = false;
    send({ reset: 'done', complete: r !== null && r.log === r.checkpointed });
    return;
  }
  clearInterval(timer);
  checkpoint();
  db.close();
  port.close();
});
