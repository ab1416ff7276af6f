// The exclusion flags the exports carry beside each answer, so an R or pandas
// user never recomputes them: too_fast (a trial answer faster than the
// protocol's min_rt_ms) per row, and per participant failed_attention (an
// attention check answered wrongly or left to time out, or ended for it) and
// takeovers. rt_inconsistent and timed_out come stored with each row. The rule
// is the analysis's own (analysis/exclusions.ts), so exports and report agree.
import type { ParticipantRow, ResponseRow, RowStream } from '../rows.ts';
import { failsAttention, isTooFast } from '../exclusions.ts';

export interface ParticipantFlags {
  failed_attention: boolean;
  takeovers: number;
}

/** One pass over the rows: each participant's flags (participants without rows included). */
export async function participantFlags(rows: RowStream, participants: readonly ParticipantRow[]): Promise<Map<string, ParticipantFlags>> {
  const flags = new Map<string, ParticipantFlags>();
  for (const p of participants) flags.set(p.participant_id, { failed_attention: p.status === 'failed-attention', takeovers: p.takeovers });
  for await (const r of rows) {
    if (!failsAttention(r)) continue;
    const f = flags.get(r.participant_id);
    if (f) f.failed_attention = true;
    else flags.set(r.participant_id, { failed_attention: true, takeovers: 0 });
  }
  return flags;
}

/** The rows with their flags filled in, streamed. */
export async function* withFlags(rows: RowStream, minRtMs: number | null | undefined, flags: ReadonlyMap<string, ParticipantFlags>): AsyncGenerator<ResponseRow> {
  for await (const r of rows) {
    const f = flags.get(r.participant_id);
    yield { ...r, too_fast: isTooFast(r, minRtMs ?? null), failed_attention: f?.failed_attention ?? false, takeovers: f?.takeovers ?? 0 };
  }
}
