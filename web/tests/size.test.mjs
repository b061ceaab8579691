// The first load of the console (the JS and CSS index.html references,
// gzip-compressed) stays under 150 KB, and index.html has no inline script
// or style (the node's CSP forbids them).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync, readdirSync, statSync } from 'node:fs';
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

// The source keeps to what the CSP and the security rules allow: no HTML
// built from strings, no inline styles, no code from strings, no other
// origin, and web storage only for the language.
test('the source builds no HTML from strings and uses no inline style', () => {
  const src = new URL('../src/', import.meta.url).pathname;
  const files = (function walk(d) {
    return readdirSync(d).flatMap((f) => {
      const p = join(d, f);
      return statSync(p).isDirectory() ? walk(p) : /\.(tsx?|css)$/.test(f) ? [p] : [];
    });
  })(src);
  assert.ok(files.length > 5);
  for (const f of files) {
    const text = readFileSync(f, 'utf8');
    assert.doesNotMatch(text, /dangerouslySetInnerHTML|\.innerHTML|outerHTML|insertAdjacentHTML|document\.write/, `${f}: HTML from strings`);
    assert.doesNotMatch(text, /\sstyle=\{|\sstyle="/, `${f}: inline style`);
    assert.doesNotMatch(text, /\beval\(|new Function\(/, `${f}: code from strings`);
    assert.doesNotMatch(text, /https?:\/\/(?!127\.0\.0\.1)/, `${f}: another origin`);
    assert.doesNotMatch(text, /@import|url\(\s*['"]?https?:/, `${f}: external stylesheet or font`);
    for (const m of text.matchAll(/(?:localStorage|sessionStorage)\.setItem\(\s*'([^']+)'/g)) assert.equal(m[1], 'entente.lang', `${f}: stores ${m[1]}`);
    assert.doesNotMatch(text, /sessionStorage/, `${f}: sessionStorage`);
  }
});
