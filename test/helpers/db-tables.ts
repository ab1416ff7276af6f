// What the db copy and backup tests compare between databases: per table, the
// row count and a digest of the rows (each row's values in column-name order,
// the rows sorted, so the engines' own row orders do not matter), read through
// the same table list the copy uses; and the `credence` command line as a child.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { openTableSource } from '../../server/store/copy.ts';
import { TABLES } from '../../server/store/tables.ts';

export type TableDigests = Record<string, { rows: number; sha256: string }>;

export async function tableDigests(db: string): Promise<TableDigests> {
  const source = await openTableSource(db);
  try {
    const tables = await source.tables();
    const out: TableDigests = {};
    for (const spec of TABLES) {
      const columns = tables.get(spec.name);
      if (!columns) continue;
      const lines: string[] = [];
      for await (const batch of source.rows(spec, [...columns].sort())) for (const row of batch) lines.push(JSON.stringify(row));
      lines.sort();
      out[spec.name] = { rows: lines.length, sha256: createHash('sha256').update(lines.join('\n')).digest('hex') };
    }
    return out;
  } finally {
    await source.close();
  }
}

/** Runs `credence ARGS…` to the end. */
export function credence(...args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'server/cli/main.ts', ...args], { encoding: 'utf8' });
}
