// Where a long export reads its rows from. A streamed download spans many event
// loop turns; on SQLite an open read cursor on the store's own connection makes
// every participant write fail ("connection is busy") until it ends. So on a
// SQLite file the export opens a second store on the same file (WAL: the reader
// sees one snapshot and never blocks the writer) and closes it when done.
import type { ResponseRow } from '../../../analysis/rows.ts';
import { SqliteStore } from '../../store/sqlite.ts';
import type { AppContext } from '../context.ts';

export interface RowSource {
  rows: Iterable<ResponseRow>;
  close(): void;
}

export function responseRowsForExport(ctx: Pick<AppContext, 'store'>, studyId: string): RowSource {
  const store = ctx.store;
  if (store instanceof SqliteStore) {
    if (store.path === ':memory:') {
      // No second connection can see an in-memory database: read it all now, in one turn.
      return { rows: [...store.iterateResponses(studyId)], close() {} };
    }
    const reader = new SqliteStore(store.path);
    const rows = reader.iterateResponses(studyId);
    return {
      rows,
      close() {
        // End the cursor first: a connection cannot close while a statement is still iterating.
        rows.return?.(undefined);
        reader.close();
      },
    };
  }
  // Other stores (PostgreSQL) page through their rows without holding the writer.
  return { rows: store.iterateResponses(studyId), close() {} };
}
