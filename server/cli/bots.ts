// Placeholder until its owner lands the command.
import type { Command } from 'commander';

export function registerBots(_program: Command): void {}
