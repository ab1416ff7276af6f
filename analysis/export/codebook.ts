// The codebook: every column of every export (name, type, description,
// levels), and one entry per protocol question saying how its answer fills
// value_num / value_text / correct, taken from the question type's own
// descriptor (studies/questions).
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { csvStringifier, FORMULA_NOTE, RAW_NOTE, type CsvWriterOptions } from './csv-writer.ts';
import type { Protocol, Question } from '../../studies/protocol.ts';
import { resolveQuestion } from '../../studies/questions/index.ts';
import { questionMap } from '../roles.ts';
import { CSV_BOOLEAN_LEVELS, LONG_COLUMNS } from './columns.ts';
import { PAGE_KINDS } from '../../studies/vocabulary/pages.ts';
import { WIDE_FLAG_COLUMNS, WIDE_PARTICIPANT_COLUMNS, type WideColumn } from './wide-csv.ts';

export interface CodebookEntry {
  file: string;
  column: string;
  type: string;
  description: string;
  levels: string;
}

export const CODEBOOK_COLUMNS = ['file', 'column', 'type', 'description', 'levels'] as const;

const PARTICIPANT_DOCS: Record<(typeof WIDE_PARTICIPANT_COLUMNS)[number], [string, string]> = {
  participant_id: ['string', 'Participant id'],
  kind: ['string', 'real (arrived with recruiter ids), pilot (a test link) or bot (simulated)'],
  study_id: ['string', 'Study id'],
  study_version: ['string', 'sha256 of the normalised protocol'],
  condition: ['string', 'Between-subject condition'],
  status: ['string', 'Final or current status'],
  assignment_seed: ['integer', "Seed of every random choice made for this participant (replays the participant's plan)"],
  started_at: ['datetime', 'Start time (ISO 8601, UTC)'],
  ended_at: ['datetime', 'End time (ISO 8601, UTC); empty while in progress'],
  pages_total: ['integer', "Pages in the participant's plan"],
  page_index: ['integer', 'Page the participant is on (pages_total when finished)'],
  prolific_pid: ['string', 'Prolific participant id'],
  prolific_study_id: ['string', 'Prolific study id'],
  prolific_session_id: ['string', 'Prolific session id'],
  takeovers: ['integer', 'Exclusion flag: times another browser took this record over with the same recruiter id (a shared or leaked id); 0 for most'],
};

const FLAG_DOCS: Record<(typeof WIDE_FLAG_COLUMNS)[number], [string, string]> = {
  failed_attention: ['boolean', 'Exclusion flag: failed an attention check, by a wrong answer, a timeout or being ended for it'],
};

/** The wide columns every page has, by part: type and description. */
const PAGE_PARTS: Partial<Record<string, (page: number) => [string, string]>> = {
  stimulus_id: (page) => ['string', `Stimulus shown on page ${page}`],
  rt_ms: (page) => ['number', `Reaction time on page ${page}, ms`],
  timed_out: (page) => ['boolean', `Exclusion flag: page ${page} timed out (answers given by then are kept)`],
  rt_inconsistent: (page) => ['boolean', `Exclusion flag: the reaction time reported on page ${page} contradicts the server's observation`],
  too_fast: (page) => ['boolean', `Exclusion flag: the trial answer on page ${page} came faster than the protocol's exclusions.min_rt_ms`],
};

/**
 * The type of a wide answer cell, from the question type's typed columns: the
 * `value` cell holds value_num when the type fills it, else value_text; a
 * composite part holds the column of that name.
 */
function wideAnswerType(question: Question | undefined, part: string): string {
  if (!question) return 'string';
  try {
    const { descriptor, params } = resolveQuestion(question);
    const columns = descriptor.columns(params);
    const col = part === 'value' ? (columns.find((c) => c.name === 'value_num') ?? columns.find((c) => c.name === 'value_text')) : columns.find((c) => c.name === part);
    return col?.type ?? 'string';
  } catch {
    return 'string';
  }
}

export function codebookEntries(protocol: Protocol, wideColumns: readonly WideColumn[] = [], opts: CsvWriterOptions = {}): CodebookEntry[] {
  const questions = questionMap(protocol);
  const levels: Partial<Record<string, string>> = {
    condition: protocol.design.conditions.map((c) => c.id + (c.label ? ` (${c.label})` : '')).join(' | '),
    page_kind: PAGE_KINDS.join(' | '),
    question_id: [...questions.keys()].join(' | '),
    question_type: [...new Set([...questions.values()].map((q) => q.type))].join(' | '),
    stimulus_pool: Object.keys(protocol.pools).join(' | '),
    stimulus_source: 'human | machine',
  };
  // Booleans: TRUE/FALSE in the CSVs (columns.ts csvCell), true/false in JSONL.
  for (const c of LONG_COLUMNS) if (c.type === 'boolean') levels[c.name] = CSV_BOOLEAN_LEVELS;
  // How text cells are written, for every CSV file (the first entry, so nobody misses it).
  const out: CodebookEntry[] = [{ file: '*.csv', column: '*', type: 'note', description: opts.raw ? RAW_NOTE : FORMULA_NOTE, levels: '' }];
  for (const file of ['long.csv', 'responses.jsonl']) {
    for (const c of LONG_COLUMNS) out.push({ file, column: c.name, type: c.type, description: c.description, levels: levels[c.name] ?? '' });
  }
  for (const q of questions.values()) {
    let described = '';
    let lv = q.levels.map((l, i) => `${i + 1} = ${l}`).join(' | ');
    try {
      const { descriptor, params } = resolveQuestion(q.question);
      described = descriptor.columns(params).map((c) => `${c.name}: ${c.description}`).join('; ');
      if (!lv) lv = descriptor.columns(params).map((c) => c.description).join(' | ');
    } catch (err) {
      described = `(no descriptor: ${(err as Error).message})`;
    }
    out.push({
      file: 'question',
      column: q.id,
      type: q.type,
      description: `${q.prompt ? `"${q.prompt}" ` : ''}[${q.phase}; analysis role ${q.role}] ${described}`.trim(),
      levels: lv,
    });
  }
  if (wideColumns.length) {
    for (const k of WIDE_PARTICIPANT_COLUMNS) out.push({ file: 'wide.csv', column: k, type: PARTICIPANT_DOCS[k][0], description: PARTICIPANT_DOCS[k][1], levels: k === 'condition' ? levels.condition! : '' });
    for (const k of WIDE_FLAG_COLUMNS) out.push({ file: 'wide.csv', column: k, type: FLAG_DOCS[k][0], description: FLAG_DOCS[k][1], levels: CSV_BOOLEAN_LEVELS });
    for (const c of wideColumns) {
      const q = c.question ? questions.get(c.question) : undefined;
      const [type, description] = (c.question == null ? PAGE_PARTS[c.part]?.(c.page) : undefined) ?? [
        wideAnswerType(q?.question, c.part),
        c.part === 'value' ? `Answer to ${c.question} on page ${c.page} (value_num, else value_text)` : `${c.question} on page ${c.page}: part ${c.part}`,
      ];
      out.push({ file: 'wide.csv', column: c.name, type, description, levels: c.part === 'value' && q ? q.levels.map((l, i) => `${i + 1} = ${l}`).join(' | ') : PAGE_PARTS[c.part]?.(c.page)[0] === 'boolean' ? CSV_BOOLEAN_LEVELS : '' });
    }
  }
  return out;
}

export async function writeCodebookCsv(entries: readonly CodebookEntry[], out: Writable, opts: { end?: boolean } & CsvWriterOptions = {}): Promise<number> {
  await pipeline(
    Readable.from((function* () { for (const e of entries) yield CODEBOOK_COLUMNS.map((k) => e[k]); })(), { objectMode: true }),
    csvStringifier([...CODEBOOK_COLUMNS], { raw: opts.raw }),
    out,
    { end: opts.end ?? true },
  );
  return entries.length;
}
