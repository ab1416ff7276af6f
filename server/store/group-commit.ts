// Group commit. Writes arriving while the event loop is busy, or while the
// previous transaction's sync is under way, share the next transaction and its
// one sync: the slower the disk, the larger the groups, so the pages written per
// response fall exactly when the disk is the bottleneck. Nothing is answered
// before its data is on disk (invariant 2, docs/architecture.md). Any store with nested
// transactions (savepoints) and a durable() can use it; each op gets its own
// savepoint, so one failing op fails alone.
import { LatencyRing } from './latency-ring.ts';

export interface CommitStats {
  /** The largest group committed in one transaction so far. */
  maxBatch: number;
  /** Group transactions on the event loop. */
  commitP99Ms: number;
  /** The wait for a group's sync after it committed. */
  syncP99Ms: number;
  /** SQLite in server mode: WAL resets by the checkpoint worker, and the longest time writes were held for one. */
  walResets?: number;
  walHoldMaxMs?: number;
}

/** What a group commit needs of an engine: async transactions with savepoints, and a sync barrier. */
export interface Transactional<Tx> {
  /**
   * `lane`: the key of a lane of its own (ownLane) the group commits in, so the engine may begin each of its
   * groups with what the key names (PostgreSQL: the study lock of study-locks.ts, with BEGIN in one round trip).
   */
  transaction<T>(fn: (tx: Tx) => Promise<T>, lane?: string): Promise<T>;
  /** Runs fn inside tx's transaction in its own savepoint: a failure undoes only fn's writes. */
  savepoint<T>(tx: Tx, fn: () => Promise<T>): Promise<T>;
  durable(): Promise<void>;
  /**
   * Runs a group's ops on tx (without savepoints) so the engine may merge their
   * writes (postgres-submits.ts); each settles alone. Without it they run one after another.
   */
  runOps?(tx: Tx, ops: (() => Promise<unknown>)[]): Promise<PromiseSettledResult<unknown>[]>;
}

type Outcome = { ok: boolean; v: unknown };

interface Pending<Tx> {
  op: (tx: Tx) => Promise<unknown>;
  ok: (v: unknown) => void;
  fail: (e: unknown) => void;
}

/**
 * One line of group transactions: its ops commit in the order queued, one group at a time. A store with
 * several lanes runs as many group transactions at once (each on its own connection).
 */
class Lane<Tx> {
  /** The key of a lane of its own (ownLane); undefined for the hashed lanes, which many keys share. */
  constructor(readonly key?: string) {}
  queue: Pending<Tx>[] = [];
  flushScheduled = false;
  /** The group transaction under way, if any (one at a time per lane). */
  committing: Promise<void> | null = null;
  /** A group commit is waiting for its sync; the next one waits for it. */
  syncing = false;
}

/**
 * A key made by ownLane has a lane of its own (where the store runs several), never shared with the hashed
 * keys: a line whose groups are long (a study's joins and consents, each several statements under the
 * study's lock; heartbeats of hundreds of rows) holds up nobody's answers. Measured before: the places key
 * hashed into a lane with a quarter of the participants, whose answers waited behind its groups.
 */
const OWN = '\u0001own\u0000';
export const ownLane = (name: string): string => `${OWN}${name}`;
/** The name ownLane was given, for a key it made; undefined for any other key. */
export const ownLaneName = (key: string): string | undefined => (key.startsWith(OWN) ? key.slice(OWN.length) : undefined);

/** A key's lane: the same key always the same lane (FNV-1a; the keys are ids, any spread will do). */
export function laneOf(key: string, lanes: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return (h >>> 0) % lanes;
}

export class GroupCommit<Tx> {
  private readonly lanes: Lane<Tx>[];
  /** The lanes of keys made by ownLane, each made when first used (only where there are several lanes). */
  private readonly own = new Map<string, Lane<Tx>>();
  private readonly commitMs = new LatencyRing();
  private readonly syncMs = new LatencyRing();
  private maxBatch = 0;

  constructor(
    private readonly store: Transactional<Tx>,
    private readonly opts: {
      /**
       * Run a group without savepoints first, and again with one per op only
       * when an op failed (the first attempt rolled back whole). For an engine
       * across a network each savepoint is a round trip, and ops rarely fail:
       * their outcomes (duplicate, stale, ended) are results, not errors. The
       * ops then must do nothing but through tx (every caller's op only reads
       * and writes the store), since a group may run twice.
       */
      savepointsOnFailureOnly?: boolean;
      /**
       * The most ops in one group; the rest wait for the next. Bounds a group's
       * transaction (and the row locks it holds) when arrivals outpace commits.
       */
      maxGroup?: number;
      /**
       * Group transactions under way at once (default 1). Ops with the same key share a lane and commit in
       * the order queued; ops without a key share the first; a key made by ownLane has a lane of its own.
       * For an engine across a network, where a group spends most of its time waiting for round trips,
       * not for the CPU or the disk. Concurrent groups must be safe for the engine as several processes
       * are (row and advisory locks, not this class).
       */
      lanes?: number;
    } = {},
  ) {
    this.lanes = Array.from({ length: Math.max(1, opts.lanes ?? 1) }, () => new Lane<Tx>());
  }

  /**
   * Runs op in the next group transaction of its key's lane; resolves with its result once that transaction
   * is durable. Ops with the same key (or none) commit in the order queued.
   */
  run<T>(op: (tx: Tx) => Promise<T>, key?: string): Promise<T> {
    const lane = this.laneFor(key);
    return new Promise<T>((ok, fail) => {
      lane.queue.push({ op, ok: ok as (v: unknown) => void, fail });
      this.scheduleFlush(lane);
    });
  }

  private laneFor(key: string | undefined): Lane<Tx> {
    if (key === undefined) return this.lanes[0];
    if (this.lanes.length === 1 || !key.startsWith(OWN)) return this.lanes[laneOf(key, this.lanes.length)];
    let lane = this.own.get(key);
    if (!lane) this.own.set(key, (lane = new Lane<Tx>(key)));
    return lane;
  }

  stats(): CommitStats {
    return { maxBatch: this.maxBatch, commitP99Ms: this.commitMs.percentile(0.99), syncP99Ms: this.syncMs.percentile(0.99) };
  }

  private scheduleFlush(lane: Lane<Tx>): void {
    if (lane.flushScheduled || lane.syncing || lane.committing || lane.queue.length === 0) return;
    lane.flushScheduled = true;
    setImmediate(() => void this.flush(lane));
  }

  /** Commits whatever waits until nothing does (the store calls it before it closes). */
  async drain(): Promise<void> {
    await Promise.all(
      [...this.lanes, ...this.own.values()].map(async (lane) => {
        while (lane.committing || lane.queue.length > 0) {
          if (lane.committing) await lane.committing;
          else await this.flush(lane);
        }
      }),
    );
  }

  private flush(lane: Lane<Tx>): Promise<void> {
    lane.flushScheduled = false;
    if (lane.committing) return lane.committing;
    if (lane.queue.length === 0) return Promise.resolve();
    lane.committing = this.commit(lane).finally(() => {
      lane.committing = null;
      this.scheduleFlush(lane);
    });
    return lane.committing;
  }

  /**
   * One group transaction of the lane. Its ops are those queued when the transaction is ready for them (the
   * store calls fn), not when it was begun: an engine that begins a lane's groups by waiting for a lock
   * (PostgreSQL's study locks, held by another process's group) takes in the ops that arrived meanwhile,
   * where they would have waited for a group of their own, and for the lock once more.
   */
  private async commit(lane: Lane<Tx>): Promise<void> {
    let taken: Pending<Tx>[] | undefined;
    const batch = (): Pending<Tx>[] => {
      if (!taken) {
        taken = lane.queue.splice(0, this.opts.maxGroup ?? lane.queue.length);
        if (taken.length > this.maxBatch) this.maxBatch = taken.length;
      }
      return taken;
    };
    let out: Outcome[];
    const t0 = performance.now();
    try {
      out = (this.opts.savepointsOnFailureOnly ? await this.withoutSavepoints(batch, lane.key) : undefined) ?? (await this.withSavepoints(batch, lane.key));
    } catch (err) {
      for (const b of batch()) b.fail(err);
      return;
    }
    // Committed; answered only once it is on disk (the store may sync off this thread).
    const t1 = performance.now();
    this.commitMs.add(t1 - t0);
    lane.syncing = true;
    this.store
      .durable()
      .then(
        () => {
          this.syncMs.add(performance.now() - t1);
          batch().forEach((b, i) => (out[i].ok ? b.ok(out[i].v) : b.fail(out[i].v)));
        },
        (err) => batch().forEach((b) => b.fail(err)),
      )
      .finally(() => {
        lane.syncing = false;
        this.scheduleFlush(lane);
      });
  }

  /** Every op in its own savepoint: a failing op fails alone. */
  private withSavepoints(batch: () => Pending<Tx>[], lane: string | undefined): Promise<Outcome[]> {
    return this.store.transaction(async (tx) => {
      const out: Outcome[] = [];
      for (const b of batch()) {
        try {
          out.push({ ok: true, v: await this.store.savepoint(tx, () => b.op(tx)) });
        } catch (err) {
          out.push({ ok: false, v: err });
        }
      }
      return out;
    }, lane);
  }

  /** The whole group in one plain transaction; undefined when an op failed (nothing of the group was committed). */
  private async withoutSavepoints(batch: () => Pending<Tx>[], lane: string | undefined): Promise<Outcome[] | undefined> {
    const failed = new Error('an op of the group failed');
    try {
      return await this.store.transaction(async (tx) => {
        if (this.store.runOps) {
          const settled = await this.store.runOps(tx, batch().map((b) => () => b.op(tx)));
          if (settled.some((r) => r.status === 'rejected')) throw failed;
          return settled.map((r) => ({ ok: true, v: (r as PromiseFulfilledResult<unknown>).value }));
        }
        const out: Outcome[] = [];
        for (const b of batch()) {
          try {
            out.push({ ok: true, v: await b.op(tx) });
          } catch {
            throw failed;
          }
        }
        return out;
      }, lane);
    } catch (err) {
      if (err === failed) return undefined;
      throw err;
    }
  }
}

/**
 * Runs one op of a group inside a savepoint, so its failure rolls back only its
 * own writes and leaves the group's transaction usable. `exec` runs one SQL
 * statement on the transaction's connection (either engine's spelling works:
 * RELEASE SAVEPOINT and ROLLBACK TO SAVEPOINT are standard SQL).
 */
export async function inSavepoint<T>(exec: (sql: string) => unknown, fn: () => Promise<T>): Promise<T> {
  await exec('SAVEPOINT op');
  try {
    const v = await fn();
    await exec('RELEASE SAVEPOINT op');
    return v;
  } catch (err) {
    await exec('ROLLBACK TO SAVEPOINT op');
    await exec('RELEASE SAVEPOINT op');
    throw err;
  }
}
