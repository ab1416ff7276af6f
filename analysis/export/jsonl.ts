// JSONL: one response row per line, the same keys and order as the long CSV,
// streamed like it.
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { RowStream } from '../rows.ts';
import { LONG_COLUMNS } from './columns.ts';

async function* lines(rows: RowStream, counter: { rows: number }): AsyncGenerator<string> {
  let batch = '';
  for await (const r of rows) {
    counter.rows++;
    const o: Record<string, unknown> = {};
    for (const c of LONG_COLUMNS) o[c.name] = r[c.name] ?? null;
    batch += JSON.stringify(o) + '\n';
    if (batch.length > 1 << 16) {
      yield batch;
      batch = '';
    }
  }
  if (batch) yield batch;
}

export async function writeJsonl(rows: RowStream, out: Writable, opts: { end?: boolean } = {}): Promise<number> {
  const counter = { rows: 0 };
  await pipeline(Readable.from(lines(rows, counter), { objectMode: false }), out, { end: opts.end ?? true });
  return counter.rows;
}
