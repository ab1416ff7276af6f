// Server-rendered HTML in the researcher area is limited to two small pages
// (login and the app shell); every value put into them goes through escapeHtml.
export function escapeHtml(value: string): string {
  return value
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** Only paths inside the researcher area may be the target of a post-login redirect. */
export function safeNextPath(value: unknown): string {
  if (typeof value !== 'string') return '/admin';
  if (!/^\/admin(?:[/?#][^\s\\]*)?$/.test(value) || value.startsWith('/admin/login') || value.includes('//')) return '/admin';
  return value;
}
