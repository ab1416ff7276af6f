// The one error edge of the HTTP server. Clients get a status and a short
// message with a request id, never a stack trace or a path on this machine
// (Express's default error page shows both). The server log gets one line per
// bad request, rate limited so that a flood of bad URLs cannot flood the log.
import { randomBytes } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';

export const REQUEST_ID_HEADER = 'X-Request-Id';

/** Gives every request an id, sent back in X-Request-Id and in error replies, so a report can be matched to the log. */
export function requestId(_req: Request, res: Response, next: NextFunction): void {
  const id = randomBytes(6).toString('hex');
  res.locals.requestId = id;
  res.setHeader(REQUEST_ID_HEADER, id);
  next();
}

const SHORT: Record<number, string> = {
  400: 'bad request',
  403: 'forbidden',
  404: 'not found',
  405: 'method not allowed',
  413: 'request body too large',
  415: 'unsupported content type or charset',
  431: 'request headers too large',
};

/** At most `burst` log lines per `windowMs`; the rest are counted and reported in one line. */
export function rateLimitedLog(log: (line: string) => void, burst = 20, windowMs = 10_000): (line: string) => void {
  let windowStart = 0;
  let lines = 0;
  let dropped = 0;
  return (line) => {
    const now = Date.now();
    if (now - windowStart >= windowMs) {
      if (dropped > 0) log(`(${dropped} more bad-request lines were not logged in the last ${Math.round(windowMs / 1000)} s)`);
      windowStart = now;
      lines = 0;
      dropped = 0;
    }
    if (lines < burst) {
      lines++;
      log(line);
    } else dropped++;
  };
}

interface HttpishError {
  status?: number;
  statusCode?: number;
  type?: string;
  message?: string;
  expose?: boolean;
}

/** Status and the message a client may see for an error thrown anywhere in the app. */
export function classify(err: unknown): { status: number; message: string; field?: string } {
  const e = (err ?? {}) as HttpishError;
  // body-parser: the client's own body, so its parse message is safe and useful.
  if (e.type === 'entity.parse.failed') return { status: 400, message: `body: not valid JSON (${String(e.message).slice(0, 200)})`, field: 'body' };
  if (e.type === 'entity.too.large') return { status: 413, message: 'body: too large', field: 'body' };
  if (e.type === 'charset.unsupported' || e.type === 'encoding.unsupported') return { status: 415, message: `body: ${String(e.message).slice(0, 100)}`, field: 'body' };
  // A %-escape that does not decode (in the path or a route parameter).
  if (err instanceof URIError) return { status: 400, message: 'malformed URL: a %-escape does not decode' };
  const status = Number(e.status ?? e.statusCode);
  if (Number.isInteger(status) && status >= 400 && status < 500) {
    return { status, message: status === 400 && /decode/i.test(String(e.message)) ? 'malformed URL: a %-escape does not decode' : (SHORT[status] ?? 'bad request') };
  }
  return { status: 500, message: 'internal error' };
}

const wantsJson = (req: Request) => req.path.startsWith('/api/') || (req.headers.accept ?? '').includes('application/json');

function reply(req: Request, res: Response, status: number, message: string, field?: string): void {
  const id = String(res.locals.requestId ?? '');
  res.status(status).setHeader('Cache-Control', 'no-store');
  if (wantsJson(req)) res.json({ error: message, ...(field ? { field } : {}), requestId: id });
  else res.type('text/plain').send(`${message} (request ${id})\n`);
}

/** The last middleware: what no route answered is 404, without echoing the path as HTML. */
export function notFound(req: Request, res: Response): void {
  reply(req, res, 404, 'not found');
}

/** The last error middleware of the app. */
export function errorHandler(log: (line: string) => void) {
  const limited = rateLimitedLog(log);
  return (err: unknown, req: Request, res: Response, next: NextFunction): void => {
    if (res.headersSent) return next(err);
    const c = classify(err);
    const id = String(res.locals.requestId ?? '-');
    // One line; the stack only for our own failures (5xx), never for a client's bad request.
    const path = req.originalUrl.slice(0, 200).replace(/[\r\n]/g, '');
    if (c.status >= 500) limited(`${id} ${req.method} ${path} -> ${c.status}: ${(err as Error)?.stack ?? String(err)}`);
    else limited(`${id} ${req.method} ${path} -> ${c.status} ${c.message}`);
    reply(req, res, c.status, c.message, c.field);
  };
}
