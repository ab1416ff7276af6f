// Reads texts a researcher brings: gpt-2-output-dataset JSONL
// ({id, ended, length, text} per line), CSV with a text column, or plain text
// with one text per blank-line-separated paragraph. A corrupt file is an error
// naming file:line; nothing is guessed.
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { StimulusError } from './stimulus.ts';

export interface ImportedText {
  text: string;
  /** 1-based line in the file: the JSONL line, the line a CSV record ends on, a paragraph's first line. */
  line: number;
  /** Other fields of the record (JSONL keys, CSV columns). */
  fields: Record<string, unknown>;
}

export type ImportFormat = 'jsonl' | 'csv' | 'text';

export function inferFormat(file: string): ImportFormat {
  const ext = extname(file).toLowerCase();
  if (ext === '.jsonl' || ext === '.json' || ext === '.ndjson') return 'jsonl';
  if (ext === '.csv') return 'csv';
  if (ext === '.txt' || ext === '.text' || ext === '') return 'text';
  throw new StimulusError(`${file}: cannot tell the format from '${ext}'; set format: jsonl | csv | text`);
}

export function readImportFile(file: string, format: ImportFormat = inferFormat(file), textColumn = 'text'): ImportedText[] {
  let content: string;
  try {
    content = readFileSync(file, 'utf8');
  } catch (err) {
    throw new StimulusError(`${file}: cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  if (content.charCodeAt(0) === 0xfeff) content = content.slice(1);
  if (format === 'jsonl') return readJsonl(file, content, textColumn);
  if (format === 'csv') return readCsv(file, content, textColumn);
  return readParagraphs(content);
}

function readJsonl(file: string, content: string, textColumn: string): ImportedText[] {
  const out: ImportedText[] = [];
  content.split('\n').forEach((raw, i) => {
    const line = i + 1;
    if (!raw.trim()) return;
    let record: unknown;
    try {
      record = JSON.parse(raw);
    } catch (err) {
      throw new StimulusError(`${file}:${line}: invalid JSON: ${(err as Error).message}`);
    }
    if (record === null || typeof record !== 'object' || Array.isArray(record)) {
      throw new StimulusError(`${file}:${line}: expected a JSON object per line`);
    }
    const { [textColumn]: text, ...fields } = record as Record<string, unknown>;
    if (typeof text !== 'string') throw new StimulusError(`${file}:${line}: field '${textColumn}' must be a string`);
    out.push({ text, line, fields });
  });
  return out;
}

function readCsv(file: string, content: string, textColumn: string): ImportedText[] {
  let records: { record: Record<string, string>; info: { lines: number } }[];
  try {
    records = parseCsv(content, { columns: true, skip_empty_lines: true, info: true, relax_column_count: false }) as typeof records;
  } catch (err) {
    const e = err as Error & { lines?: number };
    throw new StimulusError(`${file}${e.lines ? `:${e.lines}` : ''}: invalid CSV: ${e.message}`);
  }
  if (records.length > 0 && !(textColumn in records[0].record)) {
    throw new StimulusError(`${file}:1: no '${textColumn}' column (columns: ${Object.keys(records[0].record).join(', ')}); set text_column`);
  }
  return records.map(({ record, info }) => {
    const { [textColumn]: text, ...fields } = record;
    return { text, line: info.lines, fields };
  });
}

function readParagraphs(content: string): ImportedText[] {
  const out: ImportedText[] = [];
  let line = 1;
  for (const block of content.split(/(\r?\n[ \t]*\r?\n)/)) {
    if (/^\r?\n[ \t]*\r?\n$/.test(block)) {
      line += 2;
      continue;
    }
    const text = block.trim().replace(/\s+/g, ' ');
    const leading = block.length - block.trimStart().length;
    if (text) out.push({ text, line: line + (block.slice(0, leading).match(/\n/g)?.length ?? 0), fields: {} });
    line += block.match(/\n/g)?.length ?? 0;
  }
  return out;
}
