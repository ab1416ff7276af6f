// JSONL: one response row per line, the same keys and order as the long CSV,
// streamed like it.
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ResponseRow } from '../rows.ts';
import { LONG_COLUMNS } from './columns.ts';

function* lines(rows: Iterable<ResponseRow>, counter: { rows: number }): Generator<string> {
  let batch = '';
  for (const r of rows) {
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

export async function writeJsonl(rows: Iterable<ResponseRow>, out: Writable, opts: { end?: boolean } = {}): Promise<number> {
  const counter = { rows: 0 };
  await pipeline(Readable.from(lines(rows, counter), { objectMode: false }), out, { end: opts.end ?? true });
  return counter.rows;
}
