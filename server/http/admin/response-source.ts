// Where a long export reads its rows from. A streamed download spans many event
// loop turns; on SQLite an open read cursor on the store's own connection would
// make every participant write fail ("connection is busy") until it ends. So
// exports read through a connection of their own when one can be opened.
import type { ResponseRow } from '../../../analysis/rows.ts';
import type { AppContext } from '../context.ts';

export interface RowSource {
  rows: Iterable<ResponseRow>;
  close(): void;
}

export function responseRowsForExport(ctx: AppContext, studyId: string): RowSource {
  return { rows: ctx.store.iterateResponses(studyId), close() {} };
}
