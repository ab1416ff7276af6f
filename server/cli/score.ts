// Placeholder until its owner lands the command.
import type { Command } from 'commander';

export function registerScore(_program: Command): void {}
