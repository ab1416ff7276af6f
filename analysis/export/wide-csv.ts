// Wide CSV: one row per participant, one column per page × question
// (p007_credible_4 = the answer to credible_4 on page 7), plus each page's
// stimulus, reaction time and timeout flag; composite answers (demographics)
// get one column per part. A participant's answers can arrive anywhere in the
// row stream, so this export holds the answer cells (not whole rows) in
// memory: it grows with the number of answers, unlike the long CSV and JSONL.
import type { Writable } from 'node:stream';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { csvStringifier, type CsvWriterOptions } from './csv-writer.ts';
import type { ParticipantRow, ResponseRow, RowStream } from '../rows.ts';
import { csvCell } from './columns.ts';
import { questionTypes } from '../../studies/questions/index.ts';

export const WIDE_PARTICIPANT_COLUMNS = [
  'participant_id',
  'kind',
  'study_id',
  'study_version',
  'condition',
  'status',
  'assignment_seed',
  'started_at',
  'ended_at',
  'pages_total',
  'page_index',
  'prolific_pid',
  'prolific_study_id',
  'prolific_session_id',
  'takeovers',
] as const satisfies readonly (keyof ParticipantRow)[];

/** Participant-level exclusion flags after the participant columns, from the rows' flags (analysis/export/flags.ts). */
export const WIDE_FLAG_COLUMNS = ['failed_attention'] as const;

export interface WideColumn {
  name: string;
  page: number;
  question: string | null;
  part: 'stimulus_id' | 'rt_ms' | 'timed_out' | 'value' | string;
}

export interface WideTable {
  columns: WideColumn[];
  cells: Map<string, Map<string, string>>;
  /** Participants whose rows carry failed_attention. */
  failedAttention: Set<string>;
  /** Participants seen in responses but missing from the participant table. */
  extra: Map<string, { condition: string; study_id: string; study_version: string }>;
}

const pad = (n: number) => String(n).padStart(3, '0');

function cellOf(r: ResponseRow): string {
  if (r.value_num != null) return csvCell(r.value_num);
  if (r.value_text != null) return r.value_text;
  return r.value_json ?? '';
}

/** A composite answer's parts (the question type says whether it has any), or null. */
function partsOf(r: ResponseRow): Record<string, unknown> | null {
  if (r.value_json == null || !Object.hasOwn(questionTypes, r.question_type)) return null;
  const descriptor = questionTypes[r.question_type];
  if (!descriptor.parts) return null;
  try {
    return descriptor.parts(JSON.parse(r.value_json));
  } catch {
    return null;
  }
}

/** The wide column set and every participant's cells, one row at a time (so a network cursor's rows can feed it). */
class WideCollector {
  private readonly known: Set<string>;
  private readonly cols = new Map<string, WideColumn>();
  private readonly cells = new Map<string, Map<string, string>>();
  private readonly extra: WideTable['extra'] = new Map();
  private readonly failedAttention = new Set<string>();

  constructor(participants: readonly ParticipantRow[]) {
    this.known = new Set(participants.map((p) => p.participant_id));
  }

  private addCol(c: WideColumn): void {
    if (!this.cols.has(c.name)) this.cols.set(c.name, c);
  }

  add(r: ResponseRow): void {
    let m = this.cells.get(r.participant_id);
    if (!m) this.cells.set(r.participant_id, (m = new Map()));
    if (!this.known.has(r.participant_id) && !this.extra.has(r.participant_id)) this.extra.set(r.participant_id, { condition: r.condition, study_id: r.study_id, study_version: r.study_version });
    const p = `p${pad(r.page_index)}`;
    if (r.stimulus_id != null) {
      this.addCol({ name: `${p}_stimulus_id`, page: r.page_index, question: null, part: 'stimulus_id' });
      m.set(`${p}_stimulus_id`, r.stimulus_id);
    }
    this.addCol({ name: `${p}_rt_ms`, page: r.page_index, question: null, part: 'rt_ms' });
    m.set(`${p}_rt_ms`, csvCell(r.rt_ms));
    this.addCol({ name: `${p}_timed_out`, page: r.page_index, question: null, part: 'timed_out' });
    m.set(`${p}_timed_out`, csvCell(r.timed_out));
    this.addCol({ name: `${p}_rt_inconsistent`, page: r.page_index, question: null, part: 'rt_inconsistent' });
    m.set(`${p}_rt_inconsistent`, csvCell(r.rt_inconsistent ?? false));
    // Flags the exports compute (analysis/export/flags.ts); rows read without them have no such column.
    if (r.too_fast !== undefined) {
      this.addCol({ name: `${p}_too_fast`, page: r.page_index, question: null, part: 'too_fast' });
      const prev = m.get(`${p}_too_fast`);
      m.set(`${p}_too_fast`, csvCell(r.too_fast || prev === 'TRUE'));
    }
    if (r.failed_attention) this.failedAttention.add(r.participant_id);
    const parts = partsOf(r);
    if (parts) {
      for (const [k, v] of Object.entries(parts)) {
        const name = `${p}_${r.question_id}_${k}`;
        this.addCol({ name, page: r.page_index, question: r.question_id, part: k });
        m.set(name, csvCell(v));
      }
    } else {
      const name = `${p}_${r.question_id}`;
      this.addCol({ name, page: r.page_index, question: r.question_id, part: 'value' });
      m.set(name, r.timed_out ? '' : cellOf(r));
    }
  }

  table(): WideTable {
    const rank = (c: WideColumn) => (c.part === 'stimulus_id' ? 0 : c.part === 'rt_ms' ? 2 : c.part === 'timed_out' ? 3 : c.part === 'rt_inconsistent' ? 4 : c.part === 'too_fast' ? 5 : 1);
    const columns = [...this.cols.values()].sort((a, b) => a.page - b.page || rank(a) - rank(b));
    return { columns, cells: this.cells, extra: this.extra, failedAttention: this.failedAttention };
  }
}

/** One pass over the rows: the wide column set and every participant's cells. */
export function collectWide(rows: Iterable<ResponseRow>, participants: readonly ParticipantRow[]): WideTable {
  const wide = new WideCollector(participants);
  for (const r of rows) wide.add(r);
  return wide.table();
}

export async function writeWideCsv(rows: RowStream, participants: readonly ParticipantRow[], out: Writable, opts: { end?: boolean } & CsvWriterOptions = {}): Promise<{ rows: number; columns: WideColumn[] }> {
  const collector = new WideCollector(participants);
  for await (const r of rows) collector.add(r);
  const wide = collector.table();
  const header = [...WIDE_PARTICIPANT_COLUMNS, ...WIDE_FLAG_COLUMNS, ...wide.columns.map((c) => c.name)];
  const flags = (id: string, status?: string) => [csvCell(wide.failedAttention.has(id) || status === 'failed-attention')];
  function* records(): Generator<string[]> {
    for (const p of participants) {
      const m = wide.cells.get(p.participant_id);
      yield [...WIDE_PARTICIPANT_COLUMNS.map((k) => csvCell(p[k])), ...flags(p.participant_id, p.status), ...wide.columns.map((c) => m?.get(c.name) ?? '')];
    }
    for (const [id, e] of wide.extra) {
      const m = wide.cells.get(id)!;
      const base: Record<string, unknown> = { participant_id: id, study_id: e.study_id, study_version: e.study_version, condition: e.condition };
      yield [...WIDE_PARTICIPANT_COLUMNS.map((k) => csvCell(base[k])), ...flags(id), ...wide.columns.map((c) => m.get(c.name) ?? '')];
    }
  }
  await pipeline(Readable.from(records(), { objectMode: true }), csvStringifier(header, { raw: opts.raw }), out, { end: opts.end ?? true });
  return { rows: participants.length + wide.extra.size, columns: wide.columns };
}
