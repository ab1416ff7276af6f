// The software version recorded in every provenance record and export.
import { readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
export const CLI_VERSION: string = pkg.version;
export const SOFTWARE = `credence ${pkg.version}`;
