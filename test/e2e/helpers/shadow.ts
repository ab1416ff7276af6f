// Small probes into the app's shadow DOM, run inside the page. The walkers are
// strings: tsx names inner functions with a helper the page does not have.
import type { Page } from 'playwright-core';

/** The deepest focused element (through shadow roots): its tag, type and label text. */
export function focused(page: Page): Promise<{ tag: string; type: string | null; label: string }> {
  return page.evaluate(() => {
    let el: Element | null = document.activeElement;
    while (el?.shadowRoot?.activeElement) el = el.shadowRoot.activeElement;
    const label = el?.closest('label')?.textContent?.trim() ?? el?.textContent?.trim() ?? '';
    return { tag: el?.tagName.toLowerCase() ?? '', type: el?.getAttribute('type') ?? null, label };
  });
}

/** Calls `visit(el)` (a JS expression over `el`) for every element, through open shadow roots; returns the non-null results. */
function walkAll<T>(page: Page, visit: string, prelude = ''): Promise<T[]> {
  return page.evaluate(`(() => {
    ${prelude}
    const out = [];
    const walk = (root) => {
      for (const el of root.querySelectorAll('*')) {
        const r = (${visit})(el);
        if (r !== null && r !== undefined) out.push(r);
        if (el.shadowRoot) walk(el.shadowRoot);
      }
    };
    walk(document);
    return out;
  })()`) as Promise<T[]>;
}

/** The tag of every element in the document, including inside shadow roots. */
export function allElementTags(page: Page): Promise<string[]> {
  return walkAll<string>(page, '(el) => el.tagName.toLowerCase()');
}

/** The page's width, the viewport's, and every element (through shadow roots) that reaches past either edge. */
export async function horizontalOverflow(page: Page): Promise<{ page: number; viewport: number; offenders: string[] }> {
  const offenders = await walkAll<string>(
    page,
    `(el) => {
      const r = el.getBoundingClientRect();
      return r.width > 0 && (r.right > vw + 0.5 || r.left < -0.5) ? el.tagName.toLowerCase() + ' right=' + Math.round(r.right) : null;
    }`,
    'const vw = document.documentElement.clientWidth;',
  );
  const [pageWidth, viewport] = await page.evaluate(() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]);
  return { page: pageWidth, viewport, offenders };
}
