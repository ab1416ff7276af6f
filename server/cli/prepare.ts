// Placeholder until its owner lands the command.
import type { Command } from 'commander';

export function registerPrepare(_program: Command): void {}
