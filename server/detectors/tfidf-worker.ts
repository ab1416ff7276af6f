// One TF-IDF cross-fit worker thread (kFoldEvaluate in tfidf.ts starts a pool
// of them on piscina, through session-workers.ts). The outer folds of the
// cross-fit are independent — each chooses its own C by an inner CV and fits
// its own model — so they run side by side, one fold per job. The counted
// texts arrive once per worker, as workerData.crossFit; a job names a fold.
import { workerData } from 'node:worker_threads';
import { fitOuterFold, type CrossFitData } from './tfidf.ts';
import type { WorkerJob, WorkerReply } from './session-workers.ts';

const data = (workerData as { crossFit: CrossFitData }).crossFit;

export default function tfidfFoldJob(job: WorkerJob): WorkerReply {
  if (job.info) return { ok: true, result: null };
  try {
    return { ok: true, result: fitOuterFold(data, (job.payload as { fold: number }).fold) };
  } catch (err) {
    return { ok: false, error: (err as Error).message };
  }
}
