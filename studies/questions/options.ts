// Options of choice-like questions: a protocol may list plain strings or
// {value, label} pairs; descriptors work on the pairs.
import { z } from 'zod';

export interface Option {
  value: string;
  label: string;
}

export const OptionsSchema = z
  .array(z.union([z.string().min(1), z.object({ value: z.string().min(1), label: z.string().min(1) }).strict()]))
  .min(2, 'at least two options')
  .transform((opts): Option[] => opts.map((o) => (typeof o === 'string' ? { value: o, label: o } : o)))
  .refine((opts) => new Set(opts.map((o) => o.value)).size === opts.length, 'option values must be unique');

export function optionValues(options: Option[]): [string, ...string[]] {
  return options.map((o) => o.value) as [string, ...string[]];
}
