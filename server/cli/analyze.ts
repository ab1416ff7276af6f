// Placeholder until its owner lands the command.
import type { Command } from 'commander';

export function registerAnalyze(_program: Command): void {}
