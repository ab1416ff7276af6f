// One generation record as stored in JSONL (generate --out, prepared pools).
// Field order is fixed so the same run gives the same bytes.
import type { Decoder } from './decoder.ts';
import { provenanceOf, type GenerateOptions, type GeneratedSample, type Provenance } from './generate.ts';

export interface GenerationRecord {
  id: string;
  text: string;
  prompt: string;
  continuation: string;
  /** Text of each sampled token; a character spanning tokens belongs to the token completing it, so they join to the continuation. */
  tokens: string[];
  /** GPT-2 vocabulary ids of the sampled tokens. */
  token_ids: number[];
  logprobs: number[];
  ranks: number[];
  finish_reason: string;
  provenance: Provenance & Record<string, unknown>;
}

export function toRecord(decoder: Decoder, opts: GenerateOptions, s: GeneratedSample, id: string, text: string, extra: Record<string, unknown> = {}): GenerationRecord {
  return {
    id,
    text,
    prompt: s.prompt,
    continuation: s.continuation,
    tokens: decoder.tokenizer.decodePieces(s.tokens),
    token_ids: s.tokens,
    logprobs: s.logprobs,
    ranks: s.ranks,
    finish_reason: s.finishReason,
    provenance: { ...provenanceOf(decoder, opts, s), ...extra },
  };
}
