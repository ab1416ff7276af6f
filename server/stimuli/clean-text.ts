// What makes a text a give-away that a machine wrote it, whatever it says:
// U+FFFD (bytes that were not whole characters), control characters and
// characters a browser draws as a missing-glyph box (unassigned, private-use,
// surrogate and invisible format characters). `prepare` replaces samples
// holding any of them.

// Line breaks and tabs are text; every other control character is not.
const BAD = /[\uFFFD\p{Cn}\p{Co}\p{Cs}\p{Cf}]|[^\P{Cc}\n\t]/u;

const NAMES: [RegExp, string][] = [
  [/\uFFFD/u, 'U+FFFD (a broken character)'],
  [/[^\P{Cc}\n\t]/u, 'a control character'],
  [/[\p{Cn}\p{Co}\p{Cs}\p{Cf}]/u, 'an unprintable character'],
];

/** Why the text would show a reader something no person types, or null when it is clean. */
export function uncleanReason(text: string): string | null {
  const m = BAD.exec(text);
  if (!m) return null;
  const cp = m[0].codePointAt(0)!;
  const what = NAMES.find(([re]) => re.test(m[0]))?.[1] ?? 'an unprintable character';
  return `${what} U+${cp.toString(16).toUpperCase().padStart(4, '0')} at offset ${m.index}`;
}
