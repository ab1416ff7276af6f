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
import { registerAdmin } from '../auth/admin-command.ts';
import { registerBackup } from './backup.ts';
import { CLI_VERSION } from './version.ts';

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
registerAdmin(program); // admin list|add|reset-password
registerBackup(program);

program.exitOverride((err) => {
  // commander's own usage errors exit 2, like every other bad input.
  process.exit(err.exitCode === 0 ? 0 : 2);
});
await program.parseAsync(process.argv);
