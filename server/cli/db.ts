// `credence db migrate [--db FILE|URL]`: brings a database to this program's schema.
// `credence db copy --from FILE|URL --to FILE|URL`: copies every row of every table
// to a new or empty database on either engine (a pilot's SQLite file to the
// production PostgreSQL, or back), in one transaction on the target.
import type { Command } from 'commander';
import { copyDatabase } from '../store/copy.ts';
import { migrateDatabase } from '../store/migrate.ts';
import { databaseOption, dbOption } from './options.ts';

export function registerDb(program: Command): void {
  const db = program.command('db').description('Migrate a database, or copy one to another (SQLite file or postgres:// URL)');
  db.command('migrate')
    .description("Bring a database to this program's schema (prints the schema version before and after; safe to repeat)")
    .addOption(dbOption())
    .action(async (o: { db: string }) => {
      const r = await migrateDatabase(o.db);
      console.log(r.before === r.after ? `${r.db}: schema version ${r.after}, already current` : `${r.db}: schema version ${r.before} -> ${r.after}`);
    });
  db.command('copy')
    .description('Copy every row of every table (ids and hashes intact) into a new or empty database, in one transaction')
    .addOption(databaseOption('--from <file-or-url>', 'the database to copy (SQLite file or postgres://user@host/db); only read').makeOptionMandatory())
    .addOption(databaseOption('--to <file-or-url>', 'the new or empty database to fill (SQLite file or postgres://user@host/db)').makeOptionMandatory())
    .option('--allow-non-empty', 'add to a target that already holds rows (a row whose key it has fails the whole copy)')
    .action(async (o: { from: string; to: string; allowNonEmpty?: boolean }) => {
      const t0 = performance.now();
      const r = await copyDatabase(o.from, o.to, {
        allowNonEmpty: o.allowNonEmpty,
        onTable: (table, rows) => console.log(`${table.padEnd(20)} ${String(rows).padStart(10)} rows`),
      });
      const total = r.tables.reduce((n, t) => n + t.rows, 0);
      console.log(`copied ${total} rows in ${r.tables.length} tables from ${r.from} to ${r.to} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    });
}
