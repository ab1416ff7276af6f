// What every HTTP and realtime edge gets: the store, the engine, the socket.io
// server and where things live. Mount functions (mountAdmin, mountDetect,
// participant routes) receive this and nothing global.
import type { IncomingMessage } from 'node:http';
import type { Server as IoServer } from 'socket.io';
import type { Store } from '../store/store.ts';
import type { Engine } from '../engine/engine.ts';
import type { TrustProxy } from './client-address.ts';

export interface AppContext {
  store: Store;
  engine: Engine;
  io: IoServer;
  /** The database: a SQLite file or a postgres:// URL (every command that reads it takes the same --db). */
  db: string;
  /** Where imported/generated files and models live (default `data/`). */
  dataDir: string;
  /** Where the study YAML files are (default `studies/`). */
  studiesDir: string;
  /**
   * Set by the researcher area (mountAdmin): whether a request (HTTP or the
   * socket.io handshake) carries a valid researcher session. Preview joins are
   * refused while this is unset or returns false.
   */
  isResearcher?: (req: IncomingMessage) => Promise<boolean>;
  /** Which proxies' X-Forwarded-For/-Proto to believe (`--trust-proxy`); default none. */
  trustProxy?: TrustProxy;
  /** The client's address of a request (HTTP or socket.io handshake), as trustProxy allows. */
  clientAddress?: (req: IncomingMessage) => string;
  /** Serve /api/detect (`--detect`); off by default. */
  detect?: boolean;
}
