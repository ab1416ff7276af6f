// One scoring worker thread: its own onnxruntime session(s) on its share of the
// cores. onnxruntime-node's session.run blocks the calling thread for the whole
// forward pass, so sessions on the main thread never overlap; side-by-side
// scoring needs a thread per session (see session-workers.ts, the pool).
//
// workerData:
//   { kind: 'onnx', model: { source, options }, threads }: runs feeds, answers with the named outputs
//     (source: a model file or graph bytes, as first-token-graph.ts's classifierModel gives).
//   { kind: 'zero-shot', dir, threads, dtype?, modelFileName? }: scores texts.
import { workerData } from 'node:worker_threads';
import ort from 'onnxruntime-node';
import { move, transferableSymbol, valueSymbol } from 'piscina';
import type { WorkerJob, WorkerReply } from './session-workers.ts';

type Feeds = Record<string, { type: 'int64' | 'int32' | 'float32'; data: BigInt64Array | Int32Array | Float32Array; dims: number[] }>;

type Handler = (payload: unknown) => Promise<{ result: unknown; transfer: ArrayBuffer[] }>;

async function setup(): Promise<{ handle: Handler; info?: unknown }> {
  const wd = workerData as { kind: string; model?: { source: string | Uint8Array; options: ort.InferenceSession.SessionOptions }; dir?: string; threads: number; dtype?: string; modelFileName?: string };
  if (wd.kind === 'onnx') {
    const { source, options } = wd.model!;
    const { createSession } = await import('./first-token-graph.ts');
    const session = await createSession(source, { ...options, graphOptimizationLevel: 'all', intraOpNumThreads: wd.threads, interOpNumThreads: 1, executionMode: 'sequential' });
    const info = {
      inputNames: session.inputNames,
      outputNames: session.outputNames,
      inputTypes: Object.fromEntries(session.inputMetadata.map((m) => [m.name, (m as { type?: string }).type ?? ''])),
    };
    return { info, handle: async (payload) => {
      const { feeds, outputs } = payload as { feeds: Feeds; outputs: string[] };
      const tensors: Record<string, ort.Tensor> = {};
      for (const [name, f] of Object.entries(feeds)) tensors[name] = new ort.Tensor(f.type, f.data, f.dims);
      const out = await session.run(tensors, outputs);
      const result: Record<string, { data: Float32Array; dims: number[] }> = {};
      for (const name of outputs) result[name] = { data: out[name].data as Float32Array, dims: out[name].dims as number[] };
      return { result, transfer: outputs.map((n) => (result[n].data.buffer as ArrayBuffer)) };
    } };
  }
  if (wd.kind === 'zero-shot') {
    const { Decoder } = await import('../lm/decoder.ts');
    const { createZeroShotScorer } = await import('./zero-shot.ts');
    const decoder = await Decoder.load(wd.dir!, { threads: wd.threads, skipHash: true, ...(wd.dtype ? { dtype: wd.dtype as never } : {}), ...(wd.modelFileName ? { modelFileName: wd.modelFileName } : {}) });
    const scorer = createZeroShotScorer(decoder, { statsThreads: wd.threads });
    return { handle: async (payload) => {
      const { text, opts } = payload as { text: string; opts: object };
      return { result: await scorer.score(text, opts), transfer: [] };
    } };
  }
  throw new Error(`score-worker: unknown kind ${wd.kind}`);
}

// Set up on the first job (the pool sends an `info` job to each worker it
// starts), so a setup error is that job's answer rather than a dead thread.
let ready: ReturnType<typeof setup> | null = null;

/** piscina's entry: one job at a time; results' buffers are moved, not copied. */
export default async function scoreJob(job: WorkerJob): Promise<WorkerReply | object> {
  try {
    ready ??= setup();
    const { handle, info } = await ready;
    if (job.info) return { ok: true, result: info ?? null };
    const { result, transfer } = await handle(job.payload);
    const reply: WorkerReply = { ok: true, result };
    return transfer.length ? movable(reply, transfer) : reply;
  } catch (err) {
    return { ok: false, error: (err as Error).message } satisfies WorkerReply;
  }
}

/** The reply wrapped for piscina so that its large outputs are moved to the main thread, not copied. */
function movable(value: unknown, transfer: ArrayBuffer[]): object {
  return move({ [transferableSymbol]: transfer, [valueSymbol]: value } as never) as object;
}
