// What stands in front of /api/detect (one detector forward pass per request):
// off unless the server was started with --detect; then a logged-in researcher
// passes, anyone else is limited per address (429), and every caller waits in a
// bounded queue (503 when it is full) so a burst of requests cannot starve the
// participants' event loop.
import type { NextFunction, Request, Response, RequestHandler } from 'express';
import { RateLimiterRes } from 'rate-limiter-flexible';
import { sharedLimiter } from './shared-limiter.ts';
import { addressKey } from './client-address.ts';

export interface DetectGuardOptions {
  /** Requests per address per minute for visitors without a researcher session. */
  perMinute?: number;
  /** Forward passes running at once. */
  concurrent?: number;
  /** Requests waiting for a pass before new ones get 503. */
  queue?: number;
  isResearcher?: (req: Request) => Promise<boolean>;
}

export const DETECT_OFF = 'the detector demo is off on this server (start it with --detect to serve /api/detect)';

export function detectOff(_req: Request, res: Response): void {
  res.status(404).json({ error: DETECT_OFF });
}

export function detectGuard(opts: DetectGuardOptions = {}): RequestHandler {
  const perAddress = sharedLimiter({ keyPrefix: 'detect', points: opts.perMinute ?? 20, duration: 60 });
  const concurrent = opts.concurrent ?? 2;
  const maxQueue = opts.queue ?? 8;
  let running = 0;
  const waiting: { start: () => void }[] = [];

  const startNext = () => {
    while (running < concurrent && waiting.length > 0) waiting.shift()!.start();
  };

  return async (req: Request, res: Response, next: NextFunction) => {
    if (!(await opts.isResearcher?.(req))) {
      try {
        await perAddress.consume(addressKey(req.ip ?? req.socket.remoteAddress ?? '?'));
      } catch (r) {
        const wait = r instanceof RateLimiterRes ? r.msBeforeNext : 60_000;
        res.setHeader('Retry-After', String(Math.ceil(wait / 1000)));
        res.status(429).json({ error: 'too many detector requests from this address; try again later' });
        return;
      }
    }
    if (running >= concurrent && waiting.length >= maxQueue) {
      res.setHeader('Retry-After', '5');
      res.status(503).json({ error: 'the detector is busy; try again in a few seconds' });
      return;
    }
    let state: 'queued' | 'running' | 'done' = 'queued';
    const entry = {
      start: () => {
        state = 'running';
        running++;
        next();
      },
    };
    const finish = () => {
      if (state === 'running') running--;
      else if (state === 'queued') waiting.splice(waiting.indexOf(entry), 1);
      state = 'done';
      startNext();
    };
    res.once('finish', finish);
    res.once('close', finish);
    waiting.push(entry);
    startNext();
  };
}
