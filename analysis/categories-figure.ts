// The Figure 3/4 analogue of the release report: for each source of
// categories (a lexicon, or people's labels), grouped bars of the share of
// continuations in each category by model size, with Wilson intervals, one
// panel per probe. Sizes are the coloured series (at most MAX_SERIES).
import type { TopLevelSpec } from 'vega-lite';
import type { FigureSpec } from './figures.ts';
import { CONFIG, MAX_SERIES, SCHEMA } from './figure-style.ts';
import { ALL_PROBES, type CategoryAnalysis } from './categories.ts';

/** Beyond this many probes the figure shows the pooled panel only; the table has every probe. */
const MAX_PANELS = 8;

export function categoryFigureSpecs(a: CategoryAnalysis | null): FigureSpec[] {
  if (!a) return [];
  return a.sources.flatMap((src) => {
    const probes = [...new Set(src.shares.map((x) => x.probe))];
    const shown = probes.length > MAX_PANELS ? [ALL_PROBES] : probes;
    const sizes = a.sizes.filter((s) => src.shares.some((x) => x.size === s)).slice(0, MAX_SERIES);
    const values = src.shares
      .filter((x) => shown.includes(x.probe) && sizes.includes(x.size) && x.n > 0)
      .map((x) => ({ ...x, panel: x.probe === ALL_PROBES ? 'All probes' : `“${x.probe}”` }));
    if (!values.length) return [];
    // n per size: the items of that size, pooled over probes when there are several.
    const pooled = probes.includes(ALL_PROBES) ? ALL_PROBES : probes[0];
    const n = Object.fromEntries(sizes.map((s) => [s, src.shares.find((x) => x.size === s && x.probe === pooled)?.n ?? 0]));
    const sizeTitle = sizes.map((s) => `${s} (n = ${n[s]})`);
    const x = { field: 'category', type: 'nominal', title: null, sort: src.categories };
    const color = { field: 'sizeLabel', type: 'nominal', title: 'Model size', sort: sizeTitle };
    const withLabel = values.map((v) => ({ ...v, sizeLabel: sizeTitle[sizes.indexOf(v.size)] }));
    const name = `categories_${src.id.replace(/[^a-z0-9_-]+/gi, '_')}`;
    const title = `${src.kind === 'lexicon' ? 'Categories by lexicon' : 'Categories by annotators'}: ${src.title}`;
    return [{
      name,
      title,
      description: `Share of continuations in each category by model size${shown.length > 1 ? ', one panel per probe' : ''}, with Wilson 95% intervals (the analogue of Figures 3 and 4 of the GPT-2 release report).${probes.length > MAX_PANELS ? ` ${probes.length - 1} probes are pooled here; each is in the table.` : ''}`,
      spec: {
        $schema: SCHEMA,
        config: CONFIG,
        title: { text: title, subtitle: `Share of continuations per category and model size, Wilson 95% CI${src.multiple ? '; an item may be in several categories' : ''}` },
        data: { values: withLabel },
        facet: { row: { field: 'panel', type: 'nominal', title: null, sort: shown.map((p) => (p === ALL_PROBES ? 'All probes' : `“${p}”`)) } },
        spec: {
          width: Math.max(260, 36 * sizes.length * src.categories.length),
          height: 160,
          layer: [
            { mark: 'bar', encoding: { x, xOffset: { field: 'sizeLabel', sort: sizeTitle }, y: { field: 'p', type: 'quantitative', title: 'Share of continuations', axis: { format: '.0%' }, scale: { domain: [0, 1] } }, color } },
            // A rule per bar (errorbar ticks would span the whole category band); the same y title, so the axis keeps one.
            { mark: { type: 'rule', color: '#222', strokeWidth: 1.5 }, encoding: { x, xOffset: { field: 'sizeLabel', sort: sizeTitle }, y: { field: 'lower', type: 'quantitative', title: 'Share of continuations' }, y2: { field: 'upper' } } },
          ],
        },
      } as TopLevelSpec,
    }];
  });
}
