// zod issues and cross-check findings as (field path, message) pairs, in the
// words a protocol author needs: which field, what was expected.
import type { ZodIssue } from 'zod';

export type PathSegment = string | number;

/** A cross-check's finding, before it is placed in the file. */
export interface RawProblem {
  path: PathSegment[];
  message: string;
}

export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out ? `.${seg}` : seg;
  }
  return out;
}

/** zod issues as (path, message), unions resolved to their closest branch, unknown keys one by one. */
export function flattenIssues(issues: readonly ZodIssue[], prefix: PathSegment[] = []): RawProblem[] {
  const out: RawProblem[] = [];
  for (const issue of issues) {
    const path = [...prefix, ...issue.path];
    if (issue.code === 'invalid_union') {
      out.push(...flattenIssues(closestBranch(issue.unionErrors.map((e) => e.issues), issue.path.length), prefix));
      continue;
    }
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) out.push({ path: [...path, key], message: `unknown key '${key}'` });
      continue;
    }
    out.push({ path, message: describeIssue(issue) });
  }
  return out;
}

/** The union branch the author most likely meant: the one that got furthest (deepest first issue), then with fewest issues. */
function closestBranch(branches: ZodIssue[][], unionDepth: number): ZodIssue[] {
  const depth = (issues: ZodIssue[]) => Math.max(...issues.map((i) => i.path.length + (i.code === 'unrecognized_keys' ? 0.5 : 0)));
  const typeOnly = (issues: ZodIssue[]) => issues.length === 1 && issues[0].code === 'invalid_type' && issues[0].path.length === unionDepth;
  return branches
    .slice()
    .sort((a, b) => Number(typeOnly(a)) - Number(typeOnly(b)) || depth(b) - depth(a) || a.length - b.length)[0];
}

function describeIssue(issue: ZodIssue): string {
  if (issue.code === 'invalid_type') {
    if (issue.received === 'undefined') {
      const last = issue.path[issue.path.length - 1];
      return `missing required field${typeof last === 'string' ? ` '${last}'` : ''} (expected ${issue.expected})`;
    }
    return `expected ${issue.expected}, got ${issue.received}`;
  }
  if (issue.code === 'invalid_union_discriminator') {
    return `expected one of ${issue.options.map((o) => `'${String(o)}'`).join(', ')}`;
  }
  if (issue.code === 'invalid_enum_value') {
    return `'${String(issue.received)}' is not one of ${issue.options.map((o) => `'${String(o)}'`).join(', ')}`;
  }
  return issue.message;
}


/** One zod issue as a line for an edge that answers with one error (a socket event, a REST body, an option). */
export interface IssueLine {
  /** `field: message`, or `root: message` when the issue is about the whole value, or the bare message without a root. */
  error: string;
  message: string;
  /** The dotted path of the field, when the issue is about one. */
  field?: string;
}

export interface IssueLineOptions {
  /** Names the whole value when the issue has no path (e.g. 'payload', an environment variable). */
  root?: string;
  /** Path segments put before the issue's own (e.g. ['answers', questionId]). */
  prefix?: readonly PathSegment[];
}

/** The one formatter of zod issues for one-line errors; dotted paths, as the wire's `field` names them. */
export function issueLine(issue: ZodIssue, opts: IssueLineOptions = {}): IssueLine {
  const field = [...(opts.prefix ?? []), ...issue.path].join('.');
  const where = field || opts.root;
  return { error: where ? `${where}: ${issue.message}` : issue.message, message: issue.message, ...(field ? { field } : {}) };
}

/** The first issue of a failed parse as one line. */
export function firstIssue(error: { issues: readonly ZodIssue[] }, opts: IssueLineOptions = {}): IssueLine {
  return issueLine(error.issues[0], opts);
}

/** Every issue of a failed parse, `; `-separated. */
export function issuesText(error: { issues: readonly ZodIssue[] }, opts: IssueLineOptions = {}): string {
  return error.issues.map((i) => issueLine(i, opts).error).join('; ');
}
