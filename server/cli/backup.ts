// `credence backup --out FILE [--db data/credence.db|postgres://…]`: an online,
// consistent copy of the live database, taken while participants keep answering;
// always a SQLite file (a PostgreSQL database's rows are copied into one, which
// `credence db copy --from FILE --to postgres://…` restores).
// `credence backup --verify FILE`: checks a copy (integrity_check, schema, counts).
import type { Command } from 'commander';
import { backupDatabase, verifyBackup, type BackupSummary } from '../store/backup.ts';
import { UsageError } from './usage.ts';
import { describeDb } from '../store/open.ts';
import { dbOption } from './options.ts';

const describe = (s: BackupSummary) =>
  `${s.file}: ok (integrity_check passed; ${s.studies} study versions, ${s.participants} participants, ${s.responses} responses; ${s.bytes} bytes)`;

export function registerBackup(program: Command): void {
  program
    .command('backup')
    .description('Copy the live database consistently without stopping the server (--out FILE), or check a copy (--verify FILE)')
    .addOption(dbOption('database to copy: a SQLite file, or postgres://user@host/db (copied into a SQLite file)'))
    .option('--out <file>', 'where to write the copy (a new SQLite file)')
    .option('--verify <file>', 'check a backup instead of taking one')
    .action(async (o: { db: string; out?: string; verify?: string }) => {
      if (!!o.out === !!o.verify) throw new UsageError('backup: give exactly one of --out FILE (take a backup) or --verify FILE (check one)');
      if (o.verify) console.log(describe(verifyBackup(o.verify)));
      else {
        const t0 = performance.now();
        const s = await backupDatabase(o.db, o.out!);
        console.log(`backed up ${describeDb(o.db)} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
        console.log(describe(s));
      }
    });
}
