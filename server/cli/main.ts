// The `credence` command line. Each command lives in its own file and registers
// itself on the program; the web UI calls the same library functions.
import { Command } from 'commander';
import { registerStudy } from './study.ts';
import { registerServe } from './serve.ts';
import { registerBots } from './bots.ts';
import { registerModels } from './models.ts';
import { registerGenerate } from './generate.ts';
import { registerPrepare } from './prepare.ts';
import { registerScore } from './score.ts';
import { registerAnalyze } from './analyze.ts';
import { registerPrereg } from './prereg.ts';
import { registerTerms } from './terms.ts';
import { registerAdmin } from '../auth/admin-command.ts';
import { registerBackup } from './backup.ts';
import { registerData } from './data.ts';
import { registerDb } from './db.ts';
import { CLI_VERSION } from './version.ts';
import { exitCodeFor } from './usage.ts';

const program = new Command('credence')
  .description('Human perception studies of machine-generated text')
  .version(CLI_VERSION);

registerStudy(program);
registerServe(program); // serve, start
registerBots(program);
registerModels(program); // models build-tiny|pull|list
registerGenerate(program);
registerPrepare(program);
registerScore(program); // score, detect
registerAnalyze(program); // analyze, export, simulate
registerPrereg(program);
registerTerms(program);
registerAdmin(program); // admin list|add|reset-password
registerBackup(program);
registerData(program); // data purge
registerDb(program); // db migrate|copy

// The one error edge: commander's own usage errors and whatever a command throws
// become one message and an exit code here (usage.ts: 2 for bad usage, else 1).
program.exitOverride();
try {
  await program.parseAsync(process.argv);
} catch (err) {
  // A failed command has nothing left to do: open sockets or timers must not keep it running.
  process.exit(exitCodeFor(err));
}
