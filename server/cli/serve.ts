// `credence serve [--port 3000] [--host H] [--db data/credence.db|postgres://…] [--study ID...] [--workers N]`
// and `credence start` (the same with defaults): serve studies to participants
// and print their links. With --workers N the command runs as the primary of N
// worker processes (http/cluster.ts), each of which re-runs it as a worker.
import type { Command } from 'commander';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ProtocolError, STUDIES_DIR } from '../../studies/load.ts';
import { ensureClientBundle, startServer, type StartOptions } from '../http/server.ts';
import { isClusterWorker, startPrimary, tellPrimary } from '../http/cluster.ts';
import { closeAuth } from '../auth/auth-context.ts';
import { parseTrustProxy, type TrustProxy } from '../http/client-address.ts';
import { pilotLink, prolificLink } from '../http/study-links.ts';
import { parseInteger, UsageError } from './usage.ts';
import { ensureAdminAccount } from '../http/admin/index.ts';
import { ensureTinyModels } from '../lm/ensure-tiny.ts';
import { prepareStudy } from '../lm/prepare.ts';
import { loadStudy } from '../../studies/load.ts';
import { materializePools } from '../stimuli/index.ts';
import { defaultDataDir, describeDb, isPostgresUrl, openStore, prepareStorage } from '../store/open.ts';
import { dbOption } from './options.ts';
import type { Store } from '../store/store.ts';
import { scoreStudy } from '../detectors/score-study.ts';
import { ensureTinyRoberta } from '../detectors/roberta-build.ts';

interface ServeOptions {
  /** `start`: fill unprepared generated pools with the built-in tiny models first. */
  prepare?: boolean;
  port: string;
  host: string;
  db: string;
  study?: string[];
  studiesDir?: string;
  dataDir?: string;
  trustProxy?: string | boolean;
  detect?: boolean;
  joinLimitExempt?: string[];
  workers: string;
}

async function serve(opts: ServeOptions): Promise<void> {
  const port = parseInteger(opts.port, '--port', { min: 0, max: 65535 });
  const workers = parseInteger(opts.workers, '--workers', { min: 1, max: 64 });
  let trustProxy: TrustProxy;
  try {
    trustProxy = parseTrustProxy(opts.trustProxy);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const start: StartOptions = {
    port,
    host: opts.host,
    db: opts.db,
    studies: opts.study,
    studiesDir: opts.studiesDir,
    dataDir: opts.dataDir,
    trustProxy,
    detect: opts.detect === true,
    joinLimitExempt: opts.joinLimitExempt,
  };
  if (workers > 1 && isClusterWorker()) return serveAsWorker(start);
  if (opts.prepare) await prepareShipped(opts);
  if (workers > 1) return serveAsPrimary(start, workers);
  let server;
  try {
    server = await startServer(start);
  } catch (err) {
    throw cannotStart(err);
  }
  await announce(server.url, server.ctx.db, server.ctx.engine.servedStudies(), server.ctx.store);
  stopOnSignal(() => server.close());
}

/** Whatever stops the start is the researcher's to fix (a protocol, the database, the port): exit 2. */
function cannotStart(err: unknown): Error {
  if (err instanceof ProtocolError) return err;
  return new UsageError(`cannot start: ${(err as Error).message}`);
}

function stopOnSignal(close: () => Promise<void>): void {
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    close().then(() => process.exit(0), () => process.exit(1));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

/**
 * The primary of `--workers N`: checks and migrates the database once (the
 * workers then only open it), builds the participant bundle once, starts the
 * workers and listens for them.
 */
async function serveAsPrimary(start: StartOptions, workers: number): Promise<void> {
  const log = (m: string) => process.stderr.write(m + '\n');
  let primary;
  try {
    prepareStorage(start.db, log);
    await (await openStore({ db: start.db })).close();
    await ensureClientBundle(log);
    primary = await startPrimary({ workers, port: start.port ?? 3000, host: start.host ?? '127.0.0.1', postgres: isPostgresUrl(start.db), log });
  } catch (err) {
    throw cannotStart(err);
  }
  await announce(primary.url, start.db, primary.studies);
  console.log(`  ${workers} worker processes: pids ${primary.pids().join(' ')}`);
  stopOnSignal(() => primary.close());
}

/** One worker of `--workers N`: a whole server on the primary's connections; the primary prints the links. */
async function serveAsWorker(start: StartOptions): Promise<void> {
  let server;
  try {
    server = await startServer({ ...start, buildClient: false, clusterWorker: true });
  } catch (err) {
    tellPrimary({ type: 'credence:failed', message: (err as Error).message });
    process.exit(2);
  }
  tellPrimary({ type: 'credence:ready', studies: server.ctx.engine.servedStudies() });
  stopOnSignal(() => server.close());
}

/** Prints where the studies are served, their links and the researcher login (`store`: the server's own, else one opened here). */
async function announce(url: string, db: string, studies: { studyId: string; version: string }[], store?: Store): Promise<void> {
  console.log(`credence serving on ${url}  (database ${describeDb(db)})`);
  if (studies.length === 0) console.log('no studies are open (none valid in the studies folder)');
  for (const s of studies) {
    console.log(`  ${s.studyId}  version ${s.version.slice(0, 12)}`);
    // The links printed here are pilot links: each browser that opens one is its own pilot participant, kept out of the analysis.
    console.log(`    pilot link:       ${pilotLink(url, s.studyId)}   (each browser gets its own record; analysed only with --include pilot)`);
    console.log(`    on Prolific give: ${prolificLink(url, s.studyId)}   (Prolific fills in the ids)`);
  }
  console.log(`  researcher area:   ${url}/admin`);
  const own = store ? undefined : await openStore({ db }).catch((err: Error) => {
    console.error(`warning: researcher account: ${err.message}`);
    return undefined;
  });
  const accounts = store ?? own;
  if (!accounts) return;
  const auth = { store: accounts };
  try {
    const account = await ensureAdminAccount(auth);
    if (account.password) console.log(`  researcher login:  ${account.username} / ${account.password}   (shown once; change it after logging in)`);
    else console.log(`  researcher login:  ${account.username} (password set earlier or from CREDENCE_ADMIN_PASSWORD)`);
    console.log(`  lost the password? \`npx credence admin reset-password ${account.username}\` prints a new one (or takes CREDENCE_ADMIN_PASSWORD)`);
  } catch (err) {
    console.error(`warning: researcher account: ${(err as Error).message}`);
  } finally {
    closeAuth(auth);
    await own?.close();
  }
}

/**
 * `credence start` on a fresh clone: the shipped studies' machine-written texts
 * come from the tiny GPT-2 models the project builds itself (no download).
 * Resumable and a no-op once prepared.
 */
async function prepareShipped(opts: ServeOptions): Promise<void> {
  const dir = opts.studiesDir ?? STUDIES_DIR;
  const files = opts.study?.length ? opts.study : readdirSync(dir).filter((f) => /\.ya?ml$/i.test(f)).map((f) => join(dir, f));
  console.log('demo: machine-written texts come from the built-in tiny GPT-2 stand-ins (random weights, built here, no download);');
  console.log('      `credence models pull gpt2-medium` and `credence prepare STUDY` use the real models.');
  try {
    await ensureTinyModels('models');
  } catch (err) {
    console.error(`warning: could not build the tiny models: ${(err as Error).message}`);
    return;
  }
  const dataDir = opts.dataDir ?? defaultDataDir(opts.db);
  for (const f of files) {
    try {
      const res = await prepareStudy(f, { dataDir, modelsDir: 'models', substituteTiny: true });
      const made = res.reduce((n, r) => n + r.generated, 0);
      if (made > 0) console.log(`prepared ${made} machine-written texts for ${f} with the tiny models`);
      await scoreDemo(f, dataDir, opts.db);
    } catch (err) {
      console.error(`warning: ${f}: ${(err as Error).message}`);
    }
  }
}

/**
 * Detector scores beside every demo stimulus (tiny RoBERTa-architecture
 * detector and the tiny GPT-2 as zero-shot scorer), so the researcher area shows
 * the detector columns too. Already-scored stimuli are skipped, so a restart is quick.
 */
async function scoreDemo(file: string, dataDir: string, db: string): Promise<void> {
  const loaded = loadStudy(file);
  const stimuli = materializePools(loaded, { dataDir });
  const store = await openStore({ db });
  try {
    const summary = await scoreStudy({
      studyId: loaded.protocol.id,
      stimuli: stimuli.map((s) => ({ id: s.id, text: s.text, source: s.label.source, pool: s.pool })),
      lexicons: loaded.protocol.lexicons,
      store,
      detectors: ['roberta', 'zero-shot'],
      detectorDir: ensureTinyRoberta('models'),
      scorerDir: join('models', 'tiny'),
    });
    const scored = Object.values(summary).reduce((n, s) => n + s.scored, 0);
    if (scored > 0) console.log(`scored ${loaded.protocol.id} with the tiny detectors (${scored} stimulus scores)`);
  } finally {
    await store.close();
  }
}

function addServe(cmd: Command): Command {
  return cmd
    .option('--port <port>', 'port (0 = any free port)', '3000')
    .option('--host <host>', 'address to bind', '127.0.0.1')
    .addOption(dbOption())
    .option('--study <ids...>', 'studies to open (ids or files); default: every valid study in the studies folder')
    .option('--studies-dir <dir>', 'folder of study YAML files')
    .option('--data-dir <dir>', 'folder of imported and generated data')
    .option(
      '--trust-proxy [proxies]',
      "behind a reverse proxy: believe X-Forwarded-For/-Proto from these proxies (hop count, addresses/subnets, or loopback; bare flag = loopback); also CREDENCE_TRUST_PROXY",
      process.env.CREDENCE_TRUST_PROXY,
    )
    .option('--join-limit-exempt <addresses...>', "addresses that may start any number of participants (e.g. 127.0.0.1 for `credence bots` on this machine)")
    .option('--detect', 'serve the detector demo at /api/detect (per-address limit, bounded queue)', false)
    .option('--workers <n>', 'server processes on this machine (sticky sessions; deadlines and assignment are kept in the database)', '1')
    .action((opts: ServeOptions) => serve(opts));
}

export function registerServe(program: Command): void {
  addServe(program.command('serve').description('Serve studies to participants (socket.io) with the researcher area'));
  addServe(
    program
      .command('start')
      .description('Prepare the shipped studies with the built-in tiny models if needed, then serve them and print the links'),
  ).action((opts: ServeOptions) => serve({ ...opts, prepare: true }));
}
