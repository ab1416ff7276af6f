// Runs many bots against a server, `concurrency` at a time, and sums up what
// happened: how many finished with which status, how many abandoned or were
// refused, and how long the server took to acknowledge submits.
import type { Protocol } from '../../studies/protocol.ts';
import { loadStudy } from '../../studies/load.ts';
import { createRng, deriveSeed } from '../../studies/random.ts';
import { runBot, type AnswerFn, type BotProfile, type BotResult } from './bot.ts';

export interface RunBotsOptions {
  url: string;
  /** Study id (or protocol file path) as served. */
  study: string;
  n: number;
  profile?: BotProfile;
  concurrency?: number;
  /** Share of bots that close the tab midway and never return (0..1). */
  abandonRate?: number;
  answer?: AnswerFn;
  onProgress?: (done: number, n: number, last: BotResult) => void;
  /** The protocol (to know expected answers); default: loaded from `study`. */
  protocol?: Protocol;
  studiesDir?: string;
  seed?: number;
  /** Prefix of the fake PROLIFIC_PIDs (bots with the same prefix and index are the same participant). */
  pidPrefix?: string;
  thinkMs?: [number, number];
  maxMsPerBot?: number;
  /** Keep every bot's result in the summary (tests inspect them). */
  keepResults?: boolean;
  /** Spread the bots' arrivals over this many ms (people do not all click the link in the same millisecond). */
  rampMs?: number;
  /** Local addresses to connect from, bot i from the (i mod length)-th: a per-address limit then sees many clients. */
  fromAddresses?: string[];
}

export interface BotsSummary {
  n: number;
  completed: number;
  abandoned: number;
  refused: number;
  stuck: number;
  byStatus: Record<string, number>;
  submits: number;
  retries: number;
  reconnects: number;
  /** Dropped connections by reason. */
  drops: Record<string, number>;
  errors: string[];
  ackP50: number;
  ackP99: number;
  durationMs: number;
  results?: BotResult[];
}

export function percentile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i];
}

export async function runBots(opts: RunBotsOptions): Promise<BotsSummary> {
  const protocol = opts.protocol ?? loadStudy(opts.study, { studiesDir: opts.studiesDir }).protocol;
  const study = protocol.id;
  const seed = opts.seed ?? 1;
  const concurrency = Math.max(1, Math.min(opts.concurrency ?? 50, opts.n));
  const results: BotResult[] = [];
  const t0 = performance.now();
  let next = 0;
  const prefix = opts.pidPrefix ?? `bot-${seed}-`;

  const worker = async () => {
    while (next < opts.n) {
      const i = next++;
      if (opts.rampMs) {
        const at = t0 + (i / opts.n) * opts.rampMs;
        const wait = at - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      }
      const rng = createRng(deriveSeed(seed, `bot:${i}`));
      const abandons = rng.next() < (opts.abandonRate ?? 0);
      const r = await runBot({
        url: opts.url,
        study,
        protocol,
        pid: `${prefix}${i}`,
        profile: opts.profile ?? 'attentive',
        rng,
        // Abandon somewhere in the middle of the sequence.
        abandonAt: abandons ? 0.2 + 0.6 * rng.next() : undefined,
        thinkMs: opts.thinkMs,
        answer: opts.answer,
        maxMs: opts.maxMsPerBot,
        localAddress: opts.fromAddresses?.length ? opts.fromAddresses[i % opts.fromAddresses.length] : undefined,
      });
      results.push(r);
      opts.onProgress?.(results.length, opts.n, r);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));

  const acks = results.flatMap((r) => r.ackMs).sort((a, b) => a - b);
  const byStatus: Record<string, number> = {};
  for (const r of results) byStatus[r.outcome] = (byStatus[r.outcome] ?? 0) + 1;
  return {
    n: opts.n,
    completed: byStatus.completed ?? 0,
    abandoned: byStatus.abandoned ?? 0,
    refused: byStatus.refused ?? 0,
    stuck: byStatus.stuck ?? 0,
    byStatus,
    submits: acks.length,
    retries: results.reduce((s, r) => s + r.retries, 0),
    reconnects: results.reduce((s, r) => s + r.reconnects, 0),
    drops: results.flatMap((r) => r.drops).reduce<Record<string, number>>((m, d) => ((m[d] = (m[d] ?? 0) + 1), m), {}),
    errors: results.flatMap((r) => r.errors.map((e) => `${r.pid}: ${e}`)).slice(0, 20),
    ackP50: percentile(acks, 0.5),
    ackP99: percentile(acks, 0.99),
    durationMs: performance.now() - t0,
    ...(opts.keepResults ? { results } : {}),
  };
}
