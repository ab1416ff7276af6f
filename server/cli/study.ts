// `credence study validate FILE...` and `credence study show STUDY`: check
// protocols (every problem at once, exit 2 when any is invalid) and print the
// normalised protocol a version hash is computed from.
import type { Command } from 'commander';
import { loadStudy, ProtocolError } from '../../studies/load.ts';
import { UsageError } from './usage.ts';
import type { Protocol } from '../../studies/protocol.ts';
import { registerStudyState } from './study-state.ts';

function summary(p: Protocol): string {
  const pools = Object.values(p.pools);
  const trials = p.phases.flatMap((ph) => (ph.kind === 'trials' ? ph.blocks : []));
  return [
    `${p.design.conditions.length} condition${p.design.conditions.length === 1 ? '' : 's'} (${p.design.conditions.map((c) => `${c.id}×${c.target}`).join(', ')})`,
    `${pools.length} pools (${pools.map((x) => x.kind).join(', ')})`,
    `${p.phases.length} phases`,
    `${trials.length} trial block${trials.length === 1 ? '' : 's'}`,
  ].join(', ');
}

export function registerStudy(program: Command): void {
  const study = program.command('study').description('Check and inspect study protocols; pause, close or open a study');
  registerStudyState(study);

  study
    .command('validate')
    .description('Check protocol files; print every problem as file:line:column  path  message (exit 2 when invalid)')
    .argument('<files...>', 'study ids or protocol files')
    .action((files: string[]) => {
      let bad = 0;
      for (const f of files) {
        try {
          const s = loadStudy(f);
          console.log(`${s.file}: valid  version ${s.version}`);
          console.log(`  ${s.protocol.id}: ${summary(s.protocol)}`);
        } catch (err) {
          bad++;
          if (err instanceof ProtocolError) console.error(err.format());
          else console.error(`${f}: ${(err as Error).message}`);
        }
      }
      if (bad > 0) throw new UsageError(`${bad} of ${files.length} protocol${files.length === 1 ? '' : 's'} invalid`);
    });

  study
    .command('show')
    .description('Print the normalised protocol (defaults filled in) and its version as JSON')
    .argument('<study>', 'study id or protocol file')
    .action((arg: string) => {
      const s = loadStudy(arg);
      console.log(JSON.stringify({ file: s.file, version: s.version, protocol: s.protocol }, null, 2));
    });
}
