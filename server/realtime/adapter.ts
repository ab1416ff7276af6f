// Which socket.io adapter carries broadcasts between the server's processes.
// One process on SQLite needs none (socket.io's in-memory adapter). Several
// workers on one machine (`serve --workers N` on SQLite) talk through node's
// cluster channel (@socket.io/cluster-adapter, the primary relays). On
// PostgreSQL every server process — a lone `serve` on another machine or port,
// or each worker of `serve --workers N` — is a node of socket.io's PostgreSQL
// adapter (LISTEN/NOTIFY on the database they share, postgres-link.ts): one
// path whether the processes share a machine or not, no cluster primary in the
// way, and nothing to run beside the database. (The adapter's own cluster
// primary mode is not used: it relays every message on the cluster channel,
// sticky sessions' and the rate limiter's included.) The participant edge
// addresses a participant by a room named after them, so a deadline's next
// page reaches their socket whichever process holds it; a takeover is one
// server-side message that each process acts on locally (participants.ts).
import type { Server as IoServer } from 'socket.io';
import { createAdapter as clusterAdapter } from '@socket.io/cluster-adapter';
import { createAdapter as postgresAdapter } from '@socket.io/postgres-adapter';
import { setupWorker } from '@socket.io/sticky';
import { ADAPTER_TABLE, type PostgresLink } from './postgres-link.ts';

export type AdapterKind = 'memory' | 'cluster' | 'postgres';

/** The adapter for a server: PostgreSQL's when the store is PostgreSQL, else the cluster one inside a `--workers` worker, else in-memory. */
export function adapterKind(opts: { clusterWorker: boolean; postgres: boolean }): AdapterKind {
  if (opts.postgres) return 'postgres';
  return opts.clusterWorker ? 'cluster' : 'memory';
}

/**
 * Wires the adapter into io. In a cluster worker the primary owns the port
 * (sticky sessions, cluster.ts) and hands connections over; this worker's HTTP
 * server never listens itself.
 */
export function useAdapter(io: IoServer, kind: AdapterKind, opts: { clusterWorker: boolean; link?: PostgresLink; log: (m: string) => void }): void {
  if (kind === 'cluster') io.adapter(clusterAdapter());
  if (kind === 'postgres') {
    if (!opts.link) throw new Error('the PostgreSQL adapter needs the PostgreSQL link');
    io.adapter(postgresAdapter(opts.link.pool, { tableName: ADAPTER_TABLE, errorHandler: (err: Error) => opts.log(`socket.io PostgreSQL adapter: ${err.message}`) }));
  }
  if (opts.clusterWorker) setupWorker(io);
}

/** The room of a participant's sockets, on every process. */
export const participantRoom = (participantId: string): string => `participant:${participantId}`;
