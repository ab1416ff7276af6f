// Placeholder: the researcher area (/admin, /api/admin) mounts here.
import type { Express } from 'express';

export function mountAdmin(_app: Express, _ctx: unknown): void {}
