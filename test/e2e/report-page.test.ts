// report.html as a reader opens it: `credence analyze` on a real SQLite store
// holding a human-or-machine study with detector scores, then Chromium at
// 1280 px. The page must not scroll sideways, every figure must carry a title
// and a description, and every figure's PNG beside report.html must open.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { spawnSync } from 'node:child_process';
import { SqliteStore } from '../../server/store/sqlite.ts';
import { loadStudy } from '../../studies/load.ts';
import { simulateDataset } from '../../analysis/simulate.ts';
import { detectorScores } from '../analysis/fixtures/detector-scores.ts';
import { fillStore } from '../analysis/fixtures/fill-store.ts';
import { launchChromium, type Browser } from './helpers/chromium.ts';

const STUDY = 'human-or-machine';
let dir: string;
let out: string;
let browser: Browser;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'credence-report-'));
  const db = join(dir, 'study.db');
  const store = new SqliteStore(db);
  const loaded = loadStudy(STUDY);
  const data = simulateDataset(loaded.protocol, { n: 60, seed: 3 });
  await fillStore(store, loaded.protocol, loaded.version, data);
  const scores = detectorScores(loaded.protocol.id, data.stimuli);
  await store.putDetectorScores(scores);
  await store.close();
  out = join(dir, 'out');
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'server/cli/main.ts', 'analyze', STUDY, '--db', db, '--out', out], { encoding: 'utf8', cwd: join(import.meta.dirname, '..', '..') });
  assert.equal(r.status, 0, r.stderr);
  browser = await launchChromium({ width: 1280, height: 900 });
});

after(async () => {
  await browser?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('report.html in Chromium at 1280 px', () => {
  test('no horizontal overflow; headlines first; every figure has a title and a description; Figures 1 and 2 analogues are there', async () => {
    const page = await browser.context.newPage();
    await page.goto(pathToFileURL(join(out, 'report.html')).href);
    const layout = await page.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth, clientWidth: document.documentElement.clientWidth }));
    assert.ok(layout.scrollWidth <= layout.clientWidth, `page scrolls sideways: scrollWidth ${layout.scrollWidth} > clientWidth ${layout.clientWidth}`);
    const firstSection = await page.evaluate(() => document.querySelector('h1 + section')?.id);
    assert.equal(firstSection, 'headlines');
    const headlines = await page.$$eval('#headlines li', (lis) => lis.map((li) => li.textContent ?? ''));
    assert.ok(headlines.some((h) => /^People judged the source correctly in [\d.]+% of [\d,]+ judgments \(95% CI \[/.test(h)), headlines.join('\n'));
    const figures = await page.$$eval('figure', (fs) =>
      fs.map((f) => ({
        id: f.id,
        caption: f.querySelector('.figure-title')?.textContent ?? '',
        description: f.querySelector('.figure-description')?.textContent ?? '',
        svgTitle: f.querySelector('svg > title')?.textContent ?? '',
        svgDesc: f.querySelector('svg > desc')?.textContent ?? '',
        right: f.getBoundingClientRect().right,
        png: f.querySelector('a[href$=".png"]')?.getAttribute('href') ?? '',
      })),
    );
    assert.ok(figures.length >= 5, `figures: ${figures.map((f) => f.id).join(', ')}`);
    for (const f of figures) {
      assert.match(f.caption, /^Figure \d+\. \S/, `${f.id} has no title`);
      assert.ok(f.description.length > 20, `${f.id} has no description`);
      assert.ok(f.svgTitle && f.svgDesc, `${f.id}: the SVG has no <title>/<desc>`);
      assert.ok(f.right <= layout.clientWidth, `${f.id} reaches ${f.right} px`);
    }
    const ids = figures.map((f) => f.id);
    assert.ok(ids.includes('f-figure1_transfer'), 'Figure 1 analogue (TF-IDF transfer heatmap)');
    assert.ok(ids.includes('f-figure2_length'), 'Figure 2 analogue (accuracy against length)');
    assert.ok(ids.includes('f-detectors_auroc'));
    // Wide tables scroll inside their box, not the page.
    const tables = await page.$$eval('table', (ts) => ts.map((t) => ({ id: t.id, box: t.parentElement?.className ?? '', scroll: t.parentElement ? getComputedStyle(t.parentElement).overflowX : '', right: t.parentElement?.getBoundingClientRect().right ?? Infinity })));
    for (const t of tables) assert.ok(t.box === 'scroll' && t.scroll === 'auto' && t.right <= layout.clientWidth, `${t.id}: ${JSON.stringify(t)}`);
    // Every empty cell says why.
    const blanks = await page.$$eval('td.blank', (tds) => tds.map((td) => td.getAttribute('title') ?? ''));
    assert.ok(blanks.every((b) => b.length > 0));
    await page.close();
  });

  test('every figure is an SVG and a PNG file beside report.html, and the PNG opens', async () => {
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    const names = [...html.matchAll(/<figure id="f-([^"]+)"/g)].map((m) => m[1]);
    assert.ok(names.length >= 5);
    const page = await browser.context.newPage();
    await page.goto(pathToFileURL(join(out, 'report.html')).href);
    for (const name of names) {
      assert.ok(existsSync(join(out, `${name}.svg`)), `${name}.svg`);
      const png = join(out, `${name}.png`);
      assert.ok(existsSync(png), `${name}.png`);
      assert.deepEqual([...readFileSync(png).subarray(0, 8)], [137, 80, 78, 71, 13, 10, 26, 10], `${name}.png is a PNG`);
      const size = await page.evaluate(async (src) => {
        const img = new Image();
        img.src = src;
        await img.decode();
        return { w: img.naturalWidth, h: img.naturalHeight };
      }, pathToFileURL(png).href);
      assert.ok(size.w > 200 && size.h > 100, `${name}.png decodes to ${size.w}×${size.h}`);
    }
    const meta = JSON.parse(readFileSync(join(out, 'metadata.json'), 'utf8'));
    for (const name of names) assert.match(meta.files[`${name}.png`].sha256, /^[0-9a-f]{64}$/);
    await page.close();
  });
});
