// The anchor of the participants benchmark: a bare socket.io server that
// acknowledges every `submit` at once, with the same transport settings as
// credence. Run as a child process: prints "listening <port>".
import { createServer } from 'node:http';
import { Server } from 'socket.io';
import type { AddressInfo } from 'node:net';
import { MAX_EVENT_BYTES } from '../../studies/vocabulary/participant-wire.ts';

const http = createServer();
const io = new Server(http, { maxHttpBufferSize: 4 * MAX_EVENT_BYTES, serveClient: false, pingInterval: 10_000, pingTimeout: 10_000 });
io.on('connection', (socket) => {
  socket.emit('joined', { token: 'echo', participantId: socket.id, preview: false });
  socket.on('submit', (_payload: unknown, ack: unknown) => {
    if (typeof ack === 'function') ack({ ok: true });
  });
});
http.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => {
  console.log(`listening ${(http.address() as AddressInfo).port}`);
});
process.on('SIGTERM', () => io.close(() => process.exit(0)));
