// Checks a schema cannot express: references between parts of the protocol,
// unique ids, question parameters (each question type's own schema), and
// designs that cannot be run (sampling more stimuli than a pool holds, a
// balance no draw can satisfy, a study without consent or debrief).
import type { Protocol, Question, Pool } from './protocol.ts';
import { getQuestionType, isProtocolType, protocolTypeNames, questionTypes } from './questions/index.ts';
import { questionParams } from './question-type.ts';
import { existsSync } from 'node:fs';
import { templateSlots } from './probes.ts';
import { blockPools, forCondition, gpt2OutputDatasetLabel, poolLabels, poolSize, poolSources, resolveProtocolFile } from './pools.ts';
import { flattenIssues, type PathSegment, type RawProblem } from './issues.ts';

export function crossCheck(protocol: Protocol, ctx: { file: string }): RawProblem[] {
  const out: RawProblem[] = [];
  const problem = (path: PathSegment[], message: string) => out.push({ path, message });
  const poolIds = new Set(Object.keys(protocol.pools));

  checkPools(protocol, problem);
  checkImportFiles(protocol, ctx.file, problem);
  checkConditions(protocol, poolIds, problem);
  checkLexicons(protocol, poolIds, problem);
  checkPhaseOrder(protocol, problem);
  protocol.report?.terms.forEach((cmp, i) =>
    (['a', 'b'] as const).forEach((side) => {
      const spec = cmp[side];
      const pools = typeof spec === 'string' ? [spec] : spec.pools;
      pools.forEach((p, k) => {
        if (!poolIds.has(p)) problem(['report', 'terms', i, side, ...(typeof spec === 'string' ? [] : ['pools', k])], unknownPool(p, poolIds));
      });
    }),
  );

  const phaseIds = new Map<string, number>();
  const conditionIds = new Set(protocol.design.conditions.map((c) => c.id));
  const checkConditionList = (list: readonly string[] | undefined, path: PathSegment[]) =>
    list?.forEach((c, k) => {
      if (!conditionIds.has(c)) problem([...path, k], `no condition '${c}' (conditions: ${[...conditionIds].join(', ')})`);
    });
  protocol.phases.forEach((phase, pi) => {
    const base: PathSegment[] = ['phases', pi];
    if (phase.kind !== 'consent') checkConditionList(phase.conditions, [...base, 'conditions']);
    if ((phase.kind === 'instructions' || phase.kind === 'debrief') && Array.isArray(phase.text)) {
      phase.text.forEach((part, ti) => checkConditionList(part.conditions, [...base, 'text', ti, 'conditions']));
    }
    if (phase.id !== undefined) {
      if (phaseIds.has(phase.id)) problem([...base, 'id'], `duplicate phase id '${phase.id}' (also phases[${phaseIds.get(phase.id)}])`);
      else phaseIds.set(phase.id, pi);
    }
    switch (phase.kind) {
      case 'comprehension':
        checkQuestions(phase.questions, [...base, 'questions'], problem);
        phase.questions.forEach((q, qi) => {
          if (q.type !== 'comprehension') {
            problem([...base, 'questions', qi, 'type'], `a comprehension phase asks comprehension questions (with expected answers), not '${q.type}'`);
          }
        });
        break;
      case 'questionnaire':
        checkQuestions(phase.questions, [...base, 'questions'], problem);
        break;
      case 'training':
        checkQuestions(phase.questions, [...base, 'questions'], problem);
        phase.items.forEach((item, ii) => {
          const ip: PathSegment[] = [...base, 'items', ii];
          if (item.pool !== undefined && !poolIds.has(item.pool)) problem([...ip, 'pool'], unknownPool(item.pool, poolIds));
          if (item.pool === undefined && item.text === undefined && item.stimulus === undefined) problem(ip, 'a training item needs a pool, a stimulus or a text');
          if (item.stimulus !== undefined) {
            // Stimulus ids are `<pool>-<i>`.
            const m = /^(.+)-(\d+)$/.exec(item.stimulus);
            const pool = m ? protocol.pools[m[1]] : undefined;
            const size = pool ? poolSize(pool) : null;
            if (!m || !pool) problem([...ip, 'stimulus'], `no stimulus '${item.stimulus}': ids are <pool>-<index> of an existing pool`);
            else if (size !== null && Number(m[2]) >= size) problem([...ip, 'stimulus'], `no stimulus '${item.stimulus}': pool '${m[1]}' holds ${size} (indices 0–${size - 1})`);
          }
          if (item.text !== undefined && !item.label) problem(ip, 'a training text needs a label (source: human or machine) for its feedback');
        });
        break;
      case 'trials':
        checkTrials(protocol, phase, base, poolIds, problem);
        break;
      default:
        break;
    }
  });
  return out;
}

type Report = (path: PathSegment[], message: string) => void;

function unknownPool(id: string, poolIds: Set<string>): string {
  return `no pool '${id}' (pools: ${[...poolIds].join(', ') || 'none'})`;
}

function checkPools(protocol: Protocol, problem: Report): void {
  for (const [id, pool] of Object.entries(protocol.pools)) {
    const base: PathSegment[] = ['pools', id];
    if ((pool.kind === 'corpus' || pool.kind === 'import') && pool.min_words !== undefined && pool.max_words !== undefined && pool.max_words < pool.min_words) {
      problem([...base, 'max_words'], `max_words ${pool.max_words} is below min_words ${pool.min_words}`);
    }
    if (pool.kind === 'fixed') {
      const seen = new Map<string, number>();
      pool.items.forEach((item, i) => {
        if (seen.has(item.id)) problem([...base, 'items', i, 'id'], `duplicate item id '${item.id}' (also items[${seen.get(item.id)}])`);
        else seen.set(item.id, i);
        if (!item.label && !pool.label) problem([...base, 'items', i], 'no label: give the item or the pool a label (source: human or machine)');
      });
    }
    if (pool.kind === 'import' && !pool.label && !gpt2OutputDatasetLabel(pool.file)) {
      problem([...base, 'file'], `a label is required: the file name '${pool.file}' is not a gpt-2-output-dataset name (webtext.*, small-117M*, medium-345M*, large-762M*, xl-1542M*)`);
    }
    if (pool.kind === 'generated' && !Array.isArray(pool.prompts)) {
      const ref = pool.prompts.pool;
      const target = protocol.pools[ref];
      if (!target) problem([...base, 'prompts', 'pool'], unknownPool(ref, new Set(Object.keys(protocol.pools))));
      else if (ref === id) problem([...base, 'prompts', 'pool'], 'a generated pool cannot prompt itself');
      else if (target.kind === 'generated' || target.kind === 'probe') {
        problem([...base, 'prompts', 'pool'], `prompts come from pool '${ref}', which is itself generated: prompts must come from fixed, imported or corpus texts`);
      }
    }
    if (pool.kind === 'probe') {
      // Each model's samples go to their own file, named by the model.
      const seenModels = new Map<string, number>();
      pool.models.forEach((m, mi) => {
        if (seenModels.has(m.model)) problem([...base, 'models', mi], `model '${m.model}' is listed twice (also models[${seenModels.get(m.model)}])`);
        else seenModels.set(m.model, mi);
      });
      pool.templates.forEach((t, ti) => {
        for (const name of templateSlots(t)) {
          if (!Object.hasOwn(pool.slots, name)) problem([...base, 'templates', ti], `the template uses slot {${name}}, which 'slots' does not declare (declared: ${Object.keys(pool.slots).join(', ') || 'none'})`);
        }
      });
    }
    if ((pool.kind === 'generated' || pool.kind === 'probe') && pool.sampling.min_new_tokens > pool.sampling.max_new_tokens) {
      problem([...base, 'sampling', 'min_new_tokens'], `min_new_tokens ${pool.sampling.min_new_tokens} is above max_new_tokens ${pool.sampling.max_new_tokens}`);
    }
    if (pool.kind === 'generated' && pool.include_prompt && (Array.isArray(pool.prompts) || !('sentences' in pool.prompts))) {
      problem([...base, 'include_prompt'], 'include_prompt needs prompts taken by whole sentences ({pool, sentences: k}) so the boundary is a sentence index');
    }
  }
}

/** An import must name a file that is there, or the study cannot start. */
function checkImportFiles(protocol: Protocol, protocolFile: string, problem: Report): void {
  for (const [id, pool] of Object.entries(protocol.pools)) {
    if (pool.kind !== 'import') continue;
    const path = resolveProtocolFile(protocolFile, pool.file);
    if (!existsSync(path)) problem(['pools', id, 'file'], `no such file '${pool.file}' (looked next to the protocol and in ${process.cwd()})`);
  }
}

function checkConditions(protocol: Protocol, poolIds: Set<string>, problem: Report): void {
  const cov = protocol.design.coverage;
  if (cov) {
    const pool = protocol.pools[cov.pool];
    if (!pool) problem(['design', 'coverage', 'pool'], unknownPool(cov.pool, poolIds));
    else if (!poolSize(pool)) problem(['design', 'coverage', 'pool'], `pool '${cov.pool}' has no size known from the protocol (give an import pool n, or use a fixed, corpus, generated or probe pool)`);
    else if (protocol.design.conditions.some((c) => !c.items)) problem(['design', 'conditions'], 'a coverage design derives its conditions: give conditions or coverage, not both');
  } else if (protocol.design.conditions.length === 0) {
    problem(['design', 'conditions'], 'at least one condition (or a coverage design)');
  }
  const seen = new Map<string, number>();
  protocol.design.conditions.forEach((c, ci) => {
    const base: PathSegment[] = ['design', 'conditions', ci];
    if (seen.has(c.id)) problem([...base, 'id'], `duplicate condition id '${c.id}' (also conditions[${seen.get(c.id)}])`);
    else seen.set(c.id, ci);
    c.pools.forEach((p, k) => {
      if (!poolIds.has(p)) problem([...base, 'pools', k], unknownPool(p, poolIds));
    });
  });
}

function checkLexicons(protocol: Protocol, poolIds: Set<string>, problem: Report): void {
  const lexicons = protocol.lexicons ?? {};
  for (const [name, lexicon] of Object.entries(lexicons)) {
    lexicon.pools?.forEach((p, k) => {
      if (!poolIds.has(p)) problem(['lexicons', name, 'pools', k], unknownPool(p, poolIds));
    });
  }
  // A categorize question tied to a lexicon offers exactly its categories, so people and lexicon can be compared.
  const pages: [readonly Question[], PathSegment[]][] = protocol.phases.flatMap((ph, pi): [readonly Question[], PathSegment[]][] => {
    if (ph.kind === 'trials') return ph.blocks.map((b, bi) => [b.questions, ['phases', pi, 'blocks', bi, 'questions']]);
    return 'questions' in ph ? [[ph.questions, ['phases', pi, 'questions']]] : [];
  });
  for (const [questions, base] of pages) {
    questions.forEach((q, qi) => {
      const name = q.type === 'categorize' ? (q as { lexicon?: unknown }).lexicon : undefined;
      if (typeof name !== 'string') return;
      const lexicon = Object.hasOwn(lexicons, name) ? lexicons[name] : undefined;
      if (!lexicon) {
        problem([...base, qi, 'lexicon'], `no lexicon '${name}' (lexicons: ${Object.keys(lexicons).join(', ') || 'none'})`);
        return;
      }
      const cats = ((q as { categories?: unknown }).categories ?? []) as (string | { value: string })[];
      const asked = new Set(cats.map((c) => (typeof c === 'string' ? c : c.value)));
      const declared = Object.keys(lexicon.categories);
      if (asked.size !== declared.length || declared.some((c) => !asked.has(c))) {
        problem([...base, qi, 'categories'], `the categories must be those of lexicon '${name}': ${declared.join(', ')}`);
      }
    });
  }
}

function checkPhaseOrder(protocol: Protocol, problem: Report): void {
  const first = protocol.phases[0];
  if (first.kind !== 'consent') problem(['phases', 0, 'kind'], `the first phase must be consent, found '${first.kind}'`);
  protocol.phases.forEach((p, i) => {
    if (p.kind === 'consent' && i > 0) problem(['phases', i, 'kind'], 'consent must come first, and only once');
  });
  if (!protocol.phases.some((p) => p.kind === 'debrief')) problem(['phases'], 'a debrief phase is required');
}

/** The questions of one page: known types, valid parameters, unique ids. */
function checkQuestions(questions: readonly Question[], base: PathSegment[], problem: Report, seen = new Map<string, string>()): void {
  questions.forEach((q, qi) => {
    const qp: PathSegment[] = [...base, qi];
    checkQuestion(q, qp, problem);
    const where = qp.map((s) => (typeof s === 'number' ? `[${s}]` : `.${s}`)).join('').replace(/^\./, '');
    if (seen.has(q.id)) problem([...qp, 'id'], `duplicate question id '${q.id}' on this page (also ${seen.get(q.id)})`);
    else seen.set(q.id, where);
  });
}

function checkQuestion(q: Question, qp: PathSegment[], problem: Report): void {
  if (!isProtocolType(q.type)) {
    const why = Object.hasOwn(questionTypes, q.type) ? `question type '${q.type}' is added by the engine itself and cannot be asked by a protocol` : `unknown question type '${q.type}'`;
    problem([...qp, 'type'], `${why} (known: ${protocolTypeNames().join(', ')})`);
    return;
  }
  const parsed = getQuestionType(q.type).params.safeParse(questionParams(q));
  if (!parsed.success) for (const p of flattenIssues(parsed.error.issues, qp)) problem(p.path, p.message);
}

function checkTrials(
  protocol: Protocol,
  phase: Extract<Protocol['phases'][number], { kind: 'trials' }>,
  base: PathSegment[],
  poolIds: Set<string>,
  problem: Report,
): void {
  const blockIds = new Map<string, number>();
  phase.blocks.forEach((block, bi) => {
    const bp: PathSegment[] = [...base, 'blocks', bi];
    if (block.id !== undefined) {
      if (blockIds.has(block.id)) problem([...bp, 'id'], `duplicate block id '${block.id}' (also blocks[${blockIds.get(block.id)}])`);
      else blockIds.set(block.id, bi);
    }
    checkQuestions(block.questions, [...bp, 'questions'], problem);
    const conditionIds = new Set(protocol.design.conditions.map((c) => c.id));
    const forBlock = (c: { id: string }) => forCondition(phase.conditions, c.id) && forCondition(block.conditions, c.id);
    block.conditions?.forEach((c, k) => {
      if (!conditionIds.has(c)) problem([...bp, 'conditions', k], `no condition '${c}' (conditions: ${[...conditionIds].join(', ')})`);
    });

    let poolsOk = true;
    block.pools.forEach((p, k) => {
      if (p === '$condition') {
        const empty = protocol.design.conditions.filter(forBlock).filter((c) => c.pools.length === 0).map((c) => c.id);
        if (empty.length > 0) {
          problem([...bp, 'pools', k], `'$condition' needs pools in every condition; ${empty.map((e) => `'${e}'`).join(', ')} list${empty.length === 1 ? 's' : ''} none`);
          poolsOk = false;
        }
      } else if (!poolIds.has(p)) {
        problem([...bp, 'pools', k], unknownPool(p, poolIds));
        poolsOk = false;
      }
    });
    if (!poolsOk) return;

    // The design must be feasible in every condition the block can meet.
    const usesCondition = block.pools.includes('$condition');
    const meets = protocol.design.conditions.filter(forBlock);
    const conditions = usesCondition ? meets : meets.slice(0, 1);
    for (const c of conditions) {
      const ids = blockPools(block.pools, c.pools).filter((p) => poolIds.has(p));
      const where = usesCondition ? ` in condition '${c.id}'` : '';
      const pools: Pool[] = ids.map((p) => protocol.pools[p]);
      const sizes = pools.map(poolSize);
      const total = sizes.every((s) => s !== null) ? (sizes as number[]).reduce((a, b) => a + b, 0) : null;
      if (block.sample !== undefined && total !== null && block.sample > total) {
        problem([...bp, 'sample'], `sample ${block.sample} is more than the ${total} stimuli in ${ids.map((p) => `'${p}'`).join(', ')}${where}`);
        continue;
      }
      if (block.balance) checkBalance(block, ids, pools, total, [...bp, 'balance', 'by'], where, problem);
      checkSources(protocol, block, ids, total, bp, where, problem);
      if (block.questions.some((q) => q.type === 'boundary')) {
        const bad = ids.filter((p) => {
          const pool = protocol.pools[p];
          return !(pool.kind === 'generated' && pool.include_prompt);
        });
        if (bad.length > 0) {
          problem([...bp, 'pools'], `a boundary question needs passages with a known boundary (generated pools with include_prompt); ${bad.map((b) => `'${b}'`).join(', ')}${where} ha${bad.length === 1 ? 's' : 've'} none`);
        }
      }
    }
  });

  phase.attention_checks.forEach((check, ai) => {
    const ap: PathSegment[] = [...base, 'attention_checks', ai, 'question'];
    checkQuestion(check.question, ap, problem);
    if (check.question.type !== 'attention' && Object.hasOwn(questionTypes, check.question.type)) {
      problem([...ap, 'type'], `an attention check asks an attention question (with an expected answer), not '${check.question.type}'`);
    }
  });
}

/**
 * Two stimuli of one source text (a human text and its continuation, two RoFT
 * passages cut from one story) shown to one participant give the answer away.
 * A block that could draw two of them must say `distinct_by: source`, and then
 * must have as many distinct sources (or values) as it samples.
 */
function checkSources(
  protocol: Protocol,
  block: { sample?: number; distinct_by?: string },
  ids: string[],
  total: number | null,
  bp: PathSegment[],
  where: string,
  problem: Report,
): void {
  const perPool = ids.map((p) => poolSources(protocol, p));
  const sources = perPool.every((s) => s !== null) ? (perPool as string[][]).flat() : null;
  const shown = block.sample ?? total;
  if (block.distinct_by === undefined) {
    if (sources === null || shown === null || shown < 2) return;
    const distinct = new Set(sources).size;
    if (distinct < sources.length) {
      const shared = [...new Set(ids.flatMap((p) => {
        const pool = protocol.pools[p];
        return pool.kind === 'generated' && !Array.isArray(pool.prompts) ? [pool.prompts.pool] : [];
      }))];
      problem(
        [...bp, block.sample !== undefined ? 'sample' : 'pools'],
        `one participant could see two stimuli from the same source text (${ids.map((p) => `'${p}'`).join(', ')}${where} hold ${sources.length} stimuli from ${distinct} source texts${shared.length ? `, via ${shared.map((p) => `'${p}'`).join(', ')}` : ''}): add distinct_by: source`,
      );
    }
    return;
  }
  if (shown === null) return;
  let distinct: number | null = null;
  if (block.distinct_by === 'source') distinct = sources === null ? null : new Set(sources).size;
  else {
    const labels = ids.map((p) => poolLabels(protocol.pools[p]));
    if (labels.every((l) => l !== null)) distinct = new Set((labels.flat() as Record<string, unknown>[]).map((l) => String(l[block.distinct_by!] ?? ''))).size;
  }
  if (distinct !== null && distinct < shown) {
    problem(
      [...bp, 'distinct_by'],
      `distinct_by: ${block.distinct_by} leaves ${distinct} distinct value${distinct === 1 ? '' : 's'} in ${ids.map((p) => `'${p}'`).join(', ')}${where}, but the block shows ${shown}`,
    );
  }
}

function checkBalance(
  block: { sample?: number; balance?: { by: string } },
  ids: string[],
  pools: Pool[],
  total: number | null,
  path: PathSegment[],
  where: string,
  problem: Report,
): void {
  const by = block.balance!.by;
  const labels = pools.map(poolLabels);
  if (labels.some((l) => l === null)) return; // sizes or labels known only once the files are read
  const groups = new Map<string, number>();
  for (const l of labels.flat() as Record<string, unknown>[]) {
    const v = l[by];
    const key = v === undefined ? '(none)' : String(v);
    groups.set(key, (groups.get(key) ?? 0) + 1);
  }
  if (groups.size < 2) {
    problem(path, `cannot balance by '${by}': every stimulus in ${ids.map((p) => `'${p}'`).join(', ')}${where} has ${by} = ${[...groups.keys()][0] ?? '(none)'}`);
    return;
  }
  const n = block.sample ?? total!;
  const k = groups.size;
  if (n % k !== 0) {
    problem(path, `cannot balance ${n} stimuli evenly over the ${k} values of '${by}' (${[...groups.keys()].join(', ')})${where}`);
    return;
  }
  const short = [...groups].filter(([, count]) => count < n / k);
  if (short.length > 0) {
    problem(path, `cannot balance by '${by}'${where}: ${n / k} of each value are needed, but ${short.map(([v, c]) => `${v} has ${c}`).join(', ')}`);
  }
}

/**
 * When the schema already failed, the typed cross-checks cannot run; this still
 * checks every question that has a type (unknown types, bad parameters), so one
 * validate run reports those too.
 */
export function crossCheckQuestionsLoosely(raw: unknown): RawProblem[] {
  const out: RawProblem[] = [];
  const problem = (path: PathSegment[], message: string) => out.push({ path, message });
  const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
  const eachQuestion = (list: unknown, base: PathSegment[]) => {
    if (!Array.isArray(list)) return;
    list.forEach((q, i) => {
      if (isObj(q) && typeof q.type === 'string') checkQuestion(q as Question, [...base, i], problem);
    });
  };
  const phases = isObj(raw) ? raw.phases : undefined;
  if (!Array.isArray(phases)) return out;
  phases.forEach((phase, pi) => {
    if (!isObj(phase)) return;
    const base: PathSegment[] = ['phases', pi];
    eachQuestion(phase.questions, [...base, 'questions']);
    if (phase.kind === 'comprehension' && Array.isArray(phase.questions)) {
      phase.questions.forEach((q, qi) => {
        if (isObj(q) && typeof q.type === 'string' && q.type !== 'comprehension') {
          problem([...base, 'questions', qi, 'type'], `a comprehension phase asks comprehension questions (with expected answers), not '${q.type}'`);
        }
      });
    }
    if (Array.isArray(phase.blocks)) phase.blocks.forEach((b, bi) => isObj(b) && eachQuestion(b.questions, [...base, 'blocks', bi, 'questions']));
    if (Array.isArray(phase.attention_checks)) {
      phase.attention_checks.forEach((c, ci) => {
        if (isObj(c) && isObj(c.question) && typeof c.question.type === 'string') {
          checkQuestion(c.question as Question, [...base, 'attention_checks', ci, 'question'], problem);
        }
      });
    }
  });
  return out;
}
