// One YAML file → a checked, versioned study. Every problem is reported at
// once, each with the file:line:column of the YAML node it is about and the
// field path, so a researcher fixes a protocol in one pass. The version is the
// hash of the normalised protocol (parsed, defaults filled in, keys sorted), so
// re-formatting the YAML keeps the version and any change of content makes a
// new one.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document } from 'yaml';
import { ProtocolSchema, type Protocol } from './protocol.ts';
import { withCoverage } from './coverage.ts';
import { crossCheck, crossCheckQuestionsLoosely } from './checks.ts';
import { flattenIssues, formatPath, type PathSegment, type RawProblem } from './issues.ts';
import { resolveProtocolFile } from './pools.ts';
import { stableStringify } from './stable-json.ts';

export { flattenIssues, formatPath, resolveProtocolFile, type PathSegment, type RawProblem };

export interface Problem {
  file: string;
  line: number;
  column: number;
  /** Field path, e.g. `phases[2].blocks[0].questions[1].type` (empty for the whole file). */
  path: string;
  message: string;
}

export class ProtocolError extends Error {
  problems: Problem[];
  constructor(problems: Problem[]) {
    super(problems.length === 1 ? formatProblem(problems[0]) : `${problems.length} problems:\n${problems.map(formatProblem).join('\n')}`);
    this.name = 'ProtocolError';
    this.problems = problems;
  }
  /** One problem per line: `file:line:column  path  message`. */
  format(): string {
    return this.problems.map(formatProblem).join('\n');
  }
}

export function formatProblem(p: Problem): string {
  return `${p.file}:${p.line}:${p.column}  ${p.path || '(file)'}  ${p.message}`;
}

export interface LoadedStudy {
  protocol: Protocol;
  /** sha256 hex of the normalised protocol. */
  version: string;
  /** Absolute path of the protocol file. */
  file: string;
}

/** The shipped studies folder (this file's folder). */
export const STUDIES_DIR = dirname(fileURLToPath(import.meta.url));

/**
 * STUDY is an id (the file name without .yaml, looked up in studiesDir) or the
 * path of a file. Throws a ProtocolError when neither exists.
 */
export function resolveStudyPath(arg: string, studiesDir: string = STUDIES_DIR): string {
  const looksLikePath = /[\\/]/.test(arg) || /\.ya?ml$/i.test(arg);
  const candidates = looksLikePath ? [resolve(arg)] : [join(studiesDir, `${arg}.yaml`), join(studiesDir, `${arg}.yml`), resolve(arg)];
  for (const c of candidates) if (existsSync(c) && statSync(c).isFile()) return c;
  throw new ProtocolError([
    { file: arg, line: 0, column: 0, path: '', message: `no such study: looked for ${candidates.join(', ')}` },
  ]);
}

export interface LoadOptions {
  studiesDir?: string;
}

/** Reads, parses and checks a study; throws ProtocolError listing every problem. */
export function loadStudy(arg: string, opts: LoadOptions = {}): LoadedStudy {
  const file = resolveStudyPath(arg, opts.studiesDir);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ProtocolError([{ file, line: 0, column: 0, path: '', message: `cannot read: ${(err as Error).message}` }]);
  }
  const r = checkProtocolText(text, file);
  if (!r.ok) throw new ProtocolError(r.problems);
  return r.study;
}

export type CheckResult = { ok: true; study: LoadedStudy } | { ok: false; problems: Problem[] };

/** Checks protocol text as if it were the file `file` (its name must equal the protocol id). */
export function checkProtocolText(text: string, file: string): CheckResult {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number) => lineCounter.linePos(offset);

  if (doc.errors.length > 0) {
    return {
      ok: false,
      problems: doc.errors.map((e) => {
        const pos = e.linePos?.[0] ?? at(e.pos[0]);
        return { file, line: pos.line, column: pos.col, path: '', message: `YAML: ${e.message.split('\n')[0]}` };
      }),
    };
  }

  const place = (path: PathSegment[], message: string): Problem => {
    const { offset } = locate(doc, path);
    const pos = at(offset);
    return { file, line: pos.line, column: pos.col, path: formatPath(path), message };
  };

  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    // e.g. an alias bomb: refuse rather than expand it.
    return { ok: false, problems: [{ file, line: 1, column: 1, path: '', message: `YAML: ${(err as Error).message}` }] };
  }
  const parsed = ProtocolSchema.safeParse(raw ?? {});
  if (!parsed.success) {
    const problems = [...flattenIssues(parsed.error.issues), ...crossCheckQuestionsLoosely(raw)].map((i) => place(i.path, i.message));
    // The id must match the file name even when the rest is broken: it is the commonest copy-paste slip.
    const idProblem = idMatchesFile(raw, file);
    if (idProblem) problems.push(place(idProblem.path, idProblem.message));
    return { ok: false, problems: sortProblems(problems) };
  }

  const protocol = withCoverage(parsed.data);
  const raws: RawProblem[] = [];
  const idProblem = idMatchesFile(raw, file);
  if (idProblem) raws.push(idProblem);
  raws.push(...crossCheck(protocol, { file }));
  if (raws.length > 0) return { ok: false, problems: sortProblems(raws.map((r) => place(r.path, r.message))) };

  return { ok: true, study: { protocol, version: protocolVersion(protocol), file } };
}

function idMatchesFile(raw: unknown, file: string): RawProblem | null {
  const id = (raw as { id?: unknown } | null)?.id;
  const expected = basename(file, extname(file));
  if (typeof id === 'string' && id !== expected) {
    return { path: ['id'], message: `the id '${id}' must equal the file name '${expected}'` };
  }
  return null;
}

function sortProblems(problems: Problem[]): Problem[] {
  const seen = new Set<string>();
  return problems
    .filter((p) => {
      const k = `${p.line}:${p.column}:${p.path}:${p.message}`;
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    })
    .sort((a, b) => a.line - b.line || a.column - b.column);
}

/** The study version: sha256 of the normalised protocol with keys sorted. */
export function protocolVersion(protocol: Protocol): string {
  return createHash('sha256').update(stableStringify(protocol)).digest('hex');
}


/**
 * The source offset of the YAML node a path points at: a map entry's key (the
 * line a reader looks for), a sequence item's start; when the path goes past
 * what exists (a missing field), the nearest existing parent.
 */
export function locate(doc: Document, path: readonly PathSegment[]): { offset: number; exact: boolean } {
  let node: unknown = doc.contents;
  let offset = rangeStart(node) ?? 0;
  for (const seg of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg));
      if (!pair) return { offset, exact: false };
      offset = rangeStart(pair.key) ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof seg === 'number' && seg < node.items.length) {
      node = node.items[seg];
      offset = rangeStart(node) ?? offset;
    } else {
      return { offset, exact: false };
    }
  }
  return { offset, exact: true };
}

function rangeStart(node: unknown): number | undefined {
  const range = (node as { range?: [number, number, number] } | null)?.range;
  return range ? range[0] : undefined;
}
