// Security headers on every HTTP response (helmet), express's and socket.io's: a strict Content-Security-
// Policy for the participant pages (scripts only from this origin, no framing,
// no plugins), nosniff, a referrer policy, and HSTS only when the request came
// over HTTPS (directly, or through a trusted proxy that says so): a plain-HTTP
// laptop study must not pin a browser to HTTPS. Researcher pages replace the CSP
// with their own (app-page.ts, login-page.ts).
import type { NextFunction, Request, Response, RequestHandler } from 'express';
import helmet from 'helmet';
import type { IncomingMessage, ServerResponse } from 'node:http';

export const PARTICIPANT_CSP_DIRECTIVES = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  // The page shell has one <style>; lit falls back to <style> elements where adoptedStyleSheets are missing.
  styleSrc: ["'self'", "'unsafe-inline'"],
  imgSrc: ["'self'", 'data:'],
  // socket.io: same origin over HTTP(S) and WebSocket.
  connectSrc: ["'self'"],
  fontSrc: ["'self'"],
  objectSrc: ["'none'"],
  baseUri: ["'none'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
  upgradeInsecureRequests: null,
};

const HSTS = 'max-age=31536000; includeSubDomains';

function helmetHeaders() {
  return helmet({
    contentSecurityPolicy: { useDefaults: false, directives: PARTICIPANT_CSP_DIRECTIVES },
    referrerPolicy: { policy: 'no-referrer' },
    // Set by securityHeaders, only over HTTPS.
    strictTransportSecurity: false,
    // The participant page loads nothing from elsewhere; keep others from embedding our responses.
    crossOriginResourcePolicy: { policy: 'same-origin' },
  });
}

/**
 * The same headers on socket.io's own HTTP answers (the polling transport, and
 * its refusals of bad handshakes), which engine.io writes before express ever
 * sees the request: applied to the raw response first, engine.io's own headers
 * are added to them.
 */
export function rawSecurityHeaders(): (req: IncomingMessage, res: ServerResponse) => void {
  const apply = helmetHeaders();
  return (req, res) =>
    apply(req, res, (err?: unknown) => {
      if (err) throw err;
    });
}

export function securityHeaders(): RequestHandler[] {
  return [
    helmetHeaders(),
    (req: Request, res: Response, next: NextFunction) => {
      // req.secure honours --trust-proxy's X-Forwarded-Proto.
      if (req.secure) res.setHeader('Strict-Transport-Security', HSTS);
      next();
    },
  ];
}
