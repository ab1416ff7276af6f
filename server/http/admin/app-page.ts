// The researcher app's HTML shell; everything else is the lit bundle, which
// renders all study and participant text as text.
export const APP_PAGE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  // lit falls back to <style> elements where adoptedStyleSheets are missing.
  "style-src 'self' 'unsafe-inline'",
  // Result figures are SVG shown as images (data: URLs), so their markup never runs.
  "img-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "object-src 'none'",
].join('; ');

export function appPage(bundleVersion: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Credence — researcher</title>
<link rel="icon" href="data:,">
<style>
  body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1d1f24; background: #f3f4f6; }
</style>
<script type="module" src="/admin/assets/admin.js?v=${encodeURIComponent(bundleVersion)}"></script>
</head>
<body>
<credence-admin></credence-admin>
<noscript><p style="margin:2rem">The researcher app needs JavaScript.</p></noscript>
</body>
</html>`;
}
