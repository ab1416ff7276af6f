// Placeholder: GET /api/detect (gpt-2-output-dataset detector demo format) mounts here.
import type { Express } from 'express';

export function mountDetect(_app: Express, _ctx: unknown): void {}
