// What every export and report records so a result can be traced back: the
// protocol hash(es), the models' file hashes, every seed, the software version.
import type { Protocol } from '../../studies/protocol.ts';
import type { DetectorScoreRow, ParticipantRow, StimulusRow } from '../rows.ts';

export interface Metadata {
  study_id: string;
  title: string;
  /** Protocol hashes (study versions) of the data. */
  protocol_hashes: string[];
  software: string;
  generated_at: string;
  seeds: {
    design: number;
    pools: Record<string, number>;
    /** The seed of the analysis' own random choices (bootstrap, threshold split). */
    analysis: number;
    /** Each participant's assignment seed is the assignment_seed column of the wide export. */
    participants: number;
    /** Seeds of the generated stimuli, from their provenance. */
    stimuli: Record<string, number>;
  };
  /** Model name → file hashes seen in stimulus provenance and detector scores. */
  models: { role: 'generator' | 'detector'; name: string; hash: string }[];
  counts: { participants: number; stimuli: number; detector_scores: number; responses?: number };
  exclusions: Protocol['exclusions'];
  files?: Record<string, { rows?: number; bytes?: number; sha256?: string }>;
}

export function buildMetadata(input: {
  study: Protocol;
  versions: Iterable<string>;
  participants: readonly ParticipantRow[];
  stimuli: readonly StimulusRow[];
  scores: readonly DetectorScoreRow[];
  software: string;
  analysisSeed?: number;
  responses?: number;
  now?: Date;
}): Metadata {
  const { study } = input;
  const pools: Record<string, number> = {};
  for (const [name, pool] of Object.entries(study.pools)) if ('seed' in pool && typeof pool.seed === 'number') pools[name] = pool.seed;
  const models = new Map<string, Metadata['models'][number]>();
  const stimulusSeeds: Record<string, number> = {};
  for (const s of input.stimuli) {
    if (!s.provenance_json) continue;
    let prov: Record<string, unknown>;
    try {
      prov = JSON.parse(s.provenance_json) as Record<string, unknown>;
    } catch {
      continue;
    }
    if (typeof prov.seed === 'number') stimulusSeeds[s.stimulus_id] = prov.seed;
    if (s.source !== 'machine') continue;
    const name = typeof prov.model === 'string' ? prov.model : s.model ?? 'unknown';
    for (const [k, v] of Object.entries(prov)) {
      if (typeof v === 'string' && /hash|sha256/i.test(k)) models.set(`g\u0000${name}\u0000${v}`, { role: 'generator', name, hash: v });
    }
  }
  for (const r of input.scores) models.set(`d\u0000${r.detector}\u0000${r.model_hash}`, { role: 'detector', name: r.detector, hash: r.model_hash });
  const versions = new Set(input.versions);
  for (const p of input.participants) versions.add(p.study_version);
  return {
    study_id: study.id,
    title: study.title,
    protocol_hashes: [...versions].sort(),
    software: input.software,
    generated_at: (input.now ?? new Date()).toISOString(),
    seeds: { design: study.design.seed, pools, analysis: input.analysisSeed ?? study.design.seed, participants: input.participants.length, stimuli: stimulusSeeds },
    models: [...models.values()],
    counts: { participants: input.participants.length, stimuli: input.stimuli.length, detector_scores: input.scores.length, responses: input.responses },
    exclusions: study.exclusions,
  };
}
