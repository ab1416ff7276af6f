// Whole tables of a PostgreSQL database, for db copy and backup (tables.ts):
// read in one REPEATABLE READ snapshot through a cursor a batch at a time (a
// server may keep writing meanwhile; a table of any size never sits in memory),
// written in one transaction with multi-row INSERTs, then every identity moved
// past the ids copied in so the next response or event gets a fresh one.
import pg from 'pg';
import { PG_MIGRATIONS } from './postgres-schema.ts';
import { migratePostgres, redactUrl } from './postgres.ts';
import { PG_TYPES } from './postgres-pool.ts';
import { BATCH_ROWS, BOOKKEEPING_TABLES, quoteName as quote, ENGINE_COLUMNS, type TableColumns, type TableSource, type TableSpec, type TableTarget } from './tables.ts';

/** A parameter list holds at most 65,535 values. */
const MAX_PARAMS = 60_000;

async function connect(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url, types: PG_TYPES });
  // A dropped connection surfaces as the failing query's error; without a listener it would take the process down.
  client.on('error', () => {});
  try {
    await client.connect();
  } catch (err) {
    throw new Error(`${redactUrl(url)}: cannot connect to PostgreSQL (${(err as Error).message})`);
  }
  return client;
}

async function versionOf(client: pg.Client): Promise<{ version: number; latest: number }> {
  const has = (await client.query<{ t: string | null }>("SELECT to_regclass('schema_version')::text AS t")).rows[0].t;
  const version = has ? ((await client.query<{ version: number }>('SELECT version FROM schema_version')).rows[0]?.version ?? 0) : 0;
  return { version, latest: PG_MIGRATIONS.length };
}

async function tablesOf(client: pg.Client): Promise<TableColumns> {
  const rows = (
    await client.query<{ table_name: string; column_name: string }>(
      `SELECT c.table_name, c.column_name FROM information_schema.columns c
       JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
       WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'
       ORDER BY c.table_name, c.ordinal_position`,
    )
  ).rows;
  const out: TableColumns = new Map();
  for (const r of rows) {
    if (BOOKKEEPING_TABLES.includes(r.table_name)) continue;
    if (!out.has(r.table_name)) out.set(r.table_name, []);
    if (!ENGINE_COLUMNS.includes(r.column_name)) out.get(r.table_name)!.push(r.column_name);
  }
  return out;
}

export class PostgresTableSource implements TableSource {
  readonly label: string;
  private constructor(private readonly client: pg.Client, url: string) {
    this.label = redactUrl(url);
  }

  static async open(url: string): Promise<PostgresTableSource> {
    const client = await connect(url);
    // Every table is read in this one snapshot, whatever commits meanwhile.
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    return new PostgresTableSource(client, url);
  }

  schemaVersion(): Promise<{ version: number; latest: number }> {
    return versionOf(this.client);
  }

  tables(): Promise<TableColumns> {
    return tablesOf(this.client);
  }

  async *rows(table: TableSpec, columns: string[]): AsyncIterable<unknown[][]> {
    const cursor = `credence_copy_${table.name}`;
    await this.client.query(`DECLARE ${quote(cursor)} NO SCROLL CURSOR FOR SELECT ${columns.map(quote).join(', ')} FROM ${quote(table.name)} ORDER BY ${table.order.postgres}`);
    try {
      for (;;) {
        const r = await this.client.query({ text: `FETCH ${BATCH_ROWS} FROM ${quote(cursor)}`, rowMode: 'array' });
        if (r.rows.length === 0) break;
        yield r.rows as unknown[][];
      }
    } finally {
      await this.client.query(`CLOSE ${quote(cursor)}`).catch(() => {});
    }
  }

  async close(): Promise<void> {
    await this.client.query('COMMIT').catch(() => {});
    await this.client.end();
  }
}

export class PostgresTableTarget implements TableTarget {
  readonly label: string;
  private constructor(private readonly client: pg.Client, private readonly url: string) {
    this.label = redactUrl(url);
  }

  static async open(url: string): Promise<PostgresTableTarget> {
    return new PostgresTableTarget(await connect(url), url);
  }

  schemaVersion(): Promise<{ version: number; latest: number }> {
    return versionOf(this.client);
  }

  async migrate(): Promise<void> {
    await migratePostgres(this.client, this.url);
  }

  async begin(): Promise<void> {
    await this.client.query('BEGIN');
  }

  tables(): Promise<TableColumns> {
    return tablesOf(this.client);
  }

  async hasRows(table: string): Promise<boolean> {
    return (await this.client.query(`SELECT 1 FROM ${quote(table)} LIMIT 1`)).rows.length > 0;
  }

  async count(table: string): Promise<number> {
    return Number((await this.client.query<{ n: string }>(`SELECT count(*) AS n FROM ${quote(table)}`)).rows[0].n);
  }

  private readonly statements = new Map<string, string>();
  private statementName(text: string): string {
    let name = this.statements.get(text);
    if (!name) this.statements.set(text, (name = `credence_copy_${this.statements.size}`));
    return name;
  }

  async insert(table: string, columns: string[], rows: unknown[][]): Promise<void> {
    const per = Math.max(1, Math.floor(MAX_PARAMS / columns.length));
    for (let i = 0; i < rows.length; i += per) {
      const chunk = rows.slice(i, i + per);
      const values: unknown[] = [];
      const tuples = chunk.map((row) => `(${row.map((v) => (values.push(v), `$${values.length}`)).join(', ')})`);
      const text = `INSERT INTO ${quote(table)} (${columns.map(quote).join(', ')}) VALUES ${tuples.join(', ')}`;
      // A full batch has the same text every time: prepared once (named), not parsed again per batch.
      const name = chunk.length === Math.min(per, BATCH_ROWS) ? this.statementName(text) : undefined;
      await this.client.query({ name, text, values });
    }
  }

  /**
   * Ids were copied as they were (GENERATED BY DEFAULT lets an insert give one),
   * which leaves their sequences behind: each moves to the largest id stored,
   * never back, so the next row numbers on from there.
   */
  async finish(): Promise<void> {
    const identities = (
      await this.client.query<{ table_name: string; column_name: string }>(
        "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = current_schema() AND is_identity = 'YES'",
      )
    ).rows;
    for (const { table_name: t, column_name: c } of identities) {
      await this.client.query(
        `SELECT setval(s.name, m.top) FROM (SELECT pg_get_serial_sequence($1, $2) AS name) s, (SELECT max(${quote(c)}) AS top FROM ${quote(t)}) m
         WHERE m.top IS NOT NULL AND m.top > COALESCE((SELECT last_value FROM pg_sequences q WHERE q.schemaname || '.' || q.sequencename = s.name), 0)`,
        [quote(t), c],
      );
    }
    await this.client.query('COMMIT');
  }

  async abort(): Promise<void> {
    await this.client.query('ROLLBACK').catch(() => {});
  }

  async close(): Promise<void> {
    await this.client.end().catch(() => {});
  }
}
