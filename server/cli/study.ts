// Placeholder until its owner lands the command.
import type { Command } from 'commander';

export function registerStudy(_program: Command): void {}
