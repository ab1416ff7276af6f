// Entry of a scoring worker thread. Worker threads do not always inherit tsx's
// loader (they do under `node --import tsx`, not under the `tsx` CLI), so
// register it here before loading the TypeScript worker.
import { register } from 'tsx/esm/api';

register();
await import('./score-worker.ts');
