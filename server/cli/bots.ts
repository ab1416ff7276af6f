// `credence bots STUDY -n N [--url URL] [--profile attentive|random|careless] [--concurrency C]`:
// simulated participants through the real socket.io protocol.
import type { Command } from 'commander';
import { runBots } from '../bots/run.ts';
import { parseChoice, UsageError } from './usage.ts';
import { countOption, integerOption, numberOption, seedOption } from './options.ts';

interface BotsCliOptions {
  n: number;
  url: string;
  profile: string;
  concurrency: number;
  abandon: number;
  seed: number;
}

/** How long `bots` waits for the server before saying it cannot reach it. */
const REACH_TIMEOUT_MS = 5000;

/** Fails within REACH_TIMEOUT_MS, naming the URL, when no socket.io server answers there. */
async function checkReachable(url: string): Promise<void> {
  let probe: URL;
  try {
    probe = new URL('/socket.io/?EIO=4&transport=polling', url);
  } catch {
    throw new UsageError(`--url ${url}: not a URL`);
  }
  try {
    const res = await fetch(probe, { signal: AbortSignal.timeout(REACH_TIMEOUT_MS) });
    await res.body?.cancel();
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
  } catch (err) {
    const why = (err as Error).name === 'TimeoutError' ? `no answer within ${REACH_TIMEOUT_MS / 1000} s` : ((err as { cause?: Error }).cause?.message ?? (err as Error).message);
    throw new Error(`cannot reach the server at ${url} (${why}); start it with \`npm start\` or give --url`);
  }
}

export function registerBots(program: Command): void {
  program
    .command('bots')
    .description('Run simulated participants against a running server and print a summary')
    .argument('<study>', "a study's id (its file name without .yaml) or the path of its file")
    .addOption(countOption('number of bots (participants)', 10))
    .option('--url <url>', 'server URL', 'http://127.0.0.1:3000')
    .option('--profile <profile>', 'attentive | random | careless', 'attentive')
    .addOption(integerOption('--concurrency <c>', 'bots at once', { min: 1 }).default(50))
    .addOption(numberOption('--abandon <share>', 'share of bots that leave midway (0..1)', { min: 0, max: 1 }).default(0))
    .addOption(seedOption('seed of the bots’ choices', 1))
    .action(async (study: string, o: BotsCliOptions) => {
      const { n, concurrency, seed, abandon: abandonRate } = o;
      const profile = parseChoice(o.profile, '--profile', ['attentive', 'random', 'careless'] as const);
      await checkReachable(o.url);
      const t0 = Date.now();
      let lastLine = 0;
      const summary = await runBots({
        url: o.url,
        study,
        n,
        concurrency,
        abandonRate,
        seed,
        pidPrefix: `bot-${Date.now().toString(36)}-`,
        profile,
        onProgress: (done, total, last) => {
          if (process.stderr.isTTY) process.stderr.write(`\r${done}/${total} bots done (last: ${last.outcome})`);
          // Not a terminal (a log, CI): plain lines, about every tenth of the run, never carriage returns.
          else if (done === total || done - lastLine >= Math.max(1, Math.ceil(total / 10))) {
            lastLine = done;
            process.stderr.write(`${done}/${total} bots done after ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
          }
        },
      });
      if (process.stderr.isTTY) process.stderr.write('\n');
      console.log(`bots: ${summary.n} in ${(summary.durationMs / 1000).toFixed(1)} s against ${o.url}`);
      console.log(`  completed ${summary.completed}  abandoned ${summary.abandoned}  refused ${summary.refused}  stuck ${summary.stuck}`);
      console.log(`  by status: ${Object.entries(summary.byStatus).map(([k, v]) => `${k} ${v}`).join(', ')}`);
      console.log(`  submits ${summary.submits}  retries ${summary.retries}  reconnects ${summary.reconnects}`);
      console.log(`  ack latency p50 ${summary.ackP50.toFixed(1)} ms  p99 ${summary.ackP99.toFixed(1)} ms`);
      if (summary.errors.length) console.log(`  errors (first ${summary.errors.length}):\n    ${summary.errors.join('\n    ')}`);
      process.exit(summary.stuck > 0 ? 1 : 0);
    });
}
