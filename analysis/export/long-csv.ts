// Long CSV: one row per response, streamed from the rows (a cursor's, or a network cursor's batches) through
// csv-stringify with backpressure, so memory stays flat however many rows.
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { csvStringifier, type CsvWriterOptions } from './csv-writer.ts';
import type { RowStream } from '../rows.ts';
import { LONG_COLUMNS, csvCell } from './columns.ts';

async function* cells(rows: RowStream, counter: { rows: number }): AsyncGenerator<string[]> {
  for await (const r of rows) {
    counter.rows++;
    yield LONG_COLUMNS.map((c) => csvCell(r[c.name]));
  }
}

/** Writes the long CSV to `out` (not ended when `end` is false); resolves with the row count. */
export async function writeLongCsv(rows: RowStream, out: Writable, opts: { end?: boolean } & CsvWriterOptions = {}): Promise<number> {
  const counter = { rows: 0 };
  await pipeline(
    Readable.from(cells(rows, counter), { objectMode: true }),
    csvStringifier(LONG_COLUMNS.map((c) => c.name), { raw: opts.raw, quoted_match: /^\s|\s$/ }),
    out,
    { end: opts.end ?? true },
  );
  return counter.rows;
}
