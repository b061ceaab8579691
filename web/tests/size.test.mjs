// The first load of the console (the JS and CSS index.html references,
// gzip-compressed) stays under 150 KB, and index.html has no inline script
// or style (the node's CSP forbids them).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';

const dist = new URL('../dist/', import.meta.url).pathname;

test('first load under 150 KB compressed', () => {
  assert.ok(existsSync(join(dist, 'index.html')), 'web/dist is missing: run npm run build');
  const html = readFileSync(join(dist, 'index.html'), 'utf8');
  const refs = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+\.(?:js|css))"/g)].map((m) => m[1]);
  assert.ok(refs.length >= 2, 'expected a script and a stylesheet');
  let total = gzipSync(html).length;
  for (const r of refs) total += gzipSync(readFileSync(join(dist, r))).length;
  console.log(`first load: ${(total / 1024).toFixed(1)} KB gzip (${refs.join(', ')})`);
  assert.ok(total < 150 * 1024, `first load is ${total} bytes`);
});

test('no inline script or style in index.html', () => {
  const html = readFileSync(join(dist, 'index.html'), 'utf8');
  assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/, 'inline <script>');
  assert.doesNotMatch(html, /<style/, 'inline <style>');
  assert.doesNotMatch(html, /\sstyle=/, 'style attribute');
  assert.doesNotMatch(html, /https?:\/\//, 'reference to another origin');
});
