// Text into HTML or SVG markup: the five characters that could open markup or
// end an attribute, escaped. Used by the report and by the figures' <title>/<desc>.
// The project's one escaper is the escape-html package (the one express uses);
// the server's pages import it directly.
export { default as escapeHtml } from 'escape-html';
