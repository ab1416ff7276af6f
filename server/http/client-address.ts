// Whose address a request comes from. Behind a reverse proxy (HTTPS is always a
// proxy's job) every request arrives from the proxy; the client's own address is
// read from X-Forwarded-For only when the operator said which proxies to trust
// (`--trust-proxy`), never by default, or anyone could claim any address. The
// same rule serves express (req.ip, login limits, logs) and the socket.io
// handshake (per-address join limits).
import type { IncomingMessage } from 'node:http';
import proxyaddr from 'proxy-addr';

/**
 * `--trust-proxy` as given: false (default) trusts nobody; a number trusts that
 * many hops; otherwise addresses, subnets or express's names (loopback,
 * linklocal, uniquelocal), comma-separated.
 */
export type TrustProxy = boolean | number | string;

/** Parses the command-line/config value; `true` (the bare flag) means a proxy on this machine. */
export function parseTrustProxy(value: unknown): TrustProxy {
  if (value === undefined || value === false || value === 'false' || value === '') return false;
  if (value === true || value === 'true') return 'loopback';
  if (typeof value === 'number' || /^\d+$/.test(String(value))) {
    const hops = Number(value);
    if (!Number.isInteger(hops) || hops < 0) throw new Error(`--trust-proxy: expected a hop count, addresses or 'loopback', got '${value}'`);
    return hops;
  }
  const list = String(value).split(',').map((s) => s.trim()).filter(Boolean);
  try {
    proxyaddr.compile(list);
  } catch (err) {
    throw new Error(`--trust-proxy: ${(err as Error).message} (expected a hop count, addresses/subnets, or loopback|linklocal|uniquelocal)`);
  }
  return list.join(',');
}

/** The trust rule as a function of (address, hop index), for express's 'trust proxy' setting and proxy-addr. */
export function trustFunction(trust: TrustProxy): (addr: string, i: number) => boolean {
  if (trust === false) return () => false;
  if (trust === true) return () => true;
  if (typeof trust === 'number') return (_a, i) => i < trust;
  return proxyaddr.compile(trust.split(',').map((s) => s.trim()));
}

/** The client's address of a raw request (express, or a socket.io handshake's request), as the trust setting allows. */
export function clientAddressOf(trust: TrustProxy): (req: IncomingMessage) => string {
  const fn = trustFunction(trust);
  return (req) => {
    try {
      return proxyaddr(req, fn);
    } catch {
      return req.socket?.remoteAddress ?? '?';
    }
  };
}

/**
 * The key that per-address limits count by: an IPv4 address as it is, an IPv6
 * address by its /64 (one customer's network: a host picks any address in it at
 * will), and an IPv4-mapped IPv6 address as the IPv4 address.
 */
export function addressKey(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1];
  if (!address.includes(':')) return address;
  const [head, tail = ''] = address.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = address.includes('::') ? [...left, ...Array(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right] : left;
  return `${groups.slice(0, 4).map((g) => (parseInt(g, 16) || 0).toString(16)).join(':')}::/64`;
}
