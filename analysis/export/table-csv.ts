// One result table as CSV.
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { csvStringifier, type CsvWriterOptions } from './csv-writer.ts';
import type { Table } from '../tables.ts';
import { csvCell } from './columns.ts';

export async function writeTableCsv(t: Table, out: Writable, opts: CsvWriterOptions = {}): Promise<void> {
  await pipeline(Readable.from(t.rows.map((r) => r.map(csvCell)), { objectMode: true }), csvStringifier(t.columns, opts), out);
}
