// Figures as Vega-Lite specs rendered to SVG headless (no canvas, no browser),
// so the report embeds them inline and stays viewable offline; figure-files.ts
// writes each as SVG and PNG beside report.html.
//
// Made to read at a glance: titles are the protocol's question prompts,
// categories its condition labels, each category shows its n under its label,
// labels stay horizontal, no panel has more than six coloured series
// (MAX_SERIES; detectors are a dot plot sorted by AUROC, one row each), and the
// palette is Okabe & Ito's, which colour-blind readers can tell apart.
import * as vega from 'vega';
import * as vl from 'vega-lite';
import type { TopLevelSpec } from 'vega-lite';
import type { AnalysisResult } from './analyze.ts';
import { bestPerFamily } from './headline.ts';
import { escapeHtml } from './escape-html.ts';
import { CONFIG, MAX_SERIES, PALETTE, SCHEMA, top, withN } from './figure-style.ts';
import { termsFigureSpecs } from './terms-figure.ts';
import { categoryFigureSpecs } from './categories-figure.ts';

export { MAX_SERIES, PALETTE };

export interface Figure {
  name: string;
  title: string;
  /** One or two sentences saying what the marks are: the figure's caption and its text alternative. */
  description: string;
  spec: TopLevelSpec;
  svg: string;
}

export type FigureSpec = Omit<Figure, 'svg'>;

export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(vl.compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Estimates with intervals, one per category, with an optional dashed reference line. */
function intervalChart(title: string, subtitle: string, values: Record<string, unknown>[], yTitle: string, opts: { rule?: number; domain?: [number, number]; format?: string } = {}): TopLevelSpec {
  const scale = opts.domain ? { domain: opts.domain } : { zero: false };
  const x = { field: 'category', type: 'nominal', sort: null, title: null };
  const layers: unknown[] = [
    { mark: { type: 'errorbar', ticks: true, color: PALETTE[0] }, encoding: { x, y: { field: 'lower', type: 'quantitative', title: yTitle, scale, axis: opts.format ? { format: opts.format } : {} }, y2: { field: 'upper' } } },
    { mark: { type: 'point', filled: true, size: 70, color: PALETTE[0] }, encoding: { x, y: { field: 'estimate', type: 'quantitative' } } },
  ];
  if (opts.rule != null) layers.push({ mark: { type: 'rule', strokeDash: [4, 4], color: '#888' }, encoding: { y: { datum: opts.rule } } });
  const width = Math.max(260, 110 * values.length);
  return { ...top(title, subtitle, width, 220), data: { values }, layer: layers } as TopLevelSpec;
}

export function figureSpecs(res: AnalysisResult): FigureSpec[] {
  const out: FigureSpec[] = [];
  const label = (id: string) => res.conditionLabels[id] ?? id;
  for (const s of res.scales) {
    if (s.role !== 'credibility_4pt' && s.role !== 'credibility_10' && s.role !== 'sharing') continue;
    const prompt = s.prompt ?? s.questionId;
    const conds = s.conditions.filter((c) => c.n > 0);
    const values = conds.map((c) => ({
      category: withN(label(c.condition), c.n),
      estimate: c.mean,
      lower: Number.isFinite(c.bootLower) ? c.bootLower : c.tLower,
      upper: Number.isFinite(c.bootUpper) ? c.bootUpper : c.tUpper,
    }));
    if (values.length) {
      out.push({
        name: `mean_${s.questionId}`,
        title: prompt,
        description: `Mean answer to "${prompt}" in each condition; bars are 95% bootstrap intervals, n under each condition.`,
        spec: intervalChart(prompt, 'Mean answer by condition, 95% bootstrap CI', values, 'Mean answer'),
      });
    }
    const tops = conds.filter((c) => c.top && c.top.n > 0).map((c) => ({ category: withN(label(c.condition), c.top!.n), estimate: c.top!.p, lower: c.top!.lower, upper: c.top!.upper }));
    if (tops.length) {
      const what = s.role === 'sharing' ? 'Would share' : 'Found it credible (top two points)';
      out.push({
        name: `top_${s.questionId}`,
        title: `${prompt} — ${what.toLowerCase()}`,
        description: `Share of participants who ${s.role === 'sharing' ? 'would share the text' : 'chose one of the top two points'} in each condition; bars are Wilson 95% intervals, n under each condition.`,
        spec: intervalChart(prompt, `${what}, share by condition, Wilson 95% CI`, tops, 'Share of participants', { domain: [0, 1], format: '.0%' }),
      });
    }
  }
  const d = res.detection;
  if (d) {
    const groupTitle: Record<string, string> = { model_size: 'Model size', sampling: 'Sampling', length: 'Length (words)' };
    const values = d.groups
      .filter((g) => g.group in groupTitle && g.n > 0)
      .map((g) => ({ panel: groupTitle[g.group], category: withN(g.value.replace(/ words$/, ''), g.n), estimate: g.accuracy.p, lower: g.accuracy.lower, upper: g.accuracy.upper }));
    if (values.length) {
      const x = { field: 'category', type: 'nominal', sort: null, title: null };
      out.push({
        name: 'detection_by_group',
        title: 'How often people told machine from human text',
        description: 'Share of correct human-or-machine judgments by model size and sampling (machine texts) and by text length (all texts); bars are Wilson 95% intervals, the dashed line is chance (50%).',
        spec: {
          $schema: SCHEMA,
          config: CONFIG,
          title: { text: 'How often people told machine from human text', subtitle: 'Share of correct judgments, Wilson 95% CI; dashed line: chance' },
          data: { values },
          facet: { column: { field: 'panel', type: 'nominal', title: null, sort: Object.values(groupTitle) } },
          resolve: { scale: { x: 'independent' } },
          spec: {
            width: 95 * Math.max(2, ...Object.values(groupTitle).map((t) => values.filter((v) => v.panel === t).length)),
            height: 200,
            layer: [
              { mark: { type: 'errorbar', ticks: true, color: PALETTE[0] }, encoding: { x, y: { field: 'lower', type: 'quantitative', title: 'Correct', scale: { domain: [0, 1] }, axis: { format: '.0%' } }, y2: { field: 'upper' } } },
              { mark: { type: 'point', filled: true, size: 60, color: PALETTE[0] }, encoding: { x, y: { field: 'estimate', type: 'quantitative' } } },
              { mark: { type: 'rule', strokeDash: [4, 4], color: '#888' }, encoding: { y: { datum: 0.5 } } },
            ],
          },
        } as TopLevelSpec,
      });
    }
    const hist = d.perParticipant.histogram.map((h, i) => ({ from: i / 10, to: (i + 1) / 10, participants: h.count }));
    out.push({
      name: 'detection_participants',
      title: 'Accuracy of each participant',
      description: `Histogram of the share of correct judgments per participant (${d.perParticipant.n} participants), in bins of 10 percentage points; the dashed line is chance.`,
      spec: {
        ...top('Accuracy of each participant', `Histogram, ${d.perParticipant.n} participants; dashed line: chance`, 420, 200),
        data: { values: hist },
        layer: [
          { mark: { type: 'bar', color: PALETTE[0], stroke: 'white' }, encoding: { x: { field: 'from', type: 'quantitative', bin: { binned: true, step: 0.1 }, title: 'Share correct', scale: { domain: [0, 1] }, axis: { format: '.0%' } }, x2: { field: 'to' }, y: { field: 'participants', type: 'quantitative', title: 'Participants' } } },
          { mark: { type: 'rule', strokeDash: [4, 4], color: '#888' }, encoding: { x: { datum: 0.5 } } },
        ],
      } as TopLevelSpec,
    });
  }
  const det = res.detectors;
  if (det && det.detectors.length) {
    // One row per detector metric, sorted by AUROC: a dot plot, not overlaid series.
    const rows = det.detectors.filter((x) => Number.isFinite(x.auroc.auc)).map((x) => ({ who: `${x.detector} · ${x.metric}`, kind: 'detector', estimate: x.auroc.auc, lower: x.auroc.lower, upper: x.auroc.upper, n: x.n }));
    if (d && Number.isFinite(d.auroc.auc)) rows.push({ who: 'people (judgment scale)', kind: 'people', estimate: d.auroc.auc, lower: d.auroc.lower, upper: d.auroc.upper, n: d.judgments });
    rows.sort((a, b) => b.estimate - a.estimate);
    const values = rows.map((r) => ({ ...r, who: `${r.who} (n = ${r.n.toLocaleString('en-US')} ${r.kind === 'people' ? 'judgments' : 'texts'})` }));
    const y = { field: 'who', type: 'nominal', sort: null, title: null };
    const color = { field: 'kind', type: 'nominal', title: null, scale: { domain: ['detector', 'people'], range: [PALETTE[0], PALETTE[1]] } };
    out.push({
      name: 'detectors_auroc',
      title: 'Detectors and people: AUROC',
      description: 'Area under the ROC curve of each detector metric and of people\'s judgments, sorted from best to worst; bars are DeLong 95% intervals, the dashed line is chance (0.5).',
      spec: {
        ...top('Detectors and people: AUROC', 'Sorted by AUROC, DeLong 95% CI; dashed line: chance', 420, Math.max(120, 22 * values.length)),
        data: { values },
        layer: [
          { mark: { type: 'errorbar', ticks: true }, encoding: { y, x: { field: 'lower', type: 'quantitative', title: 'AUROC', scale: { domain: [0, 1] } }, x2: { field: 'upper' }, color } },
          { mark: { type: 'point', filled: true, size: 60 }, encoding: { y, x: { field: 'estimate', type: 'quantitative' }, color } },
          { mark: { type: 'rule', strokeDash: [4, 4], color: '#888' }, encoding: { x: { datum: 0.5 } } },
        ],
      } as TopLevelSpec,
    });
    // Figure 2 of the GPT-2 release report: accuracy against text length, people and each detector family.
    const series: Record<string, unknown>[] = [];
    if (d) for (const g of d.groups.filter((g) => g.group === 'length' && g.n > 0 && g.value !== 'unknown')) series.push({ who: 'people', length: g.value, estimate: g.accuracy.p, lower: g.accuracy.lower, upper: g.accuracy.upper, n: g.n });
    for (const x of bestPerFamily(det.detectors).slice(0, MAX_SERIES - 1)) {
      for (const g of x.groups.filter((g) => g.group === 'length' && g.n > 0 && g.value !== 'unknown')) series.push({ who: `${x.detector} (${x.metric})`, length: g.value, estimate: g.accuracy.p, lower: g.accuracy.lower, upper: g.accuracy.upper, n: g.n });
    }
    if (series.length) {
      const order = ['<50 words', '50–99 words', '100–199 words', '200+ words'];
      const xEnc = { field: 'length', type: 'ordinal', sort: order, title: 'Text length' };
      const colorEnc = { field: 'who', type: 'nominal', title: null };
      out.push({
        name: 'figure2_length',
        title: 'Accuracy against text length',
        description: 'Share of texts classified correctly in each length bin, for people and for the best metric of each detector family (the analogue of Figure 2 of the GPT-2 release report); bars are Wilson 95% intervals.',
        spec: {
          ...top('Accuracy against text length', 'People and each detector family, Wilson 95% CI', 460, 240),
          data: { values: series },
          layer: [
            { mark: { type: 'errorbar', ticks: true, opacity: 0.7 }, encoding: { x: xEnc, y: { field: 'lower', type: 'quantitative', title: 'Correct', scale: { domain: [0, 1] }, axis: { format: '.0%' } }, y2: { field: 'upper' }, color: colorEnc } },
            { mark: { type: 'line', point: { filled: true, size: 50 } }, encoding: { x: xEnc, y: { field: 'estimate', type: 'quantitative' }, color: colorEnc } },
          ],
        } as TopLevelSpec,
      });
    }
  }
  const tr = res.transfer;
  if (tr) {
    const values = tr.conditions.flatMap((a, i) => tr.conditions.map((b, j) => ({ trained: a, tested: b, accuracy: tr.accuracy[i][j], n: tr.nTest[i][j] })));
    const size = Math.max(160, 70 * tr.conditions.length);
    const enc = { x: { field: 'tested', type: 'nominal', title: 'Tested on (held-out half)', sort: tr.conditions }, y: { field: 'trained', type: 'nominal', title: 'Trained on', sort: tr.conditions } };
    out.push({
      name: 'figure1_transfer',
      title: 'TF-IDF detector: accuracy when trained on one kind of machine text and tested on another',
      description: 'Each cell is the accuracy of a TF-IDF detector trained on human texts plus one condition\'s machine texts and tested on held-out human texts plus another condition\'s held-out machine texts (the analogue of Figure 1 of the GPT-2 release report).',
      spec: {
        ...top('TF-IDF transfer: accuracy by training and test condition', 'Rows: trained on; columns: tested on; held-out halves', size, size),
        data: { values },
        layer: [
          { mark: 'rect', encoding: { ...enc, color: { field: 'accuracy', type: 'quantitative', title: 'Accuracy', scale: { scheme: 'viridis', domain: [0.5, 1] } } } },
          { mark: { type: 'text', fontSize: 12 }, encoding: { ...enc, text: { field: 'accuracy', type: 'quantitative', format: '.0%' }, color: { condition: { test: 'datum.accuracy > 0.8', value: 'black' }, value: 'white' } } },
        ],
      } as TopLevelSpec,
    });
  }
  out.push(...categoryFigureSpecs(res.categories));
  out.push(...termsFigureSpecs(res.terms));
  const ex = res.exclusions.reasons.flatMap((r) => [
    { reason: r.reason, kind: 'flagged', participants: r.participantsFlagged },
    { reason: r.reason, kind: 'excluded', participants: r.participantsExcluded },
  ]);
  if (ex.length) {
    out.push({
      name: 'exclusions',
      title: 'Exclusions: participants flagged and excluded',
      description: 'For each exclusion rule, the participants it flagged and those excluded because the protocol applies the rule.',
      spec: {
        ...top('Exclusions', 'Participants flagged and excluded, by reason', 380, Math.max(80, 36 * res.exclusions.reasons.length)),
        data: { values: ex },
        mark: 'bar',
        encoding: {
          y: { field: 'reason', type: 'nominal', title: null },
          x: { field: 'participants', type: 'quantitative', title: 'Participants' },
          yOffset: { field: 'kind' },
          color: { field: 'kind', type: 'nominal', title: null },
        },
      } as TopLevelSpec,
    });
  }
  return out;
}

/** The SVG with the figure's title and description as its own <title> and <desc>, for screen readers and for the files on their own. */
function labelled(svg: string, title: string, description: string): string {
  const open = svg.indexOf('>', svg.indexOf('<svg')) + 1;
  return `${svg.slice(0, open)}<title>${escapeHtml(title)}</title><desc>${escapeHtml(description)}</desc>${svg.slice(open)}`;
}

export async function renderFigures(res: AnalysisResult): Promise<Figure[]> {
  return renderSpecs(figureSpecs(res));
}

/** Figures from their specifications, each SVG labelled with its title and description. */
export async function renderSpecs(specs: readonly FigureSpec[]): Promise<Figure[]> {
  const out: Figure[] = [];
  for (const f of specs) out.push({ ...f, svg: labelled(await renderSvg(f.spec), f.title, f.description) });
  return out;
}
