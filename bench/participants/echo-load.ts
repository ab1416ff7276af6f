// Load for the echo anchor: n sockets arriving over rampMs, each sending
// `pages` submits of a trial-sized payload with the same think times as the bots.
import { io } from 'socket.io-client';
import { randomUUID } from 'node:crypto';
import { createRng, deriveSeed } from '../../studies/random.ts';

export interface EchoLoadResult {
  ackMs: number[];
  durationMs: number;
  failed: number;
}

export async function echoLoad(opts: { url: string; n: number; pages: number; thinkMs: [number, number]; rampMs: number }): Promise<EchoLoadResult> {
  const ackMs: number[] = [];
  let failed = 0;
  const t0 = performance.now();
  const one = async (i: number) => {
    await new Promise((r) => setTimeout(r, (i / opts.n) * opts.rampMs));
    const rng = createRng(deriveSeed(1, `echo:${i}`));
    const socket = io(opts.url, { transports: ['websocket'], forceNew: true, reconnection: true });
    await new Promise<void>((ok) => socket.once('joined', () => ok()));
    for (let p = 0; p < opts.pages; p++) {
      await new Promise((r) => setTimeout(r, opts.thinkMs[0] + rng.next() * (opts.thinkMs[1] - opts.thinkMs[0])));
      const payload = { clientId: randomUUID(), pageIndex: p, answers: { cred: 3, judge: 2 }, rtMs: 1234, events: [{ type: 'paint', t: 0 }] };
      const s = performance.now();
      await new Promise<void>((ok) =>
        socket.timeout(10_000).emit('submit', payload, (err: Error | null) => {
          if (err) failed++;
          else ackMs.push(performance.now() - s);
          ok();
        }),
      );
    }
    socket.disconnect();
  };
  await Promise.all(Array.from({ length: opts.n }, (_, i) => one(i)));
  return { ackMs, durationMs: performance.now() - t0, failed };
}
