// Every figure as an SVG file and a PNG file (for the paper), rendered from the
// same SVG by resvg (@resvg/resvg-js: Rust, no browser, no canvas) at twice the
// SVG's size, with the system fonts the SVG names (DejaVu Sans first).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Resvg } from '@resvg/resvg-js';
import type { Figure } from './figures.ts';

/** PNG bytes of an SVG, at `scale` times its own size, on white. */
export function svgToPng(svg: string, scale = 2): Buffer {
  const r = new Resvg(svg, {
    background: 'white',
    fitTo: { mode: 'zoom', value: scale },
    font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans', sansSerifFamily: 'DejaVu Sans' },
  });
  return r.render().asPng();
}

export interface FigureFile {
  name: string;
  svg: string;
  png: string;
}

/** The files of one figure, relative to report.html. */
export function figureFileNames(name: string): { svg: string; png: string } {
  return { svg: `${name}.svg`, png: `${name}.png` };
}

/** Writes DIR/NAME.svg and DIR/NAME.png for each figure; returns the file names relative to DIR. */
export function writeFigureFiles(dir: string, figures: readonly Figure[]): FigureFile[] {
  mkdirSync(dir, { recursive: true });
  return figures.map((f) => {
    const { svg, png } = figureFileNames(f.name);
    writeFileSync(join(dir, svg), f.svg);
    writeFileSync(join(dir, png), svgToPng(f.svg));
    return { name: f.name, svg, png };
  });
}
