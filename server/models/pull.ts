// `credence models pull`: the only code that downloads. It fetches the files of
// one Hugging Face ONNX repository into models/<name>, resuming `.part` files
// with HTTP Range requests, checking every size against the server's, and
// fetching exactly the external data files the downloaded graph refers to.
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, statSync, writeSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { externalDataNeeds, graphFile, type Dtype } from './model-dir.ts';

export const HF_BASE_URL = 'https://huggingface.co';

export interface PullSpec {
  repo: string;
  /** Base name under onnx/: `model` (v3 layout) or `decoder_model_merged` (older Xenova exports). */
  onnxName: string;
  dtypes: Dtype[];
  kind: 'gpt2' | 'detector';
}

/** Which repository serves which model (reference gpt2-onnx.md §1.1, §2). */
export const PULLABLE: Record<string, PullSpec> = {
  gpt2: { repo: 'onnx-community/gpt2-ONNX', onnxName: 'model', dtypes: ['fp32', 'fp16', 'q8', 'int8', 'uint8', 'q4'], kind: 'gpt2' },
  distilgpt2: { repo: 'Xenova/distilgpt2', onnxName: 'decoder_model_merged', dtypes: ['fp32', 'q8'], kind: 'gpt2' },
  'gpt2-medium': { repo: 'onnx-community/gpt2-medium-ONNX', onnxName: 'model', dtypes: ['fp32', 'fp16', 'q8', 'int8', 'uint8', 'q4'], kind: 'gpt2' },
  'gpt2-large': { repo: 'onnx-community/gpt2-large-ONNX', onnxName: 'model', dtypes: ['fp32', 'fp16', 'q8', 'int8', 'uint8', 'q4'], kind: 'gpt2' },
  'gpt2-xl': { repo: 'onnx-community/gpt2-xl-ONNX', onnxName: 'model', dtypes: ['fp32', 'fp16', 'q8', 'int8', 'uint8', 'q4'], kind: 'gpt2' },
  'roberta-base-openai-detector': { repo: 'onnx-community/roberta-base-openai-detector-ONNX', onnxName: 'model', dtypes: ['fp32', 'fp16', 'q8', 'int8', 'uint8', 'q4'], kind: 'detector' },
  'roberta-large-openai-detector': { repo: 'onnx-community/roberta-large-openai-detector-ONNX', onnxName: 'model', dtypes: ['fp32', 'fp16', 'q8'], kind: 'detector' },
};

export interface PullProgress {
  file: string;
  received: number;
  total: number;
}

export interface PullOptions {
  name: string;
  dtype?: Dtype;
  modelsDir?: string;
  baseUrl?: string;
  /** Called as bytes arrive. */
  onProgress?: (p: PullProgress) => void;
  /** Called once per file before it downloads (or is found complete). */
  onFile?: (file: string, state: 'download' | 'resume' | 'present') => void;
  /** For tests: abort the transfer (simulates a cut connection). */
  signal?: AbortSignal;
}

export interface PullResult {
  dir: string;
  repo: string;
  files: { path: string; bytes: number }[];
}

export class OfflineError extends Error {
  constructor(url: string, cause: string) {
    super(`cannot reach ${new URL(url).origin} (${cause}): credence models pull needs network access to download models; everything else runs offline`);
    this.name = 'OfflineError';
  }
}

async function request(url: string, headers: Record<string, string>, signal?: AbortSignal): Promise<Response> {
  try {
    return await fetch(url, { headers, redirect: 'follow', signal });
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    throw new OfflineError(url, cause?.code ?? cause?.message ?? (err as Error).message);
  }
}

/**
 * Downloads one file to `dest` through `dest.part`, resuming with Range.
 * Returns false when the server has no such file (404) and `optional` is set.
 */
export async function downloadFile(url: string, dest: string, opts: { optional?: boolean; onProgress?: (received: number, total: number) => void; onStart?: (state: 'download' | 'resume' | 'present') => void; signal?: AbortSignal } = {}): Promise<boolean> {
  if (existsSync(dest)) { opts.onStart?.('present'); return true; }
  mkdirSync(dirname(dest), { recursive: true });
  const part = `${dest}.part`;
  let have = existsSync(part) ? statSync(part).size : 0;
  const res = await request(url, have > 0 ? { Range: `bytes=${have}-` } : {}, opts.signal);
  if (res.status === 404 && opts.optional) { await res.body?.cancel(); return false; }
  if (res.status === 416 && have > 0) {
    // The part is already whole (or the server's file shrank): start over to be sure.
    await res.body?.cancel();
    have = 0;
    closeSync(openSync(part, 'w'));
    return downloadFile(url, dest, opts);
  }
  if (res.status !== 200 && res.status !== 206) {
    await res.body?.cancel();
    throw new Error(`${url}: HTTP ${res.status} ${res.statusText}`);
  }
  let total: number;
  let fd: number;
  if (res.status === 206) {
    const range = /bytes (\d+)-(\d+)\/(\d+)/.exec(res.headers.get('content-range') ?? '');
    if (!range || Number(range[1]) !== have) {
      await res.body?.cancel();
      throw new Error(`${url}: the server answered the resume request with an unexpected range (${res.headers.get('content-range')})`);
    }
    total = Number(range[3]);
    fd = openSync(part, 'a');
    opts.onStart?.('resume');
  } else {
    // 200: the server ignored Range (or there was nothing to resume): whole file.
    have = 0;
    const len = res.headers.get('content-length');
    total = len === null ? -1 : Number(len);
    fd = openSync(part, 'w');
    opts.onStart?.('download');
  }
  let received = have;
  try {
    if (!res.body) throw new Error(`${url}: empty response body`);
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      let off = 0;
      while (off < chunk.length) off += writeSync(fd, chunk, off, chunk.length - off);
      received += chunk.length;
      opts.onProgress?.(received, total);
    }
  } finally {
    closeSync(fd);
  }
  const size = statSync(part).size;
  if (total >= 0 && size !== total) {
    throw new Error(`${url}: download stopped at ${size} of ${total} bytes (run the same command again to resume)`);
  }
  renameSync(part, dest);
  return true;
}

const ROOT_FILES: { path: string; optional: boolean }[] = [
  { path: 'config.json', optional: false },
  { path: 'tokenizer.json', optional: false },
  { path: 'tokenizer_config.json', optional: true },
  { path: 'generation_config.json', optional: true },
  { path: 'special_tokens_map.json', optional: true },
];

export async function pullModel(opts: PullOptions): Promise<PullResult> {
  const spec = PULLABLE[opts.name];
  if (!spec) throw new Error(`unknown model "${opts.name}" (pullable: ${Object.keys(PULLABLE).join(', ')})`);
  const dtype = opts.dtype ?? 'fp32';
  if (!spec.dtypes.includes(dtype)) throw new Error(`${spec.repo} has no ${dtype} export (available: ${spec.dtypes.join(', ')})`);
  const base = (opts.baseUrl ?? HF_BASE_URL).replace(/\/+$/, '');
  const dir = resolve(opts.modelsDir ?? 'models', opts.name);
  const url = (p: string) => `${base}/${spec.repo}/resolve/main/${p}`;
  const files: { path: string; bytes: number }[] = [];
  const fetchOne = async (p: string, optional: boolean) => {
    const dest = join(dir, p);
    const ok = await downloadFile(url(p), dest, {
      optional,
      signal: opts.signal,
      onStart: (state) => opts.onFile?.(p, state),
      onProgress: (received, total) => opts.onProgress?.({ file: p, received, total }),
    });
    if (ok) files.push({ path: p, bytes: statSync(dest).size });
  };
  for (const f of ROOT_FILES) await fetchOne(f.path, f.optional);
  const graph = `onnx/${graphFile(spec.onnxName, dtype)}`;
  await fetchOne(graph, false);
  // The graph names its external data files; fetch exactly those.
  const graphPath = join(dir, graph);
  if (statSync(graphPath).size < 256 * 1024 * 1024) {
    const needs = externalDataNeeds(readFileSync(graphPath), graphPath);
    for (const loc of [...needs.keys()].sort()) await fetchOne(`onnx/${loc}`, false);
  }
  return { dir, repo: spec.repo, files };
}
