// Which socket.io adapter carries broadcasts between the server's processes.
// One process needs none (socket.io's in-memory adapter). Several workers on
// one machine (`serve --workers N`) talk through node's cluster channel
// (@socket.io/cluster-adapter, the primary relays); the participant edge
// addresses a participant by a room named after them, so a takeover, a
// deadline's next page or a disconnect reaches their socket whichever process
// holds it.
import type { Server as IoServer } from 'socket.io';
import { createAdapter as clusterAdapter } from '@socket.io/cluster-adapter';
import { setupWorker } from '@socket.io/sticky';

export type AdapterKind = 'memory' | 'cluster';

/** The adapter for a server: the cluster one inside a `--workers` worker, else in-memory. */
export function adapterKind(opts: { clusterWorker: boolean }): AdapterKind {
  return opts.clusterWorker ? 'cluster' : 'memory';
}

/**
 * Wires the adapter into io. In a cluster worker the primary owns the port
 * (sticky sessions, cluster.ts) and hands connections over; this worker's HTTP
 * server never listens itself.
 */
export function useAdapter(io: IoServer, kind: AdapterKind): void {
  if (kind === 'memory') return;
  io.adapter(clusterAdapter());
  setupWorker(io);
}

/** The room of a participant's sockets, on every process. */
export const participantRoom = (participantId: string): string => `participant:${participantId}`;
