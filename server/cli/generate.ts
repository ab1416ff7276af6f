// Placeholder until its owner lands the command.
import type { Command } from 'commander';

export function registerGenerate(_program: Command): void {}
