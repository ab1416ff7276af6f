// Joins: a new participant gets a record, a condition and a plan in one
// committed write (the record takes its place in the condition only at consent,
// places.ts); a returning one (by token, or by Prolific id from another browser:
// a takeover, logged as such) resumes where the server says they are.
import { createHash, randomBytes } from 'node:crypto';
import { deriveSeed } from '../../studies/random.ts';
import type { JoinAuth, RefusedReason } from '../../studies/vocabulary/participant-wire.ts';
import { isPlaceholderId, type ParticipantKind } from '../../studies/vocabulary/participant-kinds.ts';
import type { ConditionCount, ParticipantRecord, Store } from '../store/store.ts';
import { chooseCondition } from './assign.ts';
import type { Outcome } from './page-view.ts';
import { buildPlan } from '../../studies/plan.ts';
import { nextDeadline } from './progress.ts';
import type { StudyRegistry } from './registry.ts';
import { joinsKey, placeAtJoin, placesKey, releaseIdlePlaces, type JoinLimits } from './places.ts';

/** A resume logs one event per page, and takeovers at most one a minute: reconnects cannot grow the events table without bound. */
const TAKEOVER_EVENT_EVERY_MS = 60_000;

export type JoinResult =
  | { kind: 'refused'; reason: RefusedReason; message: string }
  | { kind: 'joined'; token: string; participantId: string; preview: boolean; outcome: Outcome };

export const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex');

/** What a join needs from the engine. */
export interface JoinRoom {
  studies: StudyRegistry;
  now: () => number;
  /** Arms the deadline timer of a participant just created or resumed here. */
  arm: (p: ParticipantRecord) => void;
  expire: (participantId: string) => Promise<void>;
  outcome: (participantId: string) => Promise<Outcome>;
  joinLimits: JoinLimits;
}

export interface JoinOptions {
  researcher: boolean;
  /** The client's network address (per-address limit on new participants); none: not limited (local bots, tests). */
  address?: string;
}

/** Creates or resumes a participant; resolves once the record is committed. */
export async function join(room: JoinRoom, auth: JoinAuth, opts: JoinOptions): Promise<JoinResult> {
  const version = room.studies.versionOf(auth.study);
  if (!version) return { kind: 'refused', reason: 'unknown-study', message: `There is no open study '${auth.study}'.` };
  const preview = auth.preview === true;
  if (preview && !opts.researcher) {
    return { kind: 'refused', reason: 'bad-request', message: 'Preview needs a researcher login.' };
  }
  const pid = auth.prolific?.PROLIFIC_PID;
  if (pid !== undefined && isPlaceholderId(pid)) {
    return {
      kind: 'refused',
      reason: 'placeholder-id',
      message: `This link still holds the placeholder '${pid.slice(0, 40)}' where Prolific puts your participant ID. Please open the study from Prolific; if you are testing it, use the pilot link.`,
    };
  }
  const store = preview ? room.studies.previewStore : room.studies.store;
  const now = room.now();
  let p: ParticipantRecord | undefined;
  let token = auth.token;
  let takeover = false;
  if (token && !preview) {
    p = await store.participantByToken(hashToken(token));
    if (p && p.studyId !== auth.study) p = undefined;
  }
  if (!p && auth.prolific && !preview) {
    p = await store.participantByPid(auth.study, auth.prolific.PROLIFIC_PID);
    if (p) {
      // The same recruiter id from a browser without this record's token: another device takes the record over.
      if (p.placeAt != null && (await room.studies.runtime(p.studyId, p.version)).protocol.recruitment.resume_after_consent === 'same-browser') {
        return { kind: 'refused', reason: 'other-browser', message: 'This study was started in another browser. Please continue it there.' };
      }
      token = randomBytes(16).toString('base64url');
      takeover = true;
    }
  }
  if (!p) {
    // Paused or closed: participants already in finish, new arrivals are told so.
    const state = preview ? 'open' : await store.studyState(auth.study);
    if (state === 'paused') return { kind: 'refused', reason: 'paused', message: 'This study is paused for the moment. Please try again later.' };
    if (state === 'closed') return { kind: 'refused', reason: 'closed', message: 'This study is closed and no longer takes participants.' };
    if (opts.address !== undefined && !preview) {
      const protocol = (await room.studies.runtime(auth.study, version)).protocol;
      if (!(await room.joinLimits.allow(protocol, opts.address))) {
        return { kind: 'refused', reason: 'too-many-joins', message: 'Too many new sessions were started from your network just now. Please try again in a few minutes.' };
      }
    }
    token = randomBytes(16).toString('base64url');
    const made = await create(room, store, auth, version, preview, token, now);
    if ('full' in made) {
      return { kind: 'refused', reason: 'full', message: 'This study is full. Thank you for your interest; please return it.' };
    }
    p = made.participant;
    if (preview) room.studies.addPreview(p.id);
    if (p.status === 'in-progress') room.arm(p);
  } else {
    const { id, pageIndex } = p;
    const rotated = token !== auth.token ? token : undefined;
    await store.batch(async (tx) => {
      if (rotated) await tx.rotateToken(id, hashToken(rotated));
      await tx.touch(id, now);
      if (takeover) {
        const last = await tx.lastEventAt(id, 'takeover');
        if (last == null || now - last >= TAKEOVER_EVENT_EVERY_MS) await tx.logEvent({ participantId: id, type: 'takeover', pageIndex, at: now });
      } else if ((await tx.lastEventAt(id, 'resumed', pageIndex)) == null) {
        await tx.logEvent({ participantId: id, type: 'resumed', pageIndex, at: now });
      }
    }, id);
    if (p.status === 'in-progress' && nextDeadline(p) <= now) await room.expire(p.id);
    // This process has the participant now: its timer claims their next deadline (deadlines.ts).
    else if (p.status === 'in-progress') room.arm(p);
  }
  return { kind: 'joined', token: token!, participantId: p.id, preview, outcome: await room.outcome(p.id) };
}

/** Bots say so; a pilot link or a link without recruiter ids is a pilot; recruiter ids make a real participant. */
function kindOf(auth: JoinAuth): ParticipantKind {
  if (auth.bot) return 'bot';
  if (auth.pilot || !auth.prolific) return 'pilot';
  return 'real';
}

/** A new record with its condition and plan, chosen inside the creating transaction so two arrivals never race for one slot. */
async function create(room: JoinRoom, store: Store, auth: JoinAuth, version: string, preview: boolean, token: string, now: number) {
  const rt = await room.studies.runtime(auth.study, version, preview);
  const protocol = rt.protocol;
  const limit = protocol.timing.study_limit_minutes;
  const placeAt = preview ? null : placeAtJoin(protocol, auth.prolific?.PROLIFIC_PID ?? null, now);
  /** Thrown to undo a new record that holds a place no idle holder could give up (its own write alone rolls back). */
  class NoRoom extends Error {}
  let chosen: ConditionCount | undefined;
  return store.batch(async (tx) => {
    const r = await tx.createParticipant({
      studyId: auth.study,
      version,
      tokenHash: hashToken(token),
      kind: kindOf(auth),
      prolificPid: preview ? null : auth.prolific?.PROLIFIC_PID ?? null,
      prolificStudyId: preview ? null : auth.prolific?.STUDY_ID ?? null,
      prolificSessionId: preview ? null : auth.prolific?.SESSION_ID ?? null,
      now,
      studyLimitMs: limit ? limit * 60_000 : null,
      // A place waits for consent (places.ts); preview never counts anyway.
      placeAt,
      choose: ({ counts, index }) => {
        const seed = deriveSeed(protocol.design.seed, `participant:${index}`);
        const a = chooseCondition(counts, seed);
        // Preview never fills a study: it walks the first condition with room, or the first one.
        const condition = 'full' in a ? (preview ? protocol.design.conditions[0].id : null) : a.condition;
        if (!condition) return { full: true };
        chosen = counts.find((c) => c.condition === condition);
        const plan = buildPlan({ protocol, stimuli: rt.list, condition, seed, participantIndex: index });
        return { condition, seed, plan, deadlineAt: plan[0]?.timeLimitMs ? now + plan[0].timeLimitMs : null };
      },
    });
    // Placed at the join (no consent page): the places idle holders left are theirs no longer (places.ts).
    if (!('full' in r) && r.created && placeAt != null && chosen && !(await releaseIdlePlaces(tx, chosen, r.participant, protocol, now))) throw new NoRoom();
    // Two tabs with the same new Prolific id raced: the later one takes the record over with its own token.
    if (!('full' in r) && !r.created) await tx.rotateToken(r.participant.id, hashToken(token));
    if (!('full' in r) && !preview) await tx.logEvent({ participantId: r.participant.id, type: r.created ? 'joined' : 'takeover', pageIndex: r.participant.pageIndex, at: now });
    return r;
  }, placeAt != null ? placesKey(auth.study) : joinsKey(auth.study)).catch((err: unknown) => {
    if (err instanceof NoRoom) return { full: true as const };
    throw err;
  });
}
