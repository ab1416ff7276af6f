// Entry of every worker thread. Worker threads do not always inherit tsx's
// loader (they do under `node --import tsx`, not under the `tsx` CLI), so
// register it here, then load the TypeScript module named in workerData.entry.
// Its default export, if any, is this module's: the handler piscina calls
// (session-workers.ts); plain workers (wal-sync) just run the module.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
const entry = await import(workerData.entry);
export default entry.default;
