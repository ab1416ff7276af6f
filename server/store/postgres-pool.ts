// The PostgreSQL store's connections, and the age of the plans they hold.
//
// Every statement the store sends is prepared by name, and after its fifth run
// on a connection PostgreSQL may keep one generic plan for it, made for the
// tables as they were then. A study opens on empty tables, so those plans were
// made for tables of a few hundred rows, where a sequential scan is the cheap
// way, and were still in use once the tables held tens of thousands. Measured
// at 2,000 bots from empty: SUBMIT's `stored` check hashed every response for
// each group's submits and its lock scanned participants (69 million response
// rows read in one run; p50 17-26 ms and PostgreSQL's CPU two to three times
// that of a run whose plans happened to be made later and used the indexes:
// p50 6-7 ms). Planning every run instead (plan_cache_mode =
// force_custom_plan) cost 0.9 ms of planning per SUBMIT, more than running it.
//
// So the plans are made again as the tables grow: each time the writes through
// this store double (from 256), every connection drops its cached plans
// (DISCARD PLANS; its prepared statements stay) before its next use. A plan is
// then made for tables at least half their size, and a scan that was cheaper
// than an index then costs at most twice what it did; once the tables are
// large the plans made use the indexes and stay good.
//
// The group commit's connections keep generic plans only (plan_cache_mode =
// force_generic_plan). Left to choose, PostgreSQL planned SUBMIT afresh at
// every run: a generic plan's estimate (ten rows per unnest'ed array) costs
// more than a custom one for the group's few submits, so it never passed the
// comparison, and planning the statement took 1.2 ms of the server's CPU per
// group against 0.6 ms to run it (2 workers, 2,000 bots: 30 s of planning,
// 0.3 of the 2 cores, and the place lock held meanwhile). Its generic plan on
// grown tables uses the primary key for every participant and the unique
// index for every response, as the custom ones did; its age is PlanAges'.
import pg from 'pg';

/** BIGINT (epoch ms, counts) as a JS number, as better-sqlite3 gives it: every value stored fits in 2^53. */
export const PG_TYPES = {
  getTypeParser: ((oid: number, format?: string) =>
    oid === pg.types.builtins.INT8 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

/** The writes since the store opened, in doublings: when it grows, every connection's plans are old. */
export class PlanAges {
  private writes = 0;
  /** The age of the tables' sizes the plans were made for (doublings past 256 writes); a connection whose plans are older drops them. */
  private epoch = 0;
  private readonly made = new WeakMap<pg.ClientBase, number>();

  /** One write (a group commit's op). */
  wrote(): void {
    if (++this.writes >= 256 * 2 ** this.epoch) this.epoch++;
  }

  /** The statement to send before the connection's next use, when its plans are older than the tables. */
  check(client: pg.ClientBase): void {
    const made = this.made.get(client);
    this.made.set(client, this.epoch);
    // Queued before the caller's first statement on it (a client runs its queries in order); its failure is not the caller's.
    if (made !== undefined && made !== this.epoch) client.query('DISCARD PLANS').catch(() => {});
  }
}

/**
 * A pool of the store's connections, each dropping its plans once the tables have outgrown them (PlanAges);
 * `genericPlans`: its connections never plan a prepared statement for its parameters (the group commit's).
 */
export function storePool(url: string, max: number, ages: PlanAges, opts: { genericPlans?: boolean } = {}): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, max, types: PG_TYPES });
  // An idle client's error (the server restarted) must not take the process down; the next query reconnects.
  pool.on('error', () => {});
  // Sent before the connection's first use (a client runs its queries in order); a failure shows in that use.
  if (opts.genericPlans) pool.on('connect', (client) => void client.query('SET plan_cache_mode = force_generic_plan').catch(() => {}));
  pool.on('acquire', (client) => ages.check(client));
  return pool;
}
