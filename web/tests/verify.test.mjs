// The console's receipt verifier (src/verify.ts) in node, without a browser:
// RFC 8785 canonical JSON, and receipts produced by a real node — the one in
// tests/fixtures/receipt.json and, when ENTENTE_BIN names the entente binary,
// fresh ones from a node started here for every entry of a message's
// timeline — valid as they come and refused with the right reason once any
// part is altered. With ENTENTE_BIN, `entente verify receipt` must agree.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const ts = require('typescript');
const here = new URL('.', import.meta.url).pathname;

// src/verify.ts, compiled to a module here (it imports nothing).
const scratch = mkdtempSync(join(tmpdir(), 'entente-verify-'));
const source = readFileSync(join(here, '../src/verify.ts'), 'utf8');
const js = ts.transpileModule(source, { compilerOptions: { target: ts.ScriptTarget.ES2021, module: ts.ModuleKind.ESNext } }).outputText;
writeFileSync(join(scratch, 'verify.mjs'), js);
const { canonicalize, verifyReceipt } = await import(join(scratch, 'verify.mjs'));

const fixture = JSON.parse(readFileSync(join(here, 'fixtures/receipt.json'), 'utf8'));
const clone = (x) => JSON.parse(JSON.stringify(x));
const flipHex = (h) => (h[0] === '0' ? '1' : '0') + h.slice(1);

test('canonical JSON (RFC 8785)', () => {
  // Members sorted by UTF-16 code units (RFC 8785 section 3.2.3).
  const sorting = { '\u20ac': 'Euro Sign', '\r': 'Carriage Return', '\ufb33': 'Hebrew Letter Dalet With Dagesh', '1': 'One', '\ud83d\ude00': 'Emoji: Grinning Face', '\u0080': 'Control', '\u00f6': 'Latin Small Letter O With Diaeresis' };
  // (Object.keys would list the integer-like "1" first: check the text.)
  assert.equal(
    canonicalize(sorting),
    '{"\\r":"Carriage Return","1":"One","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis","\u20ac":"Euro Sign","\ud83d\ude00":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}',
  );
  // Section 3.2.2: numbers as ECMAScript writes them, literals, escapes.
  assert.equal(
    canonicalize({ numbers: [333333333.33333329, 1e30, 4.5, 2e-3, 0.000000000000000000000000001], string: '\u20ac$\u000f\u000aA\'\u0042\u0022\u005c\\"/', literals: [null, true, false] }),
    '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}',
  );
  assert.equal(canonicalize({ b: [], a: {}, c: -0 }), '{"a":{},"b":[],"c":0}');
  assert.throws(() => canonicalize({ x: NaN }));
});

test('a receipt from a real node verifies, with the author organisation signature', async () => {
  const v = await verifyReceipt(fixture.receipt, fixture.node_public_key, fixture.envelope_id, fixture.author_sign_public);
  assert.equal(v.valid, true, JSON.stringify(v));
  assert.equal(v.author_signature, 'valid');
  assert.equal(v.leaf_index, fixture.receipt.leaf_index);
  assert.equal(v.tree_size, fixture.receipt.sth.tree_size);
  assert.equal(v.root_hash, fixture.receipt.sth.root_hash);
  // Without the organisation key, the log proof alone.
  assert.equal((await verifyReceipt(fixture.receipt, fixture.node_public_key, fixture.envelope_id)).author_signature, 'unchecked');
});

// Each alteration, and the reason the verifier must give.
const tampering = [
  ['the envelope changed', 'leaf_hash', (r) => (r.envelope.created += 1)],
  ['the sealed body changed', 'leaf_hash', (r) => (r.envelope.sealed.ciphertext = 'A' + r.envelope.sealed.ciphertext.slice(1))],
  ['a member added to the envelope', 'leaf_hash', (r) => (r.envelope.note = 'x')],
  ['the leaf hash changed', 'leaf_hash', (r) => (r.leaf_hash = flipHex(r.leaf_hash))],
  ['the leaf index changed', 'inclusion', (r) => (r.leaf_index = r.leaf_index ^ 1)],
  ['a proof hash changed', 'inclusion', (r) => (r.inclusion_proof[0] = flipHex(r.inclusion_proof[0]))],
  ['a proof hash removed', 'inclusion', (r) => r.inclusion_proof.pop()],
  ['a proof hash added', 'inclusion', (r) => r.inclusion_proof.push(r.inclusion_proof[0])],
  ['the root hash changed', 'sth_signature', (r) => (r.sth.root_hash = flipHex(r.sth.root_hash))],
  ['the tree size changed', 'sth_signature', (r) => (r.sth.tree_size += 1)],
  ['the tree head time changed', 'sth_signature', (r) => (r.sth.timestamp += 1)],
  ['the tree head signature changed', 'sth_signature', (r) => (r.sth.signature = (r.sth.signature[0] === 'A' ? 'B' : 'A') + r.sth.signature.slice(1))],
  ['the node id changed', 'node_id', (r) => (r.sth.node_id = flipHex(r.sth.node_id))],
  ['the node key changed', 'other_node', (r) => (r.node_public_key = 'A' + r.node_public_key.slice(1))],
  ['a member missing', 'malformed', (r) => delete r.inclusion_proof],
  ['a hash that is not hex', 'malformed', (r) => (r.leaf_hash = 'zz' + r.leaf_hash.slice(2))],
];

for (const [what, reason, change] of tampering)
  test(`a tampered receipt is refused: ${what} (${reason})`, async () => {
    const r = clone(fixture.receipt);
    change(r);
    const v = await verifyReceipt(r, fixture.node_public_key, fixture.envelope_id, fixture.author_sign_public);
    assert.equal(v.valid, false);
    assert.equal(v.failure, reason);
  });

test('a receipt for another envelope, or from another node, is refused', async () => {
  assert.equal((await verifyReceipt(fixture.receipt, fixture.node_public_key, '01a23413-0000-7000-8000-000000000000')).failure, 'other_envelope');
  const other = 'B'.repeat(43);
  assert.equal((await verifyReceipt(fixture.receipt, other, fixture.envelope_id)).failure, 'other_node');
  assert.equal((await verifyReceipt(null, fixture.node_public_key, fixture.envelope_id)).failure, 'malformed');
});

test('an envelope signature that is not the author organisation key is reported', async () => {
  const r = clone(fixture.receipt);
  const v = await verifyReceipt(r, fixture.node_public_key, fixture.envelope_id, fixture.node_public_key);
  assert.equal(v.valid, true); // in the log all the same
  assert.equal(v.author_signature, 'invalid');
});

// ---- against a node started here ------------------------------------------------

const BIN = process.env.ENTENTE_BIN;
const PW = 'verify test password';
let server, base, data;

const freePort = () =>
  new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

before(async () => {
  if (!BIN) return;
  data = join(scratch, 'node');
  const cli = (...args) => {
    const r = spawnSync(BIN, ['--data', data, ...args], { env: { ...process.env, ENTENTE_PASSWORD: PW } });
    assert.equal(r.status, 0, r.stderr?.toString());
  };
  cli('init', '--org-name', 'Verify Operators', '--country', 'XA', '--operator-password', PW);
  cli('demo', '--file', join(here, '../../data/demo/directory.json'));
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  server = spawn(BIN, ['--data', data, 'serve', '--listen', `127.0.0.1:${port}`], { stdio: 'ignore' });
  for (let i = 0; i < 200; i++) {
    try {
      if ((await fetch(`${base}/healthz`)).ok) return;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  assert.fail('the node did not start');
});

after(() => {
  server?.kill('SIGTERM');
  rmSync(scratch, { recursive: true, force: true });
});

// A signed-in API client (session cookie and CSRF token).
async function session(username) {
  const res = await fetch(`${base}/api/v1/auth/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username, password: PW }) });
  assert.equal(res.status, 200);
  const { csrf } = await res.json();
  const cookie = res.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  return async (method, path, body) => {
    const r = await fetch(base + path, { method, headers: { Cookie: cookie, 'X-CSRF-Token': csrf, 'Content-Type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await r.text();
    assert.ok(r.ok, `${method} ${path}: ${r.status} ${text}`);
    return text ? JSON.parse(text) : null;
  };
}

test('fresh receipts of every timeline entry verify, and the node CLI agrees on valid and tampered ones', { skip: !BIN && 'ENTENTE_BIN is not set' }, async () => {
  const arcadia = await session('arcadia-cert.officer');
  const borealia = await session('borealia-cert.officer');
  const to = (await arcadia('GET', '/api/v1/orgs?q=Borealia%20National')).items[0].id;
  const m = await arcadia('POST', '/api/v1/messages', { kind: 'incident_notification', recipients: [to], tlp: 'amber', language: 'fr', fields: { urgency: 'urgent', classification: { class: 'intrusions', type: 'system-compromise' }, summary: 'Intrusion — « test » ✓ 𝄞' } });
  await borealia('POST', `/api/v1/messages/${m.id}/ack`);
  await borealia('POST', `/api/v1/messages/${m.id}/respond`, { language: 'en', fields: { urgency: 'urgent', summary: 'Received, investigating' } });
  const node = await arcadia('GET', '/api/v1/node');
  const { items } = await arcadia('GET', `/api/v1/messages/${m.id}/timeline`);
  assert.ok(items.length >= 4, JSON.stringify(items));
  for (const e of items) {
    const id = e.action === 'responded' ? e.id.replace(/\/responded$/, '') : e.id;
    const receipt = await arcadia('GET', `/api/v1/log/receipt/${id}`);
    const author = await arcadia('GET', `/api/v1/orgs/${receipt.envelope.author_org}`);
    const v = await verifyReceipt(receipt, node.public_key, id, author.sign_public);
    assert.equal(v.valid, true, `${e.action}: ${JSON.stringify(v)}`);
    assert.equal(v.author_signature, 'valid', e.action);
  }
  // The node's own verifier agrees, on the valid receipt and on tampered ones.
  const receipt = await arcadia('GET', `/api/v1/log/receipt/${m.id}`);
  const cliVerify = (r) => {
    const file = join(scratch, 'receipt.json');
    writeFileSync(file, JSON.stringify(r));
    return spawnSync(BIN, ['verify', 'receipt', file, '--node-key', node.public_key]).status === 0;
  };
  assert.equal(cliVerify(receipt), true);
  for (const [what, , change] of tampering.filter(([, reason]) => reason !== 'other_node')) {
    const r = clone(receipt);
    change(r);
    assert.equal(cliVerify(r), false, `the CLI accepted ${what}`);
    assert.equal((await verifyReceipt(r, node.public_key, m.id)).valid, false, what);
  }
});
