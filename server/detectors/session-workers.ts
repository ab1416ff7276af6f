// A pool of scoring worker threads (score-worker.ts, or any module of the same
// form), one job each at a time, on piscina.
// Why threads: onnxruntime-node runs a session synchronously on the calling
// thread, so N single-threaded sessions on the main thread take turns; in N
// workers they really run side by side (on a few cores, faster than one
// session on all cores: no per-op barrier between threads).
// Why piscina: a worker that dies (out of memory, a native crash, exit) is
// replaced by the pool, and its job is run once more on another worker; a job
// whose worker dies twice fails with an error saying so, instead of waiting
// forever as the hand-written pool's queue did once its workers were gone.
import type { Worker } from 'node:worker_threads';
import { Piscina } from 'piscina';

export interface WorkerPool {
  readonly size: number;
  /** What every worker reported once ready (e.g. a session's input names); the first one's. */
  readonly info: unknown;
  /** Runs one job on the next free worker (retried once if its worker dies). */
  run<T>(payload: unknown): Promise<T>;
  /** The live worker threads (replacements included). */
  readonly threads: readonly Worker[];
  close(): Promise<void>;
}

/** What a worker module's default export answers: a job's result, or its error as text (the worker lives on). */
export type WorkerReply = { ok: true; result: unknown } | { ok: false; error: string };
/** A job as the pool sends it: `info` asks the worker to set up and say what it loaded. */
export type WorkerJob = { info: true } | { info?: false; payload: unknown };

const BOOT = new URL('../worker-boot.mjs', import.meta.url);
const SCORE_WORKER = new URL('./score-worker.ts', import.meta.url);

/**
 * Starts `count` workers running `entry` (default score-worker.ts) with
 * `data` as their workerData, and waits until each has set up (loaded its
 * session); a worker that cannot set up fails the start with its error.
 */
export async function startWorkers(count: number, data: Record<string, unknown>, entry: URL = SCORE_WORKER): Promise<WorkerPool> {
  const pool = new Piscina({
    filename: BOOT.href,
    workerData: { ...data, entry: entry.href },
    minThreads: count,
    maxThreads: count,
    idleTimeout: Infinity,
    concurrentTasksPerWorker: 1,
  });
  // A worker lost between jobs is replaced by the pool; its 'error' must not crash the process.
  pool.on('error', () => {});
  let closed = false;
  const close = async () => {
    closed = true;
    await pool.destroy();
  };

  const send = async (job: WorkerJob): Promise<unknown> => {
    // Inputs are copied, not transferred: a job whose worker died is sent again.
    for (let attempt = 1; ; attempt++) {
      let reply: WorkerReply;
      try {
        reply = (await pool.run(job)) as WorkerReply;
      } catch (err) {
        if (closed) throw new Error('the worker pool was closed before this job finished');
        if (attempt < 2) continue;
        throw new Error(`a scoring worker died twice running the same job; giving up on it (${(err as Error).message})`);
      }
      if (typeof reply?.ok !== 'boolean') throw new Error(`a scoring worker answered with something that is not a reply (${entry.href})`);
      if (!reply.ok) throw new Error(reply.error);
      return reply.result;
    }
  };

  let info: unknown;
  try {
    // One setup job per worker: piscina hands each to a different idle worker.
    const infos = await Promise.all(Array.from({ length: count }, () => send({ info: true })));
    info = infos[0];
  } catch (err) {
    await close();
    throw err;
  }
  return {
    size: count,
    info,
    run: <T>(payload: unknown) => send({ payload }) as Promise<T>,
    get threads() { return pool.threads; },
    close,
  };
}
