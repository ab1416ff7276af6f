// A TCP load balancer on loopback, in front of several `serve` processes that
// share one PostgreSQL: each new connection goes to the next backend in turn,
// and a backend that refuses (a killed process) is skipped, as a real balancer's
// health check would. Fine for socket.io's websocket transport (one TCP
// connection per session); polling would need sticky sessions.
import { connect, createServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export interface Balancer {
  url: string;
  close(): Promise<void>;
}

export async function startBalancer(backendPorts: number[]): Promise<Balancer> {
  const open = new Set<Socket>();
  let next = 0;
  const track = (s: Socket) => {
    open.add(s);
    s.once('close', () => open.delete(s));
  };
  const server = createServer((client) => {
    track(client);
    client.pause();
    client.on('error', () => client.destroy());
    const tryBackend = (left: number) => {
      if (left === 0 || client.destroyed) return client.destroy();
      const port = backendPorts[next++ % backendPorts.length];
      const backend = connect({ port, host: '127.0.0.1' });
      track(backend);
      let connected = false;
      backend.on('error', () => {
        backend.destroy();
        // Refused: the next backend. Dropped later (the process died): the client's connection ends with it, and it reconnects.
        if (!connected) tryBackend(left - 1);
        else client.destroy();
      });
      backend.once('connect', () => {
        connected = true;
        client.on('close', () => backend.destroy());
        backend.on('close', () => client.destroy());
        client.pipe(backend);
        backend.pipe(client);
        client.resume();
      });
    };
    tryBackend(backendPorts.length);
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => ok());
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async close() {
      const closed = new Promise<void>((ok) => server.close(() => ok()));
      for (const s of open) s.destroy();
      await closed;
    },
  };
}
