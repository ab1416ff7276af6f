// A prepared statement's generic plan is made for the tables as they were: the
// store's connections drop their plans once its writes have doubled, so a plan
// made on a near-empty table (a sequential scan) is made again for the table as
// it has grown (its index), on a real PostgreSQL (postgres-pool.ts).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { PlanAges, storePool } from '../../server/store/postgres-pool.ts';
import { startTestPostgres, type TestPostgres } from '../helpers/postgres.ts';

let server: TestPostgres;
before(async () => {
  server = await startTestPostgres();
});
after(async () => {
  await server?.stop();
});

test("a connection's generic plan made on a near-empty table is made again once the store's writes have doubled", async () => {
  const ages = new PlanAges();
  const pool = storePool(await server.newDatabase(), 1, ages);
  try {
    // No autovacuum: its ANALYZE would drop the plan by itself, at a time of its choosing.
    await pool.query('CREATE TABLE t (id int PRIMARY KEY, v text) WITH (autovacuum_enabled = false)');
    await pool.query(`INSERT INTO t SELECT i, 'v' || i FROM generate_series(1, 10) AS i`);
    await pool.query('ANALYZE t'); // statistics of a near-empty table, as autovacuum takes them early in a study
    const lookup = { name: 'lookup', text: 'SELECT v FROM t WHERE id = $1', values: [3] };
    // The plan the connection runs `lookup` with (EXPLAIN EXECUTE on the one connection of the pool).
    const planned = async () => {
      const c = await pool.connect();
      try {
        for (let i = 0; i < 8; i++) await c.query(lookup); // past the five custom plans: the generic one, if it is cheaper
        return (await c.query('EXPLAIN EXECUTE lookup(3)')).rows.map((r: Record<string, string>) => r['QUERY PLAN']).join('\n');
      } finally {
        c.release();
      }
    };
    assert.match(await planned(), /Seq Scan on t/, 'ten rows: a scan of the table');
    await pool.query(`INSERT INTO t SELECT i, 'v' || i FROM generate_series(11, 200000) AS i`);
    assert.match(await planned(), /Seq Scan on t/, 'the plan is kept while nothing drops it (what the store met on a study opening on empty tables)');
    for (let i = 0; i < 255; i++) ages.wrote();
    assert.match(await planned(), /Seq Scan on t/, 'fewer writes than the first doubling: the plan is kept');
    ages.wrote();
    assert.match(await planned(), /Index Scan using t_pkey on t/, "the 256th write: the connection's next use drops its plans, and the new one uses the index");
  } finally {
    await pool.end();
  }
});

test("the group commit's connections run a prepared statement with its generic plan from the first run; the others plan for its parameters", async () => {
  const url = await server.newDatabase();
  const generic = storePool(url, 1, new PlanAges(), { genericPlans: true });
  const chosen = storePool(url, 1, new PlanAges());
  try {
    await chosen.query('CREATE TABLE g (id int PRIMARY KEY, v text)');
    const explainFirst = async (pool: typeof generic) => {
      const c = await pool.connect();
      try {
        await c.query({ name: 'lookup', text: 'SELECT v FROM g WHERE id = $1', values: [3] });
        return (await c.query('EXPLAIN EXECUTE lookup(3)')).rows.map((r: Record<string, string>) => r['QUERY PLAN']).join('\n');
      } finally {
        c.release();
      }
    };
    // A generic plan names the parameter; a plan made for the run names its value.
    assert.match(await explainFirst(generic), /id = \$1/, 'generic plan on the group pool');
    assert.match(await explainFirst(chosen), /id = 3\b/, 'a plan for the parameters elsewhere (PostgreSQL chooses after five runs)');
  } finally {
    await Promise.all([generic.end(), chosen.end()]);
  }
});
