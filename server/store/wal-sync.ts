// Durable acknowledgements without blocking the event loop.
//
// With synchronous=FULL every commit fsyncs on the thread that runs it, and
// better-sqlite3 runs on the thread that serves participants: at 2,000
// participants the event loop spent most of its busy time inside fsync and
// checkpoints, and every socket waited behind them. In the server the writer
// connection therefore commits with synchronous=NORMAL (the transaction is in
// the WAL, in the page cache) and never checkpoints; before a write is
// acknowledged, WalSync fdatasyncs the WAL file on libuv's thread pool. One
// call covers every transaction committed before it started, so a busy server
// needs few. A worker thread (checkpoint-worker.ts) copies the WAL into the
// database with its own synchronous=FULL connection. What was acknowledged is
// on disk exactly as with synchronous=FULL; a power cut loses only what was
// committed but not yet acknowledged.
import { closeSync, fdatasync, fstat, open, stat } from 'node:fs';
import { promisify } from 'node:util';
import { Worker } from 'node:worker_threads';

const statP = promisify(stat);
const fstatP = promisify(fstat);
const openP = promisify(open);
const fdatasyncP = promisify(fdatasync);

export class WalSync {
  private fd: number | null = null;
  private ino = -1;
  private waiting: { ok: () => void; fail: (err: unknown) => void }[] = [];
  private running = false;
  private closed = false;
  /** fdatasync calls made (for tests and the benchmark). */
  syncs = 0;

  constructor(readonly walPath: string) {}

  /** Resolves once every transaction committed before this call is on disk. */
  flush(): Promise<void> {
    if (this.closed) return Promise.reject(new Error(`${this.walPath}: the store is closed`));
    return new Promise((ok, fail) => {
      this.waiting.push({ ok, fail });
      if (!this.running) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.running = true;
    while (this.waiting.length) {
      // Everyone waiting now committed before this sync starts; later callers wait for the next one.
      const batch = this.waiting.splice(0);
      try {
        await this.syncOnce();
        for (const b of batch) b.ok();
      } catch (err) {
        for (const b of batch) b.fail(err);
      }
    }
    this.running = false;
    if (this.closed) this.closeFd();
  }

  private async syncOnce(): Promise<void> {
    let ino: number;
    try {
      ino = (await statP(this.walPath)).ino;
    } catch (err) {
      // No WAL: the last connection checkpointed it into the database (synced) and removed it.
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    if (this.fd === null || ino !== this.ino) {
      // First use, or the WAL file was replaced: sync the file SQLite writes now.
      this.closeFd();
      this.fd = await openP(this.walPath, 'r+');
      this.ino = (await fstatP(this.fd)).ino;
    }
    await fdatasyncP(this.fd);
    this.syncs++;
  }

  private closeFd(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }

  /** Later flushes fail; a sync in flight finishes first, then the file is closed. */
  close(): void {
    this.closed = true;
    if (!this.running) this.closeFd();
  }
}

export interface Checkpointer {
  stop(): void;
}

/**
 * A worker thread that checkpoints the WAL into the database every `intervalMs`
 * with its own synchronous=FULL connection. `onFailure` is told if it dies, so
 * the store can go back to checkpointing on its own.
 *
 * Why often: a checkpoint ends with an fsync of the database file, and while
 * the disk flushes it the WAL syncs that acks wait for queue behind it. At
 * 2,000 participants (bench/participants.ts, ack p99): checkpoints every 10 s
 * 665 ms, every 1 s 128 ms, every 250 ms 46 ms, none during the run 47 ms.
 * Small flushes stay out of the acks' way.
 */
export function startCheckpointer(dbPath: string, onFailure: (err: Error) => void, intervalMs = 250): Checkpointer {
  const worker = new Worker(new URL('../worker-boot.mjs', import.meta.url), {
    workerData: { entry: new URL('./checkpoint-worker.ts', import.meta.url).href, dbPath, intervalMs },
  });
  let stopping = false;
  worker.unref(); // never keeps the process alive
  worker.on('message', (m: { error?: string }) => {
    if (m.error && !stopping) onFailure(new Error(`checkpoint worker: ${m.error}`));
  });
  worker.on('error', (err) => {
    if (!stopping) onFailure(err);
  });
  worker.on('exit', (code) => {
    if (!stopping) onFailure(new Error(`checkpoint worker exited with code ${code}`));
  });
  return {
    stop() {
      stopping = true;
      worker.postMessage('stop');
    },
  };
}
