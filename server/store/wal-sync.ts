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
import type { FromWorker, ToWorker } from './checkpoint-worker.ts';

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
  /** WAL resets done so far, and the longest time writes were held for one (for /admin and the benchmark). */
  readonly resets: number;
  readonly longestHoldMs: number;
}

/**
 * Holds the server's writes while `during` runs: no transaction begins until it
 * settles (SqliteStore's gate), and none is open when it starts.
 */
export type HoldWrites = (during: () => Promise<void>) => Promise<void>;

/** The WAL size at which the checkpoint worker resets it (a few seconds of writes at 2,000 participants). */
export const DEFAULT_WAL_RESET_BYTES = 64 * 1024 * 1024;

export interface CheckpointerOptions {
  /** How often the worker checkpoints. */
  intervalMs?: number;
  /** WAL size at which the worker asks for a reset (see checkpoint-worker.ts). */
  resetBytes?: number;
  /** How long writes are held at most if the worker does not answer. */
  holdLimitMs?: number;
}

/**
 * A worker thread that checkpoints the WAL into the database every `intervalMs`
 * with its own synchronous=FULL connection, and resets the WAL once it holds
 * `resetBytes`, holding the server's writes through `holdWrites` for that
 * moment. `onFailure` is told if it dies, so the store can go back to
 * checkpointing on its own.
 *
 * Why often: a checkpoint ends with an fsync of the database file, and while
 * the disk flushes it the WAL syncs that acks wait for queue behind it. At
 * 2,000 participants (bench/participants.ts, ack p99): checkpoints every 10 s
 * 665 ms, every 1 s 128 ms, every 250 ms 46 ms, none during the run 47 ms.
 * Small flushes stay out of the acks' way.
 *
 * Why a held reset rather than journal_size_limit alone: under steady writes
 * SQLite only resets the WAL at a rare idle instant, by then the file is large,
 * and the commit that resets it cuts the file back to the limit while the WAL's
 * fdatasync runs: single COMMITs of 150–600 ms at 2,000 participants; without
 * the limit the WAL grew to 1 GB in one benchmark run.
 */
export function startCheckpointer(dbPath: string, holdWrites: HoldWrites, onFailure: (err: Error) => void, opts: CheckpointerOptions = {}): Checkpointer {
  const { intervalMs = 250, resetBytes = DEFAULT_WAL_RESET_BYTES, holdLimitMs = 2000 } = opts;
  const worker = new Worker(new URL('../worker-boot.mjs', import.meta.url), {
    workerData: { entry: new URL('./checkpoint-worker.ts', import.meta.url).href, dbPath, intervalMs, resetBytes },
  });
  let stopping = false;
  let resets = 0;
  let longestHoldMs = 0;
  /** Ends the current hold: the worker finished its reset (or will not). */
  let release: (() => void) | null = null;
  const send = (m: ToWorker) => worker.postMessage(m);
  worker.unref(); // never keeps the process alive
  worker.on('message', (m: FromWorker) => {
    if ('error' in m) {
      if (!stopping) onFailure(new Error(`checkpoint worker: ${m.error}`));
    } else if (m.reset === 'ask') {
      void holdWrites(
        () =>
          new Promise<void>((done) => {
            const timer = setTimeout(() => release?.(), holdLimitMs);
            const held = performance.now();
            release = () => {
              clearTimeout(timer);
              release = null;
              longestHoldMs = Math.max(longestHoldMs, performance.now() - held);
              done();
            };
            if (stopping) release();
            else send('paused');
          }),
      );
    } else {
      if (m.complete) resets++;
      release?.();
    }
  });
  const failed = (err: Error) => {
    release?.();
    if (!stopping) onFailure(err);
  };
  worker.on('error', failed);
  worker.on('exit', (code) => failed(new Error(`checkpoint worker exited with code ${code}`)));
  return {
    stop() {
      stopping = true;
      release?.();
      send('stop');
    },
    get resets() {
      return resets;
    },
    get longestHoldMs() {
      return longestHoldMs;
    },
  };
}
