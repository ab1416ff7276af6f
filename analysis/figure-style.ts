// The house style every figure shares: Okabe & Ito's palette, horizontal
// labels, titles with subtitles, n under each category, at most six series.
export const MAX_SERIES = 6;

/** Okabe & Ito (2008), "Color Universal Design": distinguishable with every common colour-vision deficiency. */
export const PALETTE = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#56B4E9', '#D55E00', '#F0E442', '#000000'];

const FONT = 'DejaVu Sans, Liberation Sans, Arial, sans-serif';

export const CONFIG = {
  font: FONT,
  range: { category: PALETTE },
  axis: { labelAngle: 0, labelLimit: 0, labelFontSize: 11, titleFontSize: 12, labelExpr: "split(datum.label, '\\n')" },
  title: { anchor: 'start', fontSize: 14, subtitleFontSize: 11, subtitleColor: '#555', limit: 0 },
  legend: { labelLimit: 0, orient: 'bottom', direction: 'vertical' },
  view: { stroke: null },
} as const;

export const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

/** A category label with its n on a second line. */
export const withN = (label: string, n: number) => `${label}\n(n = ${n.toLocaleString('en-US')})`;

export function top(title: string, subtitle: string, width: number, height: number) {
  return { $schema: SCHEMA, config: CONFIG, title: { text: title, subtitle }, width, height } as const;
}

