// One result table as CSV.
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { stringify } from 'csv-stringify';
import type { Table } from '../tables.ts';
import { csvCell } from './columns.ts';

export async function writeTableCsv(t: Table, out: Writable): Promise<void> {
  await pipeline(Readable.from(t.rows.map((r) => r.map(csvCell)), { objectMode: true }), stringify({ header: true, columns: t.columns }), out);
}
