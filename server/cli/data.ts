// `credence data purge STUDY --kind bot|pilot|bot,pilot`: the one sanctioned
// delete. It removes test runs (bots, pilots) with their responses and events,
// logs the purge in the database, and can never touch a real participant (the
// database refuses it too).
import type { Command } from 'commander';
import { PURGEABLE_KINDS, parseKinds } from '../../studies/vocabulary/participant-kinds.ts';
import { studyInDb } from './study-state.ts';
import { UsageError } from './usage.ts';
import { dbOption } from './options.ts';

export function registerData(program: Command): void {
  const data = program.command('data').description('Manage stored participant data');
  data
    .command('purge')
    .description('Delete the bot and/or pilot participants of a study and their answers (never real participants); logged')
    .argument('<study>', 'study id or protocol file')
    .requiredOption('--kind <kinds>', 'bot, pilot or bot,pilot')
    .addOption(dbOption())
    .action(async (arg: string, o: { kind: string; db: string }) => {
      let kinds;
      try {
        kinds = parseKinds(o.kind, PURGEABLE_KINDS);
      } catch (err) {
        throw new UsageError(`--kind: ${(err as Error).message} (real participants are never purged)`);
      }
      const { store, studyId } = await studyInDb(arg, o.db);
      try {
        const before = await store.kindCounts(studyId);
        const r = await store.purgeParticipants(studyId, kinds, Date.now());
        console.log(`${studyId}: purged ${r.participants} participant${r.participants === 1 ? '' : 's'} (${kinds.map((k) => `${before[k]} ${k}`).join(', ')}) and ${r.responses} responses; ${before.real} real participants untouched; logged in the purges table`);
      } finally {
        await store.close();
      }
    });
}
