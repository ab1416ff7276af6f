// Placeholder until its owner lands the command.
import type { Command } from 'commander';

export function registerModels(_program: Command): void {}
