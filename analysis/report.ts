// The report: every table and figure of the analysis in one self-contained
// HTML page (inline SVG, inline CSS, no scripts, no network), and the same
// pieces separately for the /admin dashboard.
import type { AnalysisInput, AnalysisOptions, AnalysisResult } from './analyze.ts';
import { analyzeStudy } from './analyze.ts';
import { resultTables, type Table } from './tables.ts';
import { renderFigures, type Figure } from './figures.ts';
import { figureFileNames } from './figure-files.ts';
import { headlines, type Headline } from './headline.ts';
import { isPlannedAnalysis, preregCompliance, preregPlan, type Compliance } from './prereg.ts';
import { escapeHtml } from './escape-html.ts';
import { apaP, count, sig3 } from './apa.ts';
import { buildMetadata, type Metadata } from './export/metadata.ts';
import type { ParticipantRow } from './rows.ts';

export interface ReportInput extends AnalysisInput {
  /** Whole rows: the metadata records each participant's protocol version. */
  participants: readonly ParticipantRow[];
  /** The software and version that made the report (the caller knows it; analysis imports nothing of the server). */
  software: string;
  /** Protocol hashes to record besides those seen in the rows. */
  versions?: string[];
  /** Link each figure to NAME.svg and NAME.png beside report.html (figure-files.ts writes them). */
  linkFigureFiles?: boolean;
}

export interface Report {
  result: AnalysisResult;
  headlines: Headline[];
  /** The run against the plan its protocol implies (prereg.ts). */
  compliance: Compliance;
  tables: Table[];
  figures: Figure[];
  metadata: Metadata;
  html: string;
}

export async function buildReport(input: ReportInput, opts: AnalysisOptions = {}): Promise<Report> {
  const result = analyzeStudy(input, opts);
  const tables = resultTables(result);
  const figures = await renderFigures(result);
  const metadata = buildMetadata({
    study: input.study,
    versions: [...(input.versions ?? []), ...result.studyVersions],
    participants: input.participants,
    stimuli: input.stimuli,
    scores: input.scores,
    software: input.software,
    analysisSeed: opts.seed,
    responses: result.responses,
  });
  const heads = headlines(result);
  const plan = preregPlan(input.study, metadata.protocol_hashes[metadata.protocol_hashes.length - 1] ?? '');
  const compliance = preregCompliance(result, plan);
  const links: FigureLinks | undefined = input.linkFigureFiles ? new Map(figures.map((f) => [f.name, figureFileNames(f.name)])) : undefined;
  return { result, headlines: heads, compliance, tables, figures, metadata, html: reportHtml(result, heads, tables, figures, metadata, links, compliance) };
}

/** Where each figure's SVG and PNG files are, relative to report.html (written by figure-files.ts). */
export type FigureLinks = Map<string, { svg: string; png: string }>;

export { escapeHtml };

/** A p-value column: APA's "< .001" / ".038". */
const isPColumn = (c: string) => /(^|_)p(_|$)/.test(c);

/** A number as APA prints it: p-values without the leading zero, counts grouped, the rest to three significant digits. */
export function apaCell(column: string, v: number): string {
  if (isPColumn(column)) return apaP(v);
  if (Number.isInteger(v)) return count(v);
  return sig3(v);
}

export function tableHtml(t: Table): string {
  const head = t.columns.map((c) => `<th scope="col">${escapeHtml(c)}</th>`).join('');
  // Each distinct reason for an empty cell gets a letter, explained under the table.
  const reasons: string[] = [];
  const mark = (why: string) => {
    let i = reasons.indexOf(why);
    if (i < 0) i = reasons.push(why) - 1;
    return String.fromCharCode(97 + (i % 26)) + (i >= 26 ? String(Math.floor(i / 26)) : '');
  };
  const body = t.rows
    .map((r, i) =>
      `<tr>${r
        .map((v, j) => {
          if (v == null) {
            const why = t.why[i]?.[j] ?? 'not estimable';
            return `<td class="blank" title="${escapeHtml(why)}">—<sup>${mark(why)}</sup></td>`;
          }
          return typeof v === 'number' ? `<td class="n">${apaCell(t.columns[j], v)}</td>` : `<td>${escapeHtml(String(v))}</td>`;
        })
        .join('')}</tr>`,
    )
    .join('\n');
  const notes = reasons.length ? `<p class="table-note">${reasons.map((why, i) => `<sup>${mark(why)}</sup> ${escapeHtml(why)}`).join('; ')}.</p>` : '';
  const empty = t.rows.length === 0 ? `<p class="table-note">No rows yet.</p>` : '';
  const exploratory = isPlannedAnalysis(t.name) ? '' : '<span class="exploratory">Exploratory: </span>';
  return `<div class="scroll"><table id="t-${escapeHtml(t.name)}"><caption>${exploratory}${escapeHtml(t.title)}</caption><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table></div>${notes}${empty}`;
}

/**
 * Figures' SVG is vega's own output from our numbers (strings in it are
 * escaped by vega); it carries the title and description as <title>/<desc>
 * (figures.ts), and the caption repeats them for every reader.
 */
export function figureHtml(f: Figure, n: number, links?: { svg: string; png: string }): string {
  const files = links ? ` <span class="files"><a href="${escapeHtml(links.svg)}">SVG</a> · <a href="${escapeHtml(links.png)}">PNG</a></span>` : '';
  const exploratory = isPlannedAnalysis(f.name) ? '' : ' <span class="exploratory">Exploratory.</span>';
  return `<figure id="f-${escapeHtml(f.name)}">${f.svg}<figcaption><strong class="figure-title">Figure ${n}. ${escapeHtml(f.title)}</strong>${exploratory} <span class="figure-description">${escapeHtml(f.description)}</span>${files}</figcaption></figure>`;
}

// Nothing may push the page wider than the window: figures scale down, wide
// tables scroll inside their own box, long words and hashes wrap.
const CSS = `*{box-sizing:border-box}body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:72rem;padding:0 1rem;color:#222;overflow-wrap:anywhere}
table{border-collapse:collapse;margin:1rem 0 .3rem;font-size:12px}caption{text-align:left;font-weight:600;padding:.3rem 0}
th,td{border:1px solid #ccc;padding:.2rem .45rem;vertical-align:top}th{overflow-wrap:normal}td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}td.blank{text-align:center;color:#777}
.table-note{font-size:12px;color:#555;margin:0 0 2rem}
figure{display:block;margin:1rem 0 2rem;max-width:100%}figure svg{max-width:100%;height:auto}figcaption{font-size:12px;color:#444;max-width:48rem}
.headlines li{margin:.35rem 0}.exploratory{color:#8a4b00}
div.scroll{overflow-x:auto;max-width:100%}dl{display:grid;grid-template-columns:max-content minmax(0,1fr);gap:.2rem 1rem}dt{font-weight:600}code{font-size:12px}`;

export function reportHtml(res: AnalysisResult, heads: Headline[], tables: Table[], figures: Figure[], meta: Metadata, links?: FigureLinks, compliance?: Compliance): string {
  const figureNumber = new Map(figures.map((f, i) => [f.name, i + 1]));
  const section = (title: string, prefix: string[]) => {
    const ts = tables.filter((t) => prefix.some((p) => t.name.startsWith(p)));
    const fs = figures.filter((f) => prefix.some((p) => f.name.startsWith(p)));
    if (!ts.length && !fs.length) return '';
    return `<section><h2>${escapeHtml(title)}</h2>\n${fs.map((f) => figureHtml(f, figureNumber.get(f.name)!, links?.get(f.name))).join('\n')}\n${ts.map(tableHtml).join('\n')}</section>`;
  };
  const results = heads.length
    ? `<section id="headlines"><h2>Results</h2><ul class="headlines">${heads.map((h) => `<li data-topic="${h.topic}"${h.planned ? '' : ' class="exploratory"'}>${h.planned ? '' : '<strong>Exploratory.</strong> '}${escapeHtml(h.text)}</li>`).join('\n')}</ul></section>`
    : `<section id="headlines"><h2>Results</h2><p>No analysable answers yet.</p></section>`;
  const modelList = meta.models.map((m) => `${m.role} ${m.name}: ${m.hash}`).join('; ') || 'none recorded';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(res.title)} — Credence report</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><style>${CSS}</style></head>
<body>
<h1>${escapeHtml(res.title)}</h1>
${results}
${compliance ? `<section id="preregistration"><h2>Against the preregistration</h2><ul>${compliance.statements.map((x) => `<li>${escapeHtml(x)}</li>`).join('')}</ul><p class="table-note">The plan is the one <code>credence prereg ${escapeHtml(res.studyId)}</code> writes from this protocol. Tables and figures marked “Exploratory” are not in it.</p></section>` : ''}
<h2>Study</h2>
<dl>
<dt>study</dt><dd><code>${escapeHtml(res.studyId)}</code></dd>
<dt>protocol hash(es)</dt><dd><code>${escapeHtml(meta.protocol_hashes.join(', ') || 'none')}</code></dd>
<dt>responses</dt><dd>${res.responses} rows; ${res.exclusions.participantsTotal} participants, ${res.exclusions.participantsExcluded} excluded by the protocol's rules</dd>
<dt>models</dt><dd><code>${escapeHtml(modelList)}</code></dd>
<dt>seeds</dt><dd>design ${meta.seeds.design}; pools ${escapeHtml(JSON.stringify(meta.seeds.pools))}; analysis ${meta.seeds.analysis}; per-participant assignment seeds in the wide export</dd>
<dt>software</dt><dd>${escapeHtml(meta.software)}; generated ${escapeHtml(meta.generated_at)}</dd>
</dl>
${section('Questions', ['questions'])}
${section('Exclusions', ['exclusions', 'participant_status'])}
${section('Credibility and sharing', ['mean_', 'top_', 'scale_', 'pairwise_', 'party_'])}
${section('Human detection', ['detection'])}
${section('RoFT boundary detection', ['roft'])}
${section('Detectors beside people', ['detectors', 'detector_groups', 'people_vs_detectors', 'figure2_', 'figure1_', 'tfidf_transfer'])}
${section('Bias probes: categories by model size', ['categories_'])}
${section('Distinctive terms', ['terms_'])}
${res.notes.map((n) => `<p class="note">${escapeHtml(n)}</p>`).join('\n')}
${res.unlabelled ? `<p>${res.unlabelled} judgments or boundary picks had no labelled stimulus and are not analysed.</p>` : ''}
<section><h2>Methods</h2><p>Means with Student t and seeded percentile-bootstrap (2,000 resamples) 95% intervals; proportions with Wilson intervals; pairwise Welch t and Mann–Whitney U (exact under 50 per group without ties, else the normal approximation with tie and continuity corrections, as R) tests, each Holm-adjusted within its item; Cohen's d (pooled SD) and Cliff's delta. Detection: exact binomial test against 0.5; d′ and c with "machine" as the signal and the log-linear correction on every cell (Hautus 1995); AUROC with DeLong intervals; Krippendorff's alpha over texts judged by two or more people. RoFT: exact rate against 1 / sentences; points 5 for exact, max(0, 5 − distance) after, 0 before. Detectors: probabilities cut at 0.5; other scores at the accuracy-maximising cut chosen on a seeded half and evaluated on the other half ("split"), with the all-data ("oracle") cut beside it.</p></section>
</body></html>
`;
}
