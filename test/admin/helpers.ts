// Shared by the researcher-area tests: a real server on 127.0.0.1 with a temp
// database (a SQLite file, or the PostgreSQL URL given) and the admin-demo study, and a researcher logged in over real HTTP.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer, type RunningServer, type StartOptions } from '../../server/http/server.ts';
import { ensureAdminAccount } from '../../server/auth/index.ts';
import type { Store } from '../../server/store/store.ts';
import type { PlannedPage } from '../../studies/vocabulary/pages.ts';

export const FIXTURE = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'admin-demo.yaml');
export const STUDY = 'admin-demo';

export interface TestServer {
  server: RunningServer;
  url: string;
  password: string;
  dir: string;
  close(): Promise<void>;
}

/** The fixture protocol, with the slot TTL changed when asked (short TTLs make abandonment visible in a test). */
export function fixtureText(opts: { ttlMinutes?: number } = {}): string {
  const text = readFileSync(FIXTURE, 'utf8');
  return opts.ttlMinutes === undefined ? text : text.replace(/slot_ttl_minutes: \d+/, `slot_ttl_minutes: ${opts.ttlMinutes}`);
}

export async function startTestServer(
  opts: { ttlMinutes?: number; account?: boolean; log?: (line: string) => void; server?: Pick<StartOptions, 'trustProxy' | 'detect'>; db?: string } = {},
): Promise<TestServer> {
  const dir = mkdtempSync(join(tmpdir(), 'credence-admin-'));
  const studiesDir = join(dir, 'studies');
  mkdirSync(studiesDir);
  writeFileSync(join(studiesDir, 'admin-demo.yaml'), fixtureText(opts));
  const server = await startServer({ port: 0, db: opts.db ?? join(dir, 'test.db'), studiesDir, dataDir: join(dir, 'data'), log: opts.log ?? (() => {}), ...opts.server });
  const { password } = opts.account === false ? { password: '' } : await ensureAdminAccount(server.ctx, {});
  if (password === undefined) throw new Error('a fresh database should yield a generated password');
  return {
    server,
    url: server.url,
    password,
    dir,
    async close() {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface Researcher {
  cookie: string;
  csrf: string;
}

/** The Set-Cookie header's `name=value` part for the session cookie. */
export function sessionCookieOf(res: Response): string | undefined {
  const all = res.headers.getSetCookie();
  const c = all.find((h) => h.startsWith('credence_admin='));
  return c?.split(';')[0];
}

export async function login(url: string, username: string, password: string): Promise<Researcher> {
  const res = await fetch(`${url}/api/admin/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  if (res.status !== 200) throw new Error(`login failed: HTTP ${res.status} ${await res.text()}`);
  const body = (await res.json()) as { csrfToken: string };
  const cookie = sessionCookieOf(res);
  if (!cookie) throw new Error('login set no session cookie');
  return { cookie, csrf: body.csrfToken };
}

export function asResearcher(r: Researcher, init: RequestInit = {}, csrf = true): RequestInit {
  const headers = new Headers(init.headers);
  headers.set('cookie', r.cookie);
  if (csrf) headers.set('x-csrf-token', r.csrf);
  return { ...init, headers, redirect: 'manual' };
}

/**
 * A participant written straight into the store (no socket), on one page of the
 * given plan, for tests that need many stored rows or hostile stored values.
 */
export async function storedParticipant(
  store: Store,
  who: { tokenHash: string; prolificPid: string; prolificStudyId?: string | null; prolificSessionId?: string | null },
  page: PlannedPage,
  now = Date.now(),
): Promise<string> {
  const made = await store.createParticipant({
    studyId: STUDY,
    version: (await store.studyVersion(STUDY))!.version,
    tokenHash: who.tokenHash,
    prolificPid: who.prolificPid,
    prolificStudyId: who.prolificStudyId ?? null,
    prolificSessionId: who.prolificSessionId ?? null,
    now,
    studyLimitMs: null,
    choose: () => ({ condition: 'human', seed: 1, plan: [page], deadlineAt: null }),
  });
  if (!('participant' in made)) throw new Error(`the store refused the test participant: ${JSON.stringify(made)}`);
  return made.participant.id;
}
