// GET /api/admin/studies/:id/responses.csv — every stored response of a study,
// one row per question, streamed with backpressure so memory stays flat however
// many rows there are. Booleans are written true/false and nulls as empty
// cells, which R and pandas both read back as they are.
import { csvStringifier, type CsvWriterOptions } from '../../../analysis/export/csv-writer.ts';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Response } from 'express';
import type { ResponseRow } from '../../../analysis/rows.ts';
import { RESPONSE_COLUMNS } from './response-columns.ts';

export function csvFileName(studyId: string): string {
  return `${studyId.replace(/[^a-z0-9_-]+/gi, '_')}-responses.csv`;
}

/** Streams rows as CSV into the response; resolves when done or when the client went away. */
export async function sendResponsesCsv(res: Response, studyId: string, rows: Iterable<ResponseRow>, opts: CsvWriterOptions = {}): Promise<void> {
  res.status(200);
  res.setHeader('Content-Type', 'text/csv; charset=utf-8');
  res.setHeader('Content-Disposition', `attachment; filename="${csvFileName(studyId)}"`);
  const csv = csvStringifier([...RESPONSE_COLUMNS], { raw: opts.raw, cast: { boolean: (v) => (v ? 'true' : 'false') } });
  try {
    await pipeline(Readable.from(rows, { highWaterMark: 256 }), csv, res);
  } catch (err) {
    // A client that disconnects mid-download ends the pipeline early; that is not a server error.
    if (res.destroyed || (err as NodeJS.ErrnoException).code === 'ERR_STREAM_PREMATURE_CLOSE') return;
    throw err;
  }
}
