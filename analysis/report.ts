// The report: every table and figure of the analysis in one self-contained
// HTML page (inline SVG, inline CSS, no scripts, no network), and the same
// pieces separately for the /admin dashboard.
import type { AnalysisInput, AnalysisOptions, AnalysisResult } from './analyze.ts';
import { analyzeStudy } from './analyze.ts';
import { resultTables, type Table } from './tables.ts';
import { renderFigures, type Figure } from './figures.ts';
import { buildMetadata, type Metadata } from './export/metadata.ts';

export interface ReportInput extends AnalysisInput {
  /** The software and version that made the report (the caller knows it; analysis imports nothing of the server). */
  software: string;
  /** Protocol hashes to record besides those seen in the rows. */
  versions?: string[];
}

export interface Report {
  result: AnalysisResult;
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
  return { result, tables, figures, metadata, html: reportHtml(result, tables, figures, metadata) };
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

export function tableHtml(t: Table): string {
  const head = t.columns.map((c) => `<th>${escapeHtml(c)}</th>`).join('');
  const body = t.rows.map((r) => `<tr>${r.map((v) => `<td${typeof v === 'number' ? ' class="n"' : ''}>${v == null ? '' : escapeHtml(String(v))}</td>`).join('')}</tr>`).join('\n');
  return `<div class="scroll"><table id="t-${escapeHtml(t.name)}"><caption>${escapeHtml(t.title)}</caption><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table></div>`;
}

/** Figures' SVG is vega's own output from our numbers; user-provided strings in it are escaped by vega. */
export function figureHtml(f: Figure): string {
  return `<figure id="f-${escapeHtml(f.name)}">${f.svg}<figcaption>${escapeHtml(f.title)}</figcaption></figure>`;
}

const CSS = `body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:72rem;padding:0 1rem;color:#222}
table{border-collapse:collapse;margin:1rem 0 2rem;font-size:12px}caption{text-align:left;font-weight:600;padding:.3rem 0}
th,td{border:1px solid #ccc;padding:.2rem .45rem}td.n{text-align:right;font-variant-numeric:tabular-nums}
figure{display:inline-block;margin:1rem 1rem 2rem 0;vertical-align:top}figcaption{font-size:12px;color:#555}
div.scroll{overflow-x:auto}dl{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem}dt{font-weight:600}code{font-size:12px}`;

export function reportHtml(res: AnalysisResult, tables: Table[], figures: Figure[], meta: Metadata): string {
  const section = (title: string, prefix: string[]) => {
    const ts = tables.filter((t) => prefix.some((p) => t.name.startsWith(p)));
    const fs = figures.filter((f) => prefix.some((p) => f.name.startsWith(p)));
    if (!ts.length && !fs.length) return '';
    return `<section><h2>${escapeHtml(title)}</h2>\n${fs.map(figureHtml).join('\n')}\n${ts.map(tableHtml).join('\n')}</section>`;
  };
  const modelList = meta.models.map((m) => `${m.role} ${m.name}: ${m.hash}`).join('; ') || 'none recorded';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(res.title)} — Credence report</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><style>${CSS}</style></head>
<body>
<h1>${escapeHtml(res.title)}</h1>
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
${section('Detectors beside people', ['detectors', 'detector_groups', 'people_vs_detectors', 'tfidf_transfer'])}
${res.notes.map((n) => `<p class="note">${escapeHtml(n)}</p>`).join('\n')}
${res.unlabelled ? `<p>${res.unlabelled} judgments or boundary picks had no labelled stimulus and are not analysed.</p>` : ''}
<section><h2>Methods</h2><p>Means with Student t and seeded percentile-bootstrap (2,000 resamples) 95% intervals; proportions with Wilson intervals; pairwise Welch t and Mann–Whitney U (exact under 50 per group without ties, else the normal approximation with tie and continuity corrections, as R) tests, each Holm-adjusted within its item; Cohen's d (pooled SD) and Cliff's delta. Detection: exact binomial test against 0.5; d′ and c with "machine" as the signal and the log-linear correction on every cell (Hautus 1995); AUROC with DeLong intervals; Krippendorff's alpha over texts judged by two or more people. RoFT: exact rate against 1 / sentences; points 5 for exact, max(0, 5 − distance) after, 0 before. Detectors: probabilities cut at 0.5; other scores at the accuracy-maximising cut chosen on a seeded half and evaluated on the other half ("split"), with the all-data ("oracle") cut beside it.</p></section>
</body></html>
`;
}
