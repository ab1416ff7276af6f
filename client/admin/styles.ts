// Shared look of the researcher app: quiet, dense tables, clear status colours.
import { css } from 'lit';

export const baseStyles = css`
  :host { display: block; color: #1d1f24; }
  h2 { font-size: 1.15rem; margin: 0 0 0.75rem; }
  h3 { font-size: 1rem; margin: 1.25rem 0 0.5rem; }
  a { color: #2f5bd3; }
  table { border-collapse: collapse; width: 100%; background: #fff; font-variant-numeric: tabular-nums; }
  th, td { text-align: left; padding: 0.4rem 0.6rem; border-bottom: 1px solid #e4e6ea; vertical-align: top; }
  th { font-weight: 600; color: #50555f; background: #f8f9fa; font-size: 0.85rem; }
  td.num, th.num { text-align: right; }
  .card { background: #fff; border-radius: 8px; box-shadow: 0 1px 3px rgba(0, 0, 0, 0.07); padding: 1rem 1.25rem; margin-bottom: 1rem; overflow-x: auto; }
  .muted { color: #6b7079; }
  .error { color: #a4161a; background: #fdecec; padding: 0.5rem 0.75rem; border-radius: 6px; }
  .badge { display: inline-block; padding: 0.05rem 0.5rem; border-radius: 999px; font-size: 0.8rem; font-weight: 600; }
  .badge.open, .badge.in-progress { background: #e3f4e8; color: #1c6b34; }
  .badge.full, .badge.completed { background: #e6ecfb; color: #2449a8; }
  .badge.abandoned { background: #fff1d6; color: #8a5a00; }
  .badge.ended, .badge.closed { background: #f1e4e4; color: #8a2a2a; }
  .badge.paused { background: #fff1d6; color: #8a5a00; }
  .actions { display: flex; gap: 0.5rem; flex-wrap: wrap; }
  button, .button { font: inherit; padding: 0.35rem 0.8rem; border-radius: 6px; border: 1px solid #c4c8cf; background: #fff; color: #1d1f24; cursor: pointer; text-decoration: none; display: inline-block; }
  button:disabled { opacity: 0.6; cursor: default; }
  button.primary { background: #2f5bd3; border-color: #2f5bd3; color: #fff; }
  input { font: inherit; padding: 0.35rem 0.5rem; border: 1px solid #c4c8cf; border-radius: 6px; }
  .stats { display: flex; gap: 1.5rem; flex-wrap: wrap; margin-bottom: 0.75rem; }
  .stat b { display: block; font-size: 1.4rem; }
  code { font-size: 0.85em; background: #f1f2f4; padding: 0 0.25rem; border-radius: 3px; }
`;
