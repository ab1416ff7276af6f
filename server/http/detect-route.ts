// GET /api/detect?<url-encoded text> in the format of gpt-2-output-dataset's
// detector demo (detector/server.py): {all_tokens, used_tokens,
// real_probability, fake_probability}, so tools written against that demo work.
//
// The detector directory is ctx.detectorDir, else $CREDENCE_DETECTOR, else
// models/tiny-roberta. Without one the route answers 503 and says how to get
// one; it retries on the next request, so building the model later is enough.
// Query decoding follows Python's urllib unquote (what the demo used): invalid
// %-escapes stay as they are and invalid UTF-8 becomes U+FFFD. Texts past 510
// tokens are truncated like the demo; query strings longer than Node's header
// limit (16 kB) are refused by Node itself with 431.
import { existsSync } from 'node:fs';
import type { Express, Request, Response } from 'express';
import type { AppContext } from './context.ts';
import { metricsOf, type LoadedDetector } from '../detectors/detector.ts';
import { detectorNamed } from '../detectors/registry.ts';
import { DetectorInputError } from '../detectors/text-input.ts';

export const DEFAULT_DETECTOR_DIR = 'models/tiny-roberta';

export type DetectContext = Partial<AppContext> & { detectorDir?: string };

/** Percent-decoding that never throws: bad escapes are kept, bad UTF-8 is replaced. */
export function unquote(query: string): string {
  try {
    return decodeURIComponent(query);
  } catch {
    const bytes: number[] = [];
    for (let i = 0; i < query.length; i++) {
      const c = query[i];
      if (c === '%' && /^[0-9a-fA-F]{2}$/.test(query.slice(i + 1, i + 3))) {
        bytes.push(parseInt(query.slice(i + 1, i + 3), 16));
        i += 2;
      } else {
        for (const b of new TextEncoder().encode(c)) bytes.push(b);
      }
    }
    return new TextDecoder('utf-8', { fatal: false }).decode(Uint8Array.from(bytes));
  }
}

export function mountDetect(app: Express, ctx: DetectContext): void {
  const dir = ctx.detectorDir ?? process.env.CREDENCE_DETECTOR ?? DEFAULT_DETECTOR_DIR;
  let loading: Promise<LoadedDetector> | null = null;

  const detector = (): Promise<LoadedDetector> => {
    if (!loading) {
      loading = detectorNamed('roberta').load({ dir });
      // A failed load is retried on the next request (the directory may appear later).
      loading.catch(() => (loading = null));
    }
    return loading;
  };

  app.get('/api/detect', async (req: Request, res: Response) => {
    const at = req.originalUrl.indexOf('?');
    const text = at < 0 ? '' : unquote(req.originalUrl.slice(at + 1));
    if (!existsSync(dir)) {
      res.status(503).json({
        error: `no detector model: ${dir} does not exist (set CREDENCE_DETECTOR to a RoBERTa detector directory, or run: credence models build-tiny --shape tiny-roberta)`,
      });
      return;
    }
    let det: LoadedDetector;
    try {
      det = await detector();
    } catch (err) {
      res.status(503).json({ error: `detector model unusable: ${(err as Error).message}` });
      return;
    }
    try {
      const [s] = (await det.score([{ id: 'query', text }])).map(metricsOf);
      res.json({ all_tokens: s.all_tokens, used_tokens: s.used_tokens, real_probability: s.real_probability, fake_probability: s.fake_probability });
    } catch (err) {
      if (err instanceof DetectorInputError) res.status(400).json({ error: `${err.message} (send the URL-encoded text as the query string: /api/detect?Some%20text)` });
      else res.status(500).json({ error: `detector failed: ${(err as Error).message}` });
    }
  });
}
