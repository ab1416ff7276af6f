// The Figure 5 analogue: the terms most typical of each side of a comparison,
// as horizontal bars of their log-odds z-scores (right: side A, left: side B),
// with a dashed line at ±1.96.
import type { TopLevelSpec } from 'vega-lite';
import type { FigureSpec } from './figures.ts';
import { PALETTE, top } from './figure-style.ts';
import { extremeTerms, type TermsComparison } from './terms.ts';

/** Terms shown per side. */
export const TERMS_PER_SIDE = 15;

export function termsFigureSpecs(comparisons: readonly TermsComparison[]): FigureSpec[] {
  return comparisons.flatMap((c, i) => {
    const { a, b } = extremeTerms(c, TERMS_PER_SIDE);
    if (!a.length && !b.length) return [];
    const values = [...a.map((t) => ({ ...t, side: c.a.name })), ...b.map((t) => ({ ...t, side: c.b.name }))];
    const order = values.slice().sort((x, y) => y.z - x.z).map((v) => v.term);
    return [{
      name: `terms_${i + 1}`,
      title: `Distinctive terms: ${c.a.name} against ${c.b.name}`,
      description: `The ${a.length} terms most typical of ${c.a.name} (${c.a.texts} texts) and the ${b.length} most typical of ${c.b.name} (${c.b.texts} texts), by the z-score of their log-odds ratio with an informative Dirichlet prior (Monroe, Colaresi & Quinn 2008); beyond the dashed lines |z| > 1.96. The analogue of Figure 5 of the GPT-2 release report.`,
      spec: {
        ...top(`Distinctive terms: ${c.a.name} vs ${c.b.name}`, `Log-odds z-score (informative Dirichlet prior); n = ${c.a.texts} and ${c.b.texts} texts`, 420, Math.max(120, 16 * values.length)),
        data: { values },
        layer: [
          {
            mark: 'bar',
            encoding: {
              y: { field: 'term', type: 'nominal', sort: order, title: null },
              x: { field: 'z', type: 'quantitative', title: `z (→ more in ${c.a.name}; ← more in ${c.b.name})` },
              color: { field: 'side', type: 'nominal', title: null, scale: { domain: [c.a.name, c.b.name], range: [PALETTE[0], PALETTE[1]] } },
              tooltip: [{ field: 'term' }, { field: 'countA', title: c.a.name }, { field: 'countB', title: c.b.name }, { field: 'z', format: '.2f' }],
            },
          },
          { data: { values: [{ z: 1.96 }, { z: -1.96 }] }, mark: { type: 'rule', strokeDash: [4, 4], color: '#888' }, encoding: { x: { field: 'z', type: 'quantitative' } } },
        ],
      } as TopLevelSpec,
    }];
  });
}
