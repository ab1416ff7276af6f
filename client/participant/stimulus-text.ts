// The text a participant reads. Always text nodes (lit text bindings), never
// HTML: stimuli are model output and corpus text, and may contain markup.
// With a GLTR overlay each token is coloured by its rank under the model.
import { LitElement, css, html } from 'lit';

export interface GltrToken {
  token: string;
  rank: number;
}

/** GLTR's four buckets: top-10, top-100, top-1000, beyond. */
export function rankBucket(rank: number): 0 | 1 | 2 | 3 {
  if (rank < 10) return 0;
  if (rank < 100) return 1;
  if (rank < 1000) return 2;
  return 3;
}

// The legend says what a colour means in words a participant reads, not just the rank cut-offs.
const BUCKETS = [
  { cls: 'r10', label: 'green: among the 10 words the model found likeliest' },
  { cls: 'r100', label: 'yellow: in its top 100' },
  { cls: 'r1000', label: 'red: in its top 1000' },
  { cls: 'rest', label: 'purple: less likely still' },
] as const;

export class StimulusText extends LitElement {
  static override properties = {
    text: { type: String },
    gltr: { attribute: false },
  };

  text = '';
  gltr: GltrToken[] | undefined = undefined;

  static override styles = css`
    :host {
      display: block;
      margin: 0 0 1.5rem;
    }
    .passage {
      white-space: pre-wrap;
      overflow-wrap: anywhere;
      background: #fff;
      border: 1px solid #d8d9dd;
      border-radius: 8px;
      padding: 1rem;
      margin: 0;
      font-family: Georgia, 'Times New Roman', serif;
      font-size: 1.05em;
      line-height: 1.6;
    }
    .r10 { background: #c9f2c7; }
    .r100 { background: #fbeea0; }
    .r1000 { background: #f8c0bb; }
    .rest { background: #dccaf4; }
    .legend-title {
      margin: 0.5rem 0 0;
      font-size: 0.9em;
    }
    .legend {
      display: flex;
      flex-wrap: wrap;
      gap: 0.4rem 1rem;
      margin: 0.5rem 0 0;
      padding: 0;
      list-style: none;
      font-size: 0.9em;
    }
    .legend span.swatch {
      display: inline-block;
      width: 1em;
      height: 1em;
      border-radius: 3px;
      vertical-align: -0.15em;
      margin-right: 0.3em;
      border: 1px solid #0002;
    }
  `;

  override render() {
    if (!this.gltr || this.gltr.length === 0) {
      return html`<p class="passage" part="passage">${this.text}</p>`;
    }
    return html`
      <p class="passage" part="passage">${this.gltr.map((t) => html`<span class=${BUCKETS[rankBucket(t.rank)].cls}>${t.token}</span>`)}</p>
      <p class="legend-title" id="legend-title">Each word is coloured by how predictable a language model found it at that point:</p>
      <ul class="legend" aria-labelledby="legend-title">
        ${BUCKETS.map((b) => html`<li><span class="swatch ${b.cls}" aria-hidden="true"></span>${b.label}</li>`)}
      </ul>
    `;
  }
}
customElements.define('stimulus-text', StimulusText);

declare global {
  interface HTMLElementTagNameMap {
    'stimulus-text': StimulusText;
  }
}
