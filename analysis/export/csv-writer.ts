// The one way the project writes CSV (long, wide, tables, codebook, the
// researcher area's responses.csv): csv-stringify, with every text cell that a
// spreadsheet would run as a formula neutralised. Participants write the
// rationales, comments and recruiter ids that reach these files, and a cell
// such as `=HYPERLINK(...)` or `@SUM(...)` would otherwise run when a researcher
// opens the file in Excel, LibreOffice or Google Sheets.
import { stringify, type Options } from 'csv-stringify';

/** Leading characters that make a spreadsheet treat a cell as a formula (OWASP's list). */
const FORMULA_START = /^[=+\-@\t\r]/;
/** A plain number (`-3`, `+1.5e3`) is read as that number, not run as a formula, so it is left as it is. */
const PLAIN_NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** `'`-prefixes a cell that begins with = + - @ tab or CR, unless it is a plain number. */
export function neutraliseFormula(cell: string): string {
  return FORMULA_START.test(cell) && !PLAIN_NUMBER.test(cell) ? `'${cell}` : cell;
}

/** What the codebook says about it (one sentence, for every export). */
export const FORMULA_NOTE =
  "Text cells that begin with =, +, -, @, a tab or a carriage return (and are not plain numbers) are prefixed with ' so that spreadsheets show them instead of running them as formulas; export with --raw to get the stored text unchanged.";
export const RAW_NOTE = 'Written with --raw: text cells are exactly as stored; a spreadsheet may run cells that begin with =, +, -, @, tab or CR as formulas.';

export interface CsvWriterOptions {
  /** The bytes as stored, for analysts' own tools (`--raw`); default neutralised. */
  raw?: boolean;
}

/** A csv-stringify transform with a header row and formula-safe text cells. */
export function csvStringifier(columns: string[], opts: CsvWriterOptions & Pick<Options, 'cast' | 'quoted_match'> = {}) {
  const { raw, cast, quoted_match } = opts;
  return stringify({
    header: true,
    columns,
    ...(quoted_match ? { quoted_match } : {}),
    cast: { ...cast, ...(raw ? {} : { string: (v: string) => neutraliseFormula(v) }) },
  });
}
