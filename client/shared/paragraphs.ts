/**
 * Protocol prose (consent, instructions, debrief) as paragraphs: a blank line
 * starts a new paragraph and single line breaks fold into spaces, so a YAML
 * `|` block wrapped at 80 columns reads as flowing text on a phone. Stimulus
 * texts are not folded (their line breaks are part of the text).
 */
export function paragraphs(text: string): string[] {
  return text
    .split(/\n\s*\n/)
    .map((p) => p.replace(/\s*\n\s*/g, ' ').trim())
    .filter((p) => p.length > 0);
}
