// Server-rendered HTML in the researcher area is limited to two small pages
// (login and the app shell); every value put into them goes through escapeHtml
// (the escape-html package, the project's one HTML escaper).

/** Only paths inside the researcher area may be the target of a post-login redirect. */
export function safeNextPath(value: unknown): string {
  if (typeof value !== 'string') return '/admin';
  if (!/^\/admin(?:[/?#][^\s\\]*)?$/.test(value) || value.startsWith('/admin/login') || value.includes('//')) return '/admin';
  return value;
}
