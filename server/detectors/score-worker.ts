// One scoring worker thread: its own onnxruntime session(s) on its share of the
// cores. onnxruntime-node's session.run blocks the calling thread for the whole
// forward pass, so sessions on the main thread never overlap; side-by-side
// scoring needs a thread per session (see session-workers.ts).
//
// workerData:
//   { kind: 'onnx', model: { source, options }, threads }: runs feeds, answers with the named outputs
//     (source: a model file or graph bytes, as first-token-graph.ts's classifierModel gives).
//   { kind: 'zero-shot', dir, threads, dtype?, modelFileName? }: scores texts.
import { parentPort, workerData } from 'node:worker_threads';
import ort from 'onnxruntime-node';

type Job = { id: number; payload: unknown };
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

const port = parentPort!;
setup().then(
  ({ handle, info }) => {
    // One job at a time: the pool sends the next only after an answer.
    port.on('message', (job: Job) => {
      handle(job.payload).then(
        ({ result, transfer }) => port.postMessage({ id: job.id, result }, transfer),
        (err: Error) => port.postMessage({ id: job.id, error: err.message }),
      );
    });
    port.postMessage({ ready: true, info });
  },
  (err: Error) => port.postMessage({ ready: false, error: err.message }),
);
