// Figures as Vega-Lite specs rendered to SVG headless (no canvas, no browser),
// so the report embeds them inline and stays viewable offline.
import * as vega from 'vega';
import * as vl from 'vega-lite';
import type { TopLevelSpec } from 'vega-lite';
import type { AnalysisResult } from './analyze.ts';

export interface Figure {
  name: string;
  title: string;
  spec: TopLevelSpec;
  svg: string;
}

export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(vl.compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

const base = { $schema: 'https://vega.github.io/schema/vega-lite/v6.json', width: 360, height: 220 } as const;

/** Point estimate with an interval, one row per category. */
function intervalChart(title: string, values: Record<string, unknown>[], x: string, yTitle: string, opts: { color?: string; rule?: number; domain?: [number, number] } = {}): TopLevelSpec {
  const color = opts.color ? { color: { field: opts.color, type: 'nominal' as const } } : {};
  const scale = opts.domain ? { scale: { domain: opts.domain } } : { scale: { zero: false } };
  const layers: any[] = [
    { mark: { type: 'errorbar', ticks: true }, encoding: { x: { field: x, type: 'nominal', sort: null }, y: { field: 'lower', type: 'quantitative', title: yTitle, ...scale }, y2: { field: 'upper' }, ...color } },
    { mark: { type: 'point', filled: true, size: 60 }, encoding: { x: { field: x, type: 'nominal', sort: null }, y: { field: 'estimate', type: 'quantitative' }, ...color } },
  ];
  if (opts.rule != null) layers.push({ data: { values: [{ y: opts.rule }] }, mark: { type: 'rule', strokeDash: [4, 4], color: '#888' }, encoding: { y: { field: 'y', type: 'quantitative' } } });
  return { ...base, title, data: { values }, layer: layers } as TopLevelSpec;
}

export function figureSpecs(res: AnalysisResult): { name: string; title: string; spec: TopLevelSpec }[] {
  const out: { name: string; title: string; spec: TopLevelSpec }[] = [];
  for (const s of res.scales) {
    if (s.role !== 'credibility_4pt' && s.role !== 'credibility_10' && s.role !== 'sharing') continue;
    const values = s.conditions.filter((c) => c.n > 0).map((c) => ({ condition: c.condition, estimate: c.mean, lower: Number.isFinite(c.bootLower) ? c.bootLower : c.tLower, upper: Number.isFinite(c.bootUpper) ? c.bootUpper : c.tUpper }));
    if (values.length) out.push({ name: `mean_${s.questionId}`, title: `${s.questionId}: mean by condition (95% bootstrap CI)`, spec: intervalChart(`${s.questionId}: mean by condition, 95% CI`, values, 'condition', 'mean') });
    const tops = s.conditions.filter((c) => c.top && c.top.n > 0).map((c) => ({ condition: c.condition, estimate: c.top!.p, lower: c.top!.lower, upper: c.top!.upper }));
    if (tops.length) {
      const what = s.role === 'sharing' ? '% would share' : '% credible (top two points)';
      out.push({ name: `top_${s.questionId}`, title: `${s.questionId}: ${what} (Wilson 95% CI)`, spec: intervalChart(`${s.questionId}: ${what}, Wilson 95% CI`, tops, 'condition', 'share', { domain: [0, 1] }) });
    }
  }
  const d = res.detection;
  if (d) {
    const values = d.groups.filter((g) => g.group !== 'condition' && g.group !== 'source').map((g) => ({ group: g.group, value: g.value, estimate: g.accuracy.p, lower: g.accuracy.lower, upper: g.accuracy.upper }));
    if (values.length) {
      out.push({
        name: 'detection_by_group',
        title: 'Human detection accuracy by model size, sampling and length (Wilson 95% CI; dashed = chance)',
        spec: {
          $schema: base.$schema,
          title: 'Human accuracy by model size, sampling and length',
          data: { values },
          facet: { column: { field: 'group', type: 'nominal', title: null } },
          resolve: { scale: { x: 'independent' } },
          spec: {
            width: 160,
            height: 200,
            layer: [
              { mark: { type: 'errorbar', ticks: true }, encoding: { x: { field: 'value', type: 'nominal', sort: null, title: null }, y: { field: 'lower', type: 'quantitative', title: 'accuracy', scale: { domain: [0, 1] } }, y2: { field: 'upper' } } },
              { mark: { type: 'point', filled: true, size: 60 }, encoding: { x: { field: 'value', type: 'nominal', sort: null }, y: { field: 'estimate', type: 'quantitative' } } },
              { mark: { type: 'rule', strokeDash: [4, 4], color: '#888' }, encoding: { y: { datum: 0.5 } } },
            ],
          },
        } as TopLevelSpec,
      });
    }
  }
  if (res.detectors && res.detectors.detectors.length) {
    const values: Record<string, unknown>[] = [];
    if (d) {
      for (const g of d.groups.filter((g) => g.group === 'model_size')) values.push({ model_size: g.value, who: 'people (accuracy on machine texts)', estimate: g.accuracy.p, lower: g.accuracy.lower, upper: g.accuracy.upper });
    }
    for (const det of res.detectors.detectors) {
      for (const g of det.groups.filter((g) => g.group === 'model_size' && g.auroc)) values.push({ model_size: g.value, who: `${det.detector} ${det.metric} (AUROC)`, estimate: g.auroc!.auc, lower: g.auroc!.lower, upper: g.auroc!.upper });
    }
    if (values.length) out.push({ name: 'detectors_vs_people', title: 'Detector AUROC and human accuracy by model size (95% CI)', spec: intervalChart('Detectors (AUROC) beside people (accuracy)', values, 'model_size', 'AUROC / accuracy', { color: 'who', rule: 0.5, domain: [0, 1] }) });
  }
  const ex = res.exclusions.reasons.map((r) => ({ reason: r.reason, kind: 'flagged', participants: r.participantsFlagged })).concat(res.exclusions.reasons.map((r) => ({ reason: r.reason, kind: 'excluded', participants: r.participantsExcluded })));
  out.push({
    name: 'exclusions',
    title: 'Exclusions: participants flagged and excluded',
    spec: {
      ...base,
      title: 'Exclusions',
      data: { values: ex },
      mark: 'bar',
      encoding: {
        y: { field: 'reason', type: 'nominal', title: null },
        x: { field: 'participants', type: 'quantitative' },
        yOffset: { field: 'kind' },
        color: { field: 'kind', type: 'nominal' },
      },
    } as TopLevelSpec,
  });
  return out;
}

export async function renderFigures(res: AnalysisResult): Promise<Figure[]> {
  const out: Figure[] = [];
  for (const f of figureSpecs(res)) out.push({ ...f, svg: await renderSvg(f.spec) });
  return out;
}
