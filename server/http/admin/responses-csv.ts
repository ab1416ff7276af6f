// GET /api/admin/studies/:id/responses.csv and /codebook.csv — the long CSV and
// its codebook, written by the same code as `credence export --format long` and
// `--format codebook` (analysis/export), so a download from /admin and a file
// from the CLI are the same bytes. Streamed with backpressure, so memory stays
// flat however many rows there are. ?raw=1 (like the CLI's --raw) leaves text
// cells as stored instead of neutralising spreadsheet formulas.
import type { CsvWriterOptions } from '../../../analysis/export/csv-writer.ts';
import type { Response } from 'express';
import type { Writable } from 'node:stream';
import type { Protocol } from '../../../studies/protocol.ts';
import type { RowStream } from '../../../analysis/rows.ts';
import { writeLongCsv } from '../../../analysis/export/long-csv.ts';
import { codebookEntries, writeCodebookCsv } from '../../../analysis/export/codebook.ts';

export function csvFileName(studyId: string, what: 'responses' | 'codebook' = 'responses'): string {
  return `${studyId.replace(/[^a-z0-9_-]+/gi, '_')}-${what}.csv`;
}

/** Streams rows as the long CSV into the response; resolves when done or when the client went away. */
export function sendResponsesCsv(res: Response, studyId: string, rows: RowStream, opts: CsvWriterOptions = {}): Promise<void> {
  return sendCsv(res, csvFileName(studyId), (out) => writeLongCsv(rows, out, opts));
}

/** The codebook of the long CSV: every column, and how each of the protocol's questions fills it. */
export function sendCodebookCsv(res: Response, studyId: string, protocol: Protocol, opts: CsvWriterOptions = {}): Promise<void> {
  return sendCsv(res, csvFileName(studyId, 'codebook'), (out) => writeCodebookCsv(codebookEntries(protocol, [], opts), out, opts));
}

async function sendCsv(res: Response, fileName: string, write: (out: Writable) => Promise<unknown>): Promise<void> {
  res.status(200);
  res.setHeader('Content-Type', 'text/csv; charset=utf-8');
  res.setHeader('Content-Disposition', `attachment; filename="${fileName}"`);
  try {
    await write(res);
  } catch (err) {
    // A client that disconnects mid-download ends the pipeline early; that is not a server error.
    if (res.destroyed || (err as NodeJS.ErrnoException).code === 'ERR_STREAM_PREMATURE_CLOSE') return;
    throw err;
  }
}
