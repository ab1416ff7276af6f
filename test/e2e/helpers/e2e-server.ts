// The real server for end-to-end tests: startServer on 127.0.0.1 port 0, a
// temp SQLite file, and only the fixture protocols of test/e2e/fixtures.
import { after, before } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer, type RunningServer } from '../../../server/http/server.ts';
import { launchChromium, type Browser } from './chromium.ts';

export const FIXTURES = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');

export interface E2eServer extends RunningServer {
  dir: string;
}

export async function startE2eServer(studies: string[]): Promise<E2eServer> {
  const dir = mkdtempSync(join(tmpdir(), 'credence-e2e-'));
  const logs: string[] = [];
  const srv = await startServer({
    port: 0,
    host: '127.0.0.1',
    db: join(dir, 'e2e.sqlite'),
    studiesDir: FIXTURES,
    dataDir: join(dir, 'data'),
    studies: studies.map((s) => join(FIXTURES, `${s}.yaml`)),
    log: (m) => logs.push(m),
  });
  return {
    ...srv,
    dir,
    async close() {
      try {
        await srv.close();
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
      if (logs.some((l) => l.startsWith('error'))) throw new Error(`server logged errors:\n${logs.join('\n')}`);
    },
  };
}

/**
 * A test file's server and browser: started before its tests, closed after
 * them. The fields are set once `before` has run.
 */
export function e2eSuite(studies: string[], viewport?: { width: number; height: number }): { srv: E2eServer; browser: Browser } {
  const suite = {} as { srv: E2eServer; browser: Browser };
  before(async () => {
    suite.srv = await startE2eServer(studies);
    suite.browser = await launchChromium(viewport);
  });
  after(async () => {
    await suite.browser?.close();
    await suite.srv?.close();
  });
  return suite;
}
