// The researcher bundle: built by esbuild from client/admin, rebuilt only when a
// source is newer, and free of any way to turn text into HTML.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { ADMIN_BUNDLE, adminBundleIsFresh, buildAdminClient } from '../../client/admin/build.ts';

test('buildAdminClient builds once, then only when stale; the bundle registers the app and never uses unsafeHTML', () => {
  buildAdminClient();
  assert.equal(adminBundleIsFresh(), true);
  const before = statSync(ADMIN_BUNDLE).mtimeMs;
  assert.equal(buildAdminClient(), false, 'fresh: nothing to do');
  assert.equal(statSync(ADMIN_BUNDLE).mtimeMs, before);
  const js = readFileSync(ADMIN_BUNDLE, 'utf8');
  for (const name of ['credence-admin', 'admin-studies', 'admin-monitor', 'admin-results', 'admin-accounts']) {
    assert.ok(js.includes(`"${name}"`), `defines <${name}>`);
  }
  // lit renders bindings as text; only its unsafeHTML/unsafeSVG directives would parse data as markup.
  assert.ok(!/unsafeHTML|unsafeSVG/.test(js), 'no unsafe directive is bundled');
});
