// The login page: a plain form that works without JavaScript, so the researcher
// bundle itself is only ever served to a logged-in session.
import escapeHtml from 'escape-html';

export const LOGIN_PAGE_CSP =
  "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

export function loginPage(opts: { next: string; username?: string; error?: string }): string {
  const error = opts.error ? `<p class="error" role="alert">${escapeHtml(opts.error)}</p>` : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Credence — researcher login</title>
<link rel="icon" href="data:,">
<style>
  body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1d1f24; background: #f3f4f6; }
  main { max-width: 22rem; margin: 12vh auto; background: #fff; padding: 2rem; border-radius: 10px; box-shadow: 0 1px 4px rgba(0,0,0,.08); }
  h1 { font-size: 1.25rem; margin: 0 0 1.25rem; }
  label { display: block; font-weight: 600; margin: .75rem 0 .25rem; }
  input { box-sizing: border-box; width: 100%; padding: .55rem .6rem; font: inherit; border: 1px solid #c4c8cf; border-radius: 6px; }
  input:focus { outline: 2px solid #2f5bd3; outline-offset: 1px; }
  button { margin-top: 1.25rem; width: 100%; padding: .6rem; font: inherit; font-weight: 600; color: #fff; background: #2f5bd3; border: 0; border-radius: 6px; cursor: pointer; }
  .error { color: #a4161a; background: #fdecec; padding: .5rem .75rem; border-radius: 6px; }
</style>
</head>
<body>
<main>
  <h1>Credence researcher login</h1>
  ${error}
  <form method="post" action="/admin/login">
    <input type="hidden" name="next" value="${escapeHtml(opts.next)}">
    <label for="username">Username</label>
    <input id="username" name="username" autocomplete="username" required value="${escapeHtml(opts.username ?? '')}">
    <label for="password">Password</label>
    <input id="password" name="password" type="password" autocomplete="current-password" required>
    <button type="submit">Log in</button>
  </form>
</main>
</body>
</html>`;
}
