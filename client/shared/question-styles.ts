// Styles every question element shares: big touch targets (≥ 44 px), a focus
// ring you can see, and nothing wider than a 360-px phone.
import { css } from 'lit';

export const questionStyles = css`
  :host {
    display: block;
    margin: 0 0 1.5rem;
    min-width: 0;
  }
  fieldset {
    border: 0;
    margin: 0;
    padding: 0;
    min-width: 0;
  }
  legend,
  .prompt {
    font-weight: 600;
    margin: 0 0 0.6rem;
    padding: 0;
    white-space: pre-wrap;
    overflow-wrap: anywhere;
  }
  .hint {
    color: #55575d;
    font-size: 0.92em;
    margin: -0.3rem 0 0.6rem;
  }
  .options {
    display: flex;
    flex-direction: column;
    gap: 0.4rem;
  }
  /* A numbered list of items stacked one under another (boundary sentences, ranking options). */
  ol.stack {
    list-style: none;
    margin: 0;
    padding: 0;
    display: flex;
    flex-direction: column;
    gap: 0.35rem;
  }
  .options.row {
    flex-direction: row;
    flex-wrap: wrap;
  }
  .options.row label.option {
    flex: 1 1 8rem;
  }
  label.option {
    display: flex;
    align-items: center;
    gap: 0.6rem;
    min-height: 44px;
    box-sizing: border-box;
    padding: 0.45rem 0.75rem;
    border: 1px solid #c4c6cc;
    border-radius: 8px;
    background: #fff;
    cursor: pointer;
    overflow-wrap: anywhere;
  }
  label.option:hover {
    border-color: #6b6f78;
  }
  label.option:has(input:checked) {
    border-color: #1f5fbf;
    background: #eaf1fc;
  }
  input[type='radio'],
  input[type='checkbox'] {
    width: 1.25rem;
    height: 1.25rem;
    margin: 0;
    flex: none;
    accent-color: #1f5fbf;
  }
  input:focus-visible,
  textarea:focus-visible,
  select:focus-visible,
  button:focus-visible,
  [tabindex]:focus-visible {
    outline: 3px solid #1f5fbf;
    outline-offset: 2px;
  }
  label.option:has(input:focus-visible) {
    outline: 3px solid #1f5fbf;
    outline-offset: 2px;
  }
  textarea,
  select,
  input[type='number'],
  input[type='text'] {
    font: inherit;
    width: 100%;
    box-sizing: border-box;
    min-height: 44px;
    padding: 0.5rem 0.6rem;
    border: 1px solid #9ea2aa;
    border-radius: 6px;
    background: #fff;
  }
  .error {
    color: #a1261b;
    font-size: 0.92em;
    margin: 0.3rem 0 0;
  }
  .sr-only {
    position: absolute;
    width: 1px;
    height: 1px;
    margin: -1px;
    padding: 0;
    overflow: hidden;
    clip: rect(0 0 0 0);
    white-space: nowrap;
    border: 0;
  }
`;
