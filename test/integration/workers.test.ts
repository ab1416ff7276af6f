// `serve --workers 3`: three server processes behind one port with sticky
// sessions, on one SQLite database (real processes, socket.io-client over loopback).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startServeProcess } from '../e2e/helpers/serve-process.ts';
import { miniProtocol, tempDir, writeStudy } from '../engine/helpers.ts';
import { joinAs, once, type Client } from './helpers.ts';

test('a takeover across processes: the first tab, on another worker, is told why and closed', async () => {
  const tmp = tempDir();
  const p = miniProtocol();
  p.id = 'tabs';
  const file = writeStudy(tmp.dir, p);
  const server = await startServeProcess({ port: 0, db: join(tmp.dir, 'tabs.db'), study: file, workers: 3, args: ['--join-limit-exempt', '127.0.0.1'] });
  const sockets: Client[] = [];
  try {
    assert.equal(server.workerPids.length, 3);
    for (const pid of ['TAB-1', 'TAB-2', 'TAB-3']) {
      // The primary gives each new connection to the worker with the fewest: the first tab holds one
      // worker's only connection, so the second lands on another worker.
      const first = await joinAs(server.url, 'tabs', pid);
      sockets.push(first.socket);
      const told = once<{ message: string }>(first.socket, 'takeover');
      const closed = once<string>(first.socket, 'disconnect');
      closed.catch(() => {}); // awaited below, after the takeover message
      const second = await joinAs(server.url, 'tabs', pid);
      sockets.push(second.socket);
      assert.equal(second.participantId, first.participantId);
      assert.match((await told).message, /another tab/);
      assert.equal(await closed, 'io server disconnect');
      assert.equal(second.page.index, first.page.index);
      second.socket.disconnect();
    }
  } finally {
    for (const s of sockets) s.disconnect();
    await server.stop();
    tmp.cleanup();
  }
});
