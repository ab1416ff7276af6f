#!/usr/bin/env node
// The installed `credence` command: runs the TypeScript CLI through tsx so that
// there is no build step between editing and running.
import { register } from 'tsx/esm/api';
register();
await import('../server/cli/main.ts');
