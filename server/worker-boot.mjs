// Entry of every worker thread. Worker threads do not always inherit tsx's
// loader (they do under `node --import tsx`, not under the `tsx` CLI), so
// register it here, then load the TypeScript module named in workerData.entry.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);
