// Participants benchmark: N concurrent bots against a `credence serve` child
// process, next to a bare socket.io echo server in the same run (the anchor),
// plus the durable-writes anchor (raw better-sqlite3 inserts at the same
// durability against the store's submit path). Stops by itself.
//
//   npx tsx bench/participants.ts [--n 2000[,6000]] [--workers 1[,2]] [--db sqlite[,postgres]|postgres://…] [--pg-tcp] [--think 2000-6000] [--ramp 20000] [--durable 1000] [--limit 300] [--server-prof DIR] [--no-echo]
//
// --n, --workers and --db take lists: every participant count runs the echo
// anchor once and `credence serve --workers W` for every W on every database,
// and the table compares them (issue 15: 2 workers ≥ 1.6× the acks/s of 1
// worker at saturation; PostgreSQL ≥ 0.7× SQLite's acks/s at 1 worker). The
// bots run in this process, not the server's; the table says how much CPU they
// took. `postgres` starts a throwaway PostgreSQL (test/helpers/postgres.ts, the
// tests' harness, with fsync on: SQLite syncs too); a postgres:// URL uses that
// server instead (it must allow CREATE DATABASE: each run gets a fresh one).
// The throwaway server is reached over its Unix socket, as a PostgreSQL on the
// same machine usually is (--pg-tcp: over TCP on loopback, as from another machine).
// Every run gets a fresh database, so the runs do not see each other's rows.
// --limit S bounds each configuration to about S seconds: a bot not done by then
// gives up (stuck), and the row says the configuration hit its limit, so one
// collapsing configuration cannot keep the rest of the table from printing.
//
//   npx tsx bench/participants.ts --n 2000,6000 --workers 1,2 --db sqlite,postgres   (the issue-15 table)
//
// --server-prof DIR writes a V8 CPU profile of the credence server into DIR
// (open it in Chrome DevTools) to see where the ack latency goes.
//
// Targets: 2,000 concurrent participants, p99 ack < 100 ms, 0 lost;
// durable writes ≥ 0.5× raw inserts.
//
// With the limits on (issue 13): the server runs with no --join-limit-exempt, so
// the per-address limit on new participants (the study's default
// design.joins_per_address, 20 per 10 minutes) is counted on every join. The bots
// connect from as many loopback addresses (127.0.1.x: all of 127/8 is this
// machine) as that limit needs, as people arrive from their own networks, and
// afterwards one more new participant from a full address must be refused.
import { randomBytes } from 'node:crypto';
import { ADMIN_PASSWORD_ENV, ADMIN_USERNAME } from '../server/auth/index.ts';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ackedStorage, openReader } from '../test/helpers/db-reader.ts';
import { startTestPostgres, type TestPostgres } from '../test/helpers/postgres.ts';
import { isPostgresUrl } from '../server/store/open.ts';
import { loadStudy } from '../studies/load.ts';
import { runBots, percentile } from '../server/bots/run.ts';
import { echoLoad } from './participants/echo-load.ts';
import { runBot } from '../server/bots/bot.ts';
import { createRng } from '../studies/random.ts';
import type { Protocol } from '../studies/protocol.ts';
import { measureDurableWrites } from './participants/durable-writes.ts';

const ROOT = resolve(import.meta.dirname, '..');
const STUDY = join(ROOT, 'bench', 'participants', 'bench.yaml');

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

const list = (name: string, fallback: string) => arg(name, fallback).split(',').map(Number);
const counts = list('n', '2000');
const workerCounts = list('workers', '1');
const dbKinds = arg('db', 'sqlite').split(',');
const [thinkLo, thinkHi] = arg('think', '2000-6000').split('-').map(Number);
const rampMs = Number(arg('ramp', '20000'));
const durableN = Number(arg('durable', '1000'));
const serverProf = arg('server-prof', '');
const limitS = Number(arg('limit', '300'));
if (!dbKinds.every((d) => d === 'sqlite' || d === 'postgres' || isPostgresUrl(d)) || !counts.every((n) => n > 0) || !workerCounts.every((w) => Number.isInteger(w) && w >= 1) || !(thinkHi >= thinkLo) || !(rampMs >= 0) || !(limitS * 1000 > rampMs)) {
  console.error('usage: npx tsx bench/participants.ts [--n 2000[,6000]] [--workers 1[,2]] [--db sqlite[,postgres]|postgres://…] [--pg-tcp] [--think 2000-6000] [--ramp 20000] [--durable 1000] [--limit 300] [--server-prof DIR] [--no-echo]');
  process.exit(2);
}

/**
 * Where the slow acks are: the consents (page 0, which count and take the study's places) against the other
 * answers, the arrivals' ramp against afterwards, and the seconds of the run that held most of the acks over 100 ms.
 */
function whereTheTailIs(results: { ackMs: number[]; ackPage: number[]; ackAt: number[] }[], tStart: number, ramp: number): string {
  const acks = results.flatMap((r) => r.ackMs.map((ms, i) => ({ ms, page: r.ackPage[i], s: (r.ackAt[i] - tStart) / 1000 })));
  const p99 = (xs: typeof acks) => fmt(percentile(xs.map((x) => x.ms).sort((a, b) => a - b), 0.99));
  const slow = acks.filter((a) => a.ms > 100);
  const bySecond = new Map<number, number>();
  for (const a of slow) bySecond.set(Math.floor(a.s), (bySecond.get(Math.floor(a.s)) ?? 0) + 1);
  const worst = [...bySecond].sort((a, b) => b[1] - a[1]).slice(0, 5).map(([s, k]) => `${k} at ${s} s`).join(', ');
  const [consents, others] = [acks.filter((a) => a.page === 0), acks.filter((a) => a.page !== 0)];
  const [during, after] = [acks.filter((a) => a.s * 1000 < ramp), acks.filter((a) => a.s * 1000 >= ramp)];
  return `where the tail is: p99 consents ${p99(consents)} ms (${consents.length}), other answers ${p99(others)} ms; during the ${ramp / 1000} s of arrivals ${p99(during)} ms, after ${p99(after)} ms; ${slow.length} acks over 100 ms${worst ? `, most in one second: ${worst}` : ''}`;
}

const BENCH_PASSWORD = randomBytes(12).toString('base64url');

/** The server's own submit latency, read as the researcher (a /healthz says only ok). */
async function serverStats(url: string): Promise<{ submits: { p50Ms: number; p99Ms: number; maxBatch: number; commitP99Ms: number; syncP99Ms: number; walResets?: number; walHoldMaxMs?: number } }> {
  const login = await fetch(`${url}/api/admin/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: ADMIN_USERNAME, password: BENCH_PASSWORD }) });
  if (!login.ok) throw new Error(`bench: researcher login failed (${login.status})`);
  const cookie = login.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  return (await fetch(`${url}/api/admin/health`, { headers: { cookie } })).json();
}

function child(args: string[], ready: RegExp, nodeFlags: string[] = []): Promise<{ proc: ChildProcess; match: RegExpMatchArray }> {
  const proc = spawn(process.execPath, [...nodeFlags, '--import', 'tsx', ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    // The server's statistics are behind the researcher login (/api/admin/health).
    env: { ...process.env, [ADMIN_PASSWORD_ENV]: BENCH_PASSWORD },
  });
  return new Promise((ok, fail) => {
    let out = '';
    const t = setTimeout(() => fail(new Error(`child did not start: ${out}`)), 60_000);
    const onData = (d: Buffer) => {
      out += d;
      const m = out.match(ready);
      if (m) {
        clearTimeout(t);
        ok({ proc, match: m });
      }
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', (d) => (out += d));
    proc.once('exit', (code) => fail(new Error(`child exited ${code}: ${out}`)));
  });
}

async function stop(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null) return;
  const exited = new Promise((r) => proc.once('exit', r));
  proc.kill('SIGTERM');
  await exited;
}

/** k distinct loopback addresses, 127.0.1.1 upward (250 per third octet). */
function loopbackAddresses(k: number): string[] {
  return Array.from({ length: k }, (_, i) => `127.0.${1 + Math.floor(i / 250)}.${1 + (i % 250)}`);
}

/** A new participant from an address whose budget the bots used up: the limiter must refuse it. */
async function oneMoreJoin(url: string, protocol: Protocol, localAddress: string): Promise<string> {
  const pid = `limit-check-${randomBytes(4).toString('hex')}`;
  const r = await runBot({ url, study: protocol.id, protocol, pid, profile: 'attentive', rng: createRng(1), localAddress, maxMs: 10_000 });
  return r.outcome === 'refused' ? `refused (${r.refusedReason})` : `NOT refused (${r.outcome}): the limit did not hold`;
}

const fmt = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : 'n/a');
const tmp = mkdtempSync(join(tmpdir(), 'credence-bench-'));
const children: ChildProcess[] = [];

/** CPU seconds a process and its children (a primary's workers) used so far, from /proc (Linux). */
function cpuSeconds(pid: number): number {
  const ticks = 100; // USER_HZ on Linux
  let total = 0;
  const walk = (id: number) => {
    try {
      const stat = readFileSync(`/proc/${id}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // utime, stime, and cutime, cstime: the children it reaped (PostgreSQL's backends whose connections closed mid-run).
      total += (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / ticks;
      for (const c of readFileSync(`/proc/${id}/task/${id}/children`, 'utf8').trim().split(/\s+/).filter(Boolean)) walk(Number(c));
    } catch {
      // gone, or not Linux
    }
  };
  walk(pid);
  return total;
}

interface Row {
  n: number;
  label: string;
  /** The credence runs' database and worker count (the echo has neither). */
  engine?: 'sqlite' | 'postgres';
  workers?: number;
  p50: number;
  p99: number;
  /** The server's own submit latency (receipt → durable commit); with workers, one worker's. */
  serverP99: number | null;
  acks: number;
  acksPerS: number;
  /** Acked but missing from the database. */
  lost: number | null;
  /** Stored more than once (the echo stores nothing). */
  twice: number | null;
  botsCpu: number;
  serverCpu: number | null;
  /** PostgreSQL's own processes (the server the harness started), cores. */
  dbCpu: number | null;
  limits?: boolean;
  /** Why the figures are partial: the time limit was hit, or the run failed. */
  note?: string;
}

const pages = 16; // consent, instructions, 12 trials, questionnaire, debrief
const rows: Row[] = [];

async function echoRun(n: number): Promise<Row> {
  const echo = await child(['bench/participants/echo-server.ts', '0'], /listening (\d+)/);
  children.push(echo.proc);
  const cpu0 = process.cpuUsage();
  const s0 = cpuSeconds(echo.proc.pid!);
  const e = await echoLoad({ url: `http://127.0.0.1:${echo.match[1]}`, n, pages, thinkMs: [thinkLo, thinkHi], rampMs });
  const serverCpu = cpuSeconds(echo.proc.pid!) - s0;
  const cpu = process.cpuUsage(cpu0);
  await stop(echo.proc);
  const acks = e.ackMs.sort((a, b) => a - b);
  return {
    n,
    label: 'socket.io echo',
    p50: percentile(acks, 0.5),
    p99: percentile(acks, 0.99),
    serverP99: null,
    acks: acks.length,
    acksPerS: (acks.length / e.durationMs) * 1000,
    lost: e.failed,
    twice: null,
    botsCpu: (cpu.user + cpu.system) / 1e3 / e.durationMs,
    serverCpu: (serverCpu * 1000) / e.durationMs,
    dbCpu: null,
  };
}

/** The PostgreSQL server the runs on `postgres` share (started on first use), or the one a URL names. */
const pgServers = new Map<string, Promise<TestPostgres>>();
function pgServer(kind: string): Promise<TestPostgres> {
  let s = pgServers.get(kind);
  if (!s) {
    s = startTestPostgres(kind === 'postgres' ? { durable: true, unixSocket: !process.argv.includes('--pg-tcp') } : { url: kind });
    pgServers.set(kind, s);
  }
  return s;
}

const engineName = (kind: string) => (kind === 'sqlite' ? 'sqlite' : 'postgres');

/** A fresh database for one run: a file, or a new database on the PostgreSQL server. */
async function freshDb(kind: string, n: number, workers: number): Promise<{ db: string; pg?: TestPostgres }> {
  if (kind === 'sqlite') return { db: join(tmp, `bench-${n}-${workers}.db`) };
  const pg = await pgServer(kind);
  return { db: await pg.newDatabase(), pg };
}

async function credenceRun(n: number, workers: number, kind: string): Promise<Row> {
  const { db, pg } = await freshDb(kind, n, workers);
  const srv = await child(
    ['server/cli/main.ts', 'serve', '--port', '0', '--db', db, '--study', STUDY, '--workers', String(workers)],
    workers > 1 ? /serving on (http:\/\/\S+)[\s\S]*worker processes/ : /serving on (http:\/\/\S+)/,
    serverProf ? ['--cpu-prof', `--cpu-prof-dir=${resolve(serverProf)}`] : [],
  );
  children.push(srv.proc);
  const protocol = loadStudy(STUDY).protocol;
  const joinLimit = protocol.design.joins_per_address;
  const fromAddresses = loopbackAddresses(Math.ceil(n / joinLimit.limit));
  const label = `${engineName(kind)}, ${workers} worker${workers > 1 ? 's' : ''}`;
  console.log(`${label}, ${n} bots from ${fromAddresses.length} loopback addresses (${fromAddresses[0]}–${fromAddresses.at(-1)}), at most ${joinLimit.limit} each (design.joins_per_address)`);
  const cpu0 = process.cpuUsage();
  const s0 = cpuSeconds(srv.proc.pid!);
  const d0 = pg?.pid ? cpuSeconds(pg.pid) : 0;
  const tStart = performance.now();
  const summary = await runBots({
    url: srv.match[1],
    study: STUDY,
    protocol,
    n,
    concurrency: n,
    thinkMs: [thinkLo, thinkHi],
    rampMs,
    keepResults: true,
    // The configuration's time limit: every bot has arrived after rampMs, and gives up (stuck) by the limit.
    maxMsPerBot: limitS * 1000 - rampMs,
    fromAddresses,
  });
  const serverCpu = cpuSeconds(srv.proc.pid!) - s0;
  const dbCpu = pg?.pid ? cpuSeconds(pg.pid) - d0 : null;
  const cpu = process.cpuUsage(cpu0);
  const limitCheck = await oneMoreJoin(srv.match[1], protocol, fromAddresses[0]);
  // The WAL file's size is its high-water mark: how far the checkpoint worker let it grow.
  const files = kind === 'sqlite' ? { walMB: statSync(`${db}-wal`).size / 1e6, dbMB: statSync(db).size / 1e6 } : undefined;
  // With workers, /api/admin/health answers from whichever worker takes the request: that worker's view.
  // The table does not need them: a failed login says so and the run goes on.
  const inside = await serverStats(srv.match[1]).catch((err: Error) => {
    console.log(`  (the server's own latencies are not available: ${err.message})`);
    return undefined;
  });
  await stop(srv.proc);

  const check = await openReader(db);
  const stored = await ackedStorage(check, summary.results!);
  const [acked, lost, doubled] = [stored.acked, stored.lost.length, stored.twice.length];
  await check.close();
  const cAcks = summary.results!.flatMap((r) => r.ackMs).sort((a, b) => a - b);
  if (inside) console.log(`  inside ${workers > 1 ? 'one worker' : 'the server'} (receipt → durable commit) p50 ${fmt(inside.submits.p50Ms)}  p99 ${fmt(inside.submits.p99Ms)}  largest group commit ${inside.submits.maxBatch}`);
  if (inside) console.log(`    of which: group-commit transaction ${kind === 'sqlite' ? 'on the event loop' : '(PostgreSQL round trips and its commit flush)'} p99 ${fmt(inside.submits.commitP99Ms)}, waiting for its WAL sync p99 ${fmt(inside.submits.syncP99Ms)}`);
  console.log(`  ${whereTheTailIs(summary.results!, tStart, rampMs)}`);
  if (files) {
    const resets = inside?.submits.walResets === undefined ? '' : `; ${inside.submits.walResets} WAL resets, writes held at most ${fmt(inside.submits.walHoldMaxMs ?? 0)} ms for one`;
    console.log(`  database ${fmt(files.dbMB)} MB, WAL high-water ${fmt(files.walMB)} MB (checkpointed off the event loop${resets})`);
  }
  if (dbCpu != null) console.log(`  PostgreSQL's own processes took ${((dbCpu * 1000) / summary.durationMs).toFixed(2)} cores`);
  console.log(`  bots: completed ${summary.completed}/${n}, stuck ${summary.stuck}, refused ${summary.refused}, retries ${summary.retries}, reconnects ${summary.reconnects}`);
  const drops = Object.entries(summary.drops).map(([k, v]) => `${k} ${v}`).join(', ');
  if (drops) console.log(`  dropped connections (bot side): ${drops}`);
  console.log(`  join limit: one more new participant from ${fromAddresses[0]} after the run → ${limitCheck}`);
  console.log(`  responses: ${acked} acknowledged, lost ${lost} (acked but missing from the database), stored twice ${doubled}`);
  if (summary.errors.length) console.log(`  errors (first ${summary.errors.length}):\n    ${summary.errors.join('\n    ')}`);
  console.log('');
  return {
    n,
    label,
    engine: engineName(kind),
    workers,
    p50: percentile(cAcks, 0.5),
    p99: percentile(cAcks, 0.99),
    serverP99: inside ? inside.submits.p99Ms : null,
    acks: cAcks.length,
    acksPerS: (cAcks.length / summary.durationMs) * 1000,
    lost,
    twice: doubled,
    botsCpu: (cpu.user + cpu.system) / 1e3 / summary.durationMs,
    serverCpu: (serverCpu * 1000) / summary.durationMs,
    dbCpu: dbCpu == null ? null : (dbCpu * 1000) / summary.durationMs,
    limits: limitCheck === 'refused (too-many-joins)' && summary.refused === 0,
    note: summary.stuck > 0 ? `time limit ${limitS} s: ${summary.stuck} bots not done` : undefined,
  };
}

try {
  console.log(`participants benchmark: ${counts.join(', ')} bots; credence on ${dbKinds.map(engineName).join(', ')} with ${workerCounts.join(', ')} worker(s); think ${thinkLo}-${thinkHi} ms per page, arrivals over ${rampMs} ms, ${pages} pages each`);
  console.log('(2 shared cores: figures are noisy; compare the ratios within one run)\n');

  const d = await measureDurableWrites(tmp, durableN);
  console.log(`durable writes (${d.n} responses, WAL + synchronous=FULL, one transaction each):`);
  console.log(`  raw better-sqlite3 inserts  ${fmt(d.rawPerS)} /s`);
  console.log(`  store submit path           ${fmt(d.storePerS)} /s   ratio ${d.ratio.toFixed(2)}× (target ≥ 0.5×)`);
  console.log(`  store group commit (20/tx)  ${fmt(d.groupPerS)} /s   (what a busy server does)\n`);

  for (const n of counts) {
    // Echo anchor (--no-echo skips it while tuning the server; the ratios then read n/a).
    if (!process.argv.includes('--no-echo')) rows.push(await echoRun(n));
    for (const kind of dbKinds) {
      for (const w of workerCounts) {
        // A run that fails (a server that dies, a database that will not start) is a row saying so; the table goes on.
        rows.push(
          await credenceRun(n, w, kind).catch((err: Error): Row => {
            console.log(`  ${engineName(kind)}, ${w} worker(s), ${n} bots FAILED: ${err.message.slice(0, 500)}\n`);
            const failed = NaN;
            return { n, label: `${engineName(kind)}, ${w} worker${w > 1 ? 's' : ''}`, engine: engineName(kind), workers: w, p50: failed, p99: failed, serverP99: null, acks: 0, acksPerS: failed, lost: null, twice: null, botsCpu: 0, serverCpu: null, dbCpu: null, note: `failed: ${err.message.split('\n')[0].slice(0, 120)}` };
          }),
        );
        for (const c of children.splice(0)) await stop(c).catch(() => {});
      }
    }
  }

  console.log(`   bots  server                p50 ms   p99 ms  server p99     acks   acks/s   lost  twice   bots CPU  server CPU  PostgreSQL CPU   (bot-side p50/p99; server p99: receipt → durable commit; CPU in cores: 1.00 = one core busy)`);
  for (const r of rows) {
    console.log(
      `${String(r.n).padStart(7)}  ${r.label.padEnd(20)} ${fmt(r.p50).padStart(7)}  ${fmt(r.p99).padStart(7)}  ${(r.serverP99 == null ? 'n/a' : fmt(r.serverP99)).padStart(10)}  ${String(r.acks).padStart(7)}  ${fmt(r.acksPerS).padStart(7)}  ${String(r.lost ?? 'n/a').padStart(5)}  ${String(r.twice ?? 'n/a').padStart(5)}  ${r.botsCpu.toFixed(2).padStart(9)}  ${(r.serverCpu == null ? 'n/a' : r.serverCpu.toFixed(2)).padStart(10)}  ${(r.dbCpu == null ? '' : r.dbCpu.toFixed(2)).padStart(14)}${r.note ? `  (${r.note})` : ''}`,
    );
  }
  console.log('');
  for (const n of counts) {
    const echo = rows.find((r) => r.n === n && r.label === 'socket.io echo');
    const sqliteOne = rows.find((r) => r.n === n && r.engine === 'sqlite' && r.workers === 1);
    for (const r of rows.filter((x) => x.n === n && x.engine)) {
      const one = rows.find((x) => x.n === n && x.engine === r.engine && x.workers === 1);
      const vsEcho = echo ? `p99 ${(r.p99 / echo.p99).toFixed(2)}× the echo's` : 'no echo';
      const vsOne = one && r !== one ? `; acks/s ${(r.acksPerS / one.acksPerS).toFixed(2)}× 1 worker's (target ≥ 1.6×)` : '';
      const vsSqlite = r.engine === 'postgres' && r.workers === 1 && sqliteOne ? `; acks/s ${(r.acksPerS / sqliteOne.acksPerS).toFixed(2)}× SQLite 1 worker's (target ≥ 0.7×)` : '';
      console.log(
        `${n} bots, ${r.label}: ${vsEcho}${vsOne}${vsSqlite}; p99 < 100 ms → ${r.p99 < 100 ? 'met' : 'NOT met'}; 0 lost → ${r.lost === 0 && r.twice === 0 ? 'met' : 'NOT met'}; limits held → ${r.limits ? 'yes' : 'NO'}`,
      );
    }
  }
  console.log(`durable ratio ≥ 0.5 → ${d.ratio >= 0.5 ? 'met' : 'NOT met'}`);
  console.log('2 workers ≥ 1.6× 1 worker holds only where 1 worker is saturated (its acks/s below what the bots offer); the bots share the same 2 cores (bots CPU column).');
} finally {
  for (const c of children) await stop(c).catch(() => {});
  for (const pg of pgServers.values()) await (await pg.catch(() => undefined))?.stop();
  rmSync(tmp, { recursive: true, force: true });
}
