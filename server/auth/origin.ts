// Same-origin checks for state-changing requests and the admin socket handshake:
// a browser sends Origin (or at least Referer) on cross-site POSTs and WebSocket
// handshakes, so a value naming another site is refused outright. A request with
// neither header (curl, scripts) must still carry the session's CSRF token.
import type { IncomingHttpHeaders } from 'node:http';

function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

/** The origin the request claims to come from, or undefined when it names none. */
export function claimedOrigin(headers: IncomingHttpHeaders): string | undefined {
  const origin = first(headers.origin);
  if (origin !== undefined) return origin;
  const referer = first(headers.referer);
  if (referer === undefined) return undefined;
  try {
    return new URL(referer).origin;
  } catch {
    return 'invalid';
  }
}

/** True when the request names no origin, or one whose host is the host it was sent to. */
export function isSameOrigin(headers: IncomingHttpHeaders): boolean {
  const claimed = claimedOrigin(headers);
  if (claimed === undefined) return true;
  if (claimed === 'null' || claimed === 'invalid') return false;
  const host = first(headers['x-forwarded-host'])?.split(',')[0].trim() ?? first(headers.host);
  if (!host) return false;
  try {
    return new URL(claimed).host.toLowerCase() === host.toLowerCase();
  } catch {
    return false;
  }
}
