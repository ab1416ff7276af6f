// close() returns promptly while a keep-alive HTTP client and a live socket.io
// participant are still connected (a browser left open must not hang a restart).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { io } from 'socket.io-client';
import { startServer } from '../../server/http/server.ts';
import { TEST_ENGINES } from '../helpers/engines.ts';

// On each engine: on PostgreSQL close() also ends the store's pool and the adapter's LISTEN connection.
for (const on of TEST_ENGINES) describe(`close on ${on.name}`, () => {
  test('close() with a keep-alive HTTP connection and a connected participant', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'credence-close-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const server = await startServer({ port: 0, db: await on.newDb(dir, 'db.sqlite'), studies: ['test/engine/fixtures/mini.yaml'] });
    const agent = new http.Agent({ keepAlive: true });
    t.after(() => agent.destroy());
    await new Promise<void>((ok, no) => http.get(`${server.url}/healthz`, { agent }, (r) => { r.resume(); r.on('end', ok); }).on('error', no));
    const sock = io(server.url, { auth: { study: 'mini' }, transports: ['websocket'], reconnection: false });
    t.after(() => sock.close());
    await new Promise((ok) => sock.once('page', ok));

    let timer: NodeJS.Timeout | undefined;
    const hung = new Promise<never>((_, no) => { timer = setTimeout(() => no(new Error('close() still waiting after 5 s')), 5000); });
    const dropped = new Promise<string>((ok) => sock.once('disconnect', (reason) => ok(reason)));
    await Promise.race([server.close(), hung]);
    clearTimeout(timer);
    // The participant is told the server went away (and would reconnect to the next one).
    assert.equal(await dropped, 'io server disconnect');
  });
});
