// `credence db migrate`: brings a database, on either engine, to this program's
// schema with that engine's migrations (the same ones every store runs when it
// opens), and says from which version to which. Running it again changes
// nothing; a database newer than the program is refused, untouched.
import { openTableTarget } from './copy.ts';

export interface MigrateResult {
  /** The database, as messages name it (a PostgreSQL URL without its password). */
  db: string;
  before: number;
  after: number;
}

export async function migrateDatabase(db: string): Promise<MigrateResult> {
  const target = await openTableTarget(db);
  try {
    const { version: before } = await target.schemaVersion();
    await target.migrate();
    const { version: after } = await target.schemaVersion();
    return { db: target.label, before, after };
  } finally {
    await target.close();
  }
}
