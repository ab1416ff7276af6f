// A pool of scoring worker threads (score-worker.ts), one job each at a time.
// Why threads: onnxruntime-node runs a session synchronously on the calling
// thread, so N single-threaded sessions on the main thread take turns; in N
// workers they really run side by side (on a few cores, faster than one
// session on all cores: no per-op barrier between threads).
import { Worker } from 'node:worker_threads';

export interface WorkerPool {
  readonly size: number;
  /** What the first worker reported when ready (e.g. a session's input names). */
  readonly info: unknown;
  /** Runs one job on the next free worker. */
  run<T>(payload: unknown, transfer?: ArrayBuffer[]): Promise<T>;
  close(): Promise<void>;
}

export async function startWorkers(count: number, data: Record<string, unknown>): Promise<WorkerPool> {
  const url = new URL('../worker-boot.mjs', import.meta.url);
  const entry = new URL('./score-worker.ts', import.meta.url).href;
  const workers: Worker[] = [];
  const idle: Worker[] = [];
  const queue: { payload: unknown; transfer: ArrayBuffer[]; resolve: (v: unknown) => void; reject: (e: Error) => void }[] = [];
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void; worker: Worker }>();
  let nextId = 0;
  let info: unknown;
  const pump = () => {
    while (idle.length && queue.length) {
      const w = idle.pop()!;
      const job = queue.shift()!;
      const id = nextId++;
      pending.set(id, { resolve: job.resolve, reject: job.reject, worker: w });
      w.ref(); // busy workers keep the process alive; idle ones do not
      w.postMessage({ id, payload: job.payload }, job.transfer);
    }
  };
  try {
    await Promise.all(
      Array.from({ length: count }, () => new Promise<void>((resolve, reject) => {
        const w = new Worker(url, { workerData: { ...data, entry } });
        workers.push(w);
        w.once('error', reject);
        w.once('message', (m: { ready: boolean; error?: string; info?: unknown }) => {
          if (!m.ready) return reject(new Error(m.error));
          info ??= m.info;
          w.on('message', (msg: { id: number; result?: unknown; error?: string }) => {
            const p = pending.get(msg.id);
            if (!p) return;
            pending.delete(msg.id);
            if (msg.error !== undefined) p.reject(new Error(msg.error));
            else p.resolve(msg.result);
            w.unref();
            idle.push(w);
            pump();
          });
          w.on('error', (err) => {
            for (const [id, p] of pending) if (p.worker === w) { pending.delete(id); p.reject(err); }
          });
          idle.push(w);
          resolve();
        });
      })),
    );
  } catch (err) {
    await Promise.all(workers.map((w) => w.terminate()));
    throw err;
  }
  for (const w of workers) w.unref();
  return {
    size: count,
    info,
    run<T>(payload: unknown, transfer: ArrayBuffer[] = []): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        queue.push({ payload, transfer, resolve: resolve as (v: unknown) => void, reject });
        pump();
      });
    },
    async close() {
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}
