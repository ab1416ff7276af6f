// `credence study pause|close|open STUDY`: whether new participants may join.
// Participants already in a paused or closed study finish it; new arrivals
// get a page saying the study is paused or closed. The state lives in the
// database, so a running server sees it at the next arrival.
import type { Command } from 'commander';
import { loadStudy } from '../../studies/load.ts';
import { STUDY_STATES, type StudyState } from '../../studies/vocabulary/participant-kinds.ts';
import { databaseMissing, describeDb, openStore } from '../store/open.ts';
import type { Store } from '../store/store.ts';
import { UsageError } from './usage.ts';
import { dbOption } from './options.ts';

const VERB: Record<StudyState, string> = { open: 'open', paused: 'pause', closed: 'close' };
const SAYS: Record<StudyState, string> = {
  open: 'is open: new participants may join',
  paused: 'is paused: participants already in it finish; new arrivals are asked to come back later',
  closed: 'is closed: participants already in it finish; new arrivals are told it takes nobody more',
};

/** A study id from an id or a protocol file, checked against the database (exit 2 with what it has). */
export async function studyInDb(arg: string, db: string): Promise<{ store: Store; studyId: string }> {
  if (databaseMissing(db)) throw new UsageError(`${db}: no such database (give --db FILE or postgres://…)`);
  const studyId = /[\\/]/.test(arg) || /\.ya?ml$/i.test(arg) ? loadStudy(arg).protocol.id : arg;
  const store = await openStore({ db });
  if (!(await store.studyVersion(studyId))) {
    const known = await store.studyIds();
    await store.close();
    throw new UsageError(`${describeDb(db)}: no study '${studyId}' (it has: ${known.join(', ') || 'none'})`);
  }
  return { store, studyId };
}

export function registerStudyState(study: Command): void {
  for (const state of STUDY_STATES) {
    study
      .command(VERB[state])
      .description(`Set the study ${state}: ${SAYS[state].split(': ')[1]}`)
      .argument('<study>', 'study id or protocol file')
      .addOption(dbOption())
      .action(async (arg: string, o: { db: string }) => {
        const { store, studyId } = await studyInDb(arg, o.db);
        try {
          await store.setStudyState(studyId, state, Date.now());
          console.log(`${studyId} ${SAYS[state]}`);
        } finally {
          await store.close();
        }
      });
  }
}
