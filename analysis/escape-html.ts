// Text into HTML or SVG markup: the five characters that could open markup or
// end an attribute, escaped. Used by the report and by the figures' <title>/<desc>.
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
