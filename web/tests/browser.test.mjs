// The console in a real browser (Debian's chromium driven by playwright-core)
// against a real node started here: sign in, search, open an organisation,
// edit a contact, Arabic right-to-left, create and revoke a token, markup in
// names shown as text, axe-core on every screen, keyboard-only sign-in.
// Needs ENTENTE_BIN (the entente binary) and ENTENTE_TEST_DIR (a work dir);
// screenshots go to ENTENTE_TEST_DIR/screenshots.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';

const BIN = process.env.ENTENTE_BIN;
const WORK = process.env.ENTENTE_TEST_DIR;
assert.ok(BIN && WORK, 'set ENTENTE_BIN and ENTENTE_TEST_DIR');
const ROOT = new URL('../../', import.meta.url).pathname;
const DATA = join(WORK, 'node');
const SHOTS = join(WORK, 'screenshots');
const PW = 'browser test password';
const XSS = '<img src=x onerror=window.__xss=1>';
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

let server, browser, base, xssOrg;

const freePort = () =>
  new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
const cli = (...args) => execFileSync(BIN, ['--data', DATA, ...args], { env: { ...process.env, ENTENTE_PASSWORD: PW } }).toString().trim();

before(async () => {
  rmSync(WORK, { recursive: true, force: true });
  mkdirSync(SHOTS, { recursive: true });
  cli('init', '--org-name', 'Test Operators', '--country', 'XA', '--operator-password', PW);
  cli('demo', '--file', join(ROOT, 'data/demo/directory.json'));
  xssOrg = cli('org', 'create', JSON.stringify({ kind: 'private_sector', names: { en: XSS }, country: 'XB' }));
  cli('poc', 'create', '--org', xssOrg, JSON.stringify({ role: 'technical', function_title: XSS, name: XSS, languages: ['en'], timezone: 'UTC', hours: { always: true } }));
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  server = spawn(BIN, ['--data', DATA, 'serve', '--listen', `127.0.0.1:${port}`], { stdio: 'ignore' });
  for (let i = 0; i < 200; i++) {
    try {
      if ((await fetch(`${base}/healthz`)).ok) break;
    } catch {}
    await new Promise((r) => setTimeout(r, 50));
  }
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});

after(async () => {
  await browser?.close();
  server?.kill('SIGTERM');
});

async function newPage() {
  const context = await browser.newContext({ locale: 'en-GB' });
  const page = await context.newPage();
  // Script errors and CSP violations fail the test that caused them.
  const problems = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) problems.push(`CSP: ${m.text()}`);
  });
  page.done = async () => {
    assert.deepEqual(problems, []);
    await context.close();
  };
  return page;
}

async function axe(page, name) {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
  // The node's CSP allows only its own scripts: run axe through the DevTools
  // protocol, which CSP does not govern.
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Runtime.evaluate', { expression: AXE });
  const r = await cdp.send('Runtime.evaluate', {
    expression: 'axe.run(document, {resultTypes: ["violations"]}).then(r => JSON.stringify(r.violations.map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.length, help: v.help}))))',
    awaitPromise: true,
    returnByValue: true,
  });
  const bad = JSON.parse(r.result.value).filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(bad, [], `${name}: axe violations`);
}

async function signIn(page, user, password = PW) {
  await page.goto(base + '/');
  await page.getByLabel('User name').fill(user);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Directory' }).waitFor();
}

test('sign-in page is accessible and keyboard-only sign-in works', async () => {
  const page = await newPage();
  await page.goto(base + '/');
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  await axe(page, '01-sign-in');
  await page.keyboard.press('Tab'); // skip link
  await page.keyboard.press('Tab'); // language
  await page.keyboard.press('Tab');
  await page.keyboard.type('operator');
  await page.keyboard.press('Tab');
  await page.keyboard.type(PW);
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'Directory' }).waitFor();
  // No secret is kept in web storage.
  const stored = await page.evaluate(() => JSON.stringify({ ...localStorage, ...sessionStorage }));
  assert.doesNotMatch(stored, /csrf|token|session|password/i);
  await page.done();
});

test('wrong password shows an error and keeps the user on sign-in', async () => {
  const page = await newPage();
  await page.goto(base + '/');
  await page.getByLabel('User name').fill('operator');
  await page.getByLabel('Password').fill('not the password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('alert').waitFor();
  await page.done();
});

test('search the directory, open an organisation, see its fingerprint', async () => {
  const page = await newPage();
  await signIn(page, 'operator');
  await axe(page, '02-directory');
  await page.getByLabel('Name').first().fill('Borealia');
  await page.getByRole('button', { name: 'Search' }).click();
  const link = page.getByRole('link', { name: 'Borealia National CSIRT' });
  await link.waitFor();
  assert.equal(await page.getByRole('link', { name: /Arcadia/ }).count(), 0);
  await link.click();
  await page.getByRole('heading', { name: 'Borealia National CSIRT' }).waitFor();
  const fp = await page.locator('.fingerprint').first().textContent();
  assert.match(fp, /^([0-9a-f]{4} ){15}[0-9a-f]{4}$/);
  await page.getByText('Tan Mei Ling').waitFor();
  await axe(page, '03-organisation');
  // Contacts tab with a language filter.
  await page.goto(base + '/#/');
  await page.getByRole('tab', { name: 'Points of contact' }).click();
  await page.getByLabel('Language').last().fill('ru');
  await page.getByRole('button', { name: 'Search' }).click();
  await page.getByRole('link', { name: 'Ирина Соколова' }).waitFor();
  await axe(page, '04-contacts');
  await page.done();
});

test('an officer edits a contact of their organisation', async () => {
  const page = await newPage();
  await signIn(page, 'arcadia-cert.officer');
  await page.getByLabel('Name').first().fill('CERT-Arcadia');
  await page.getByRole('button', { name: 'Search' }).click();
  await page.getByRole('link', { name: 'CERT-Arcadia' }).click();
  await page.getByRole('heading', { name: 'Marc Dubois' }).waitFor();
  const card = page.locator('li.poc', { has: page.getByRole('heading', { name: 'Marc Dubois' }) });
  await card.getByRole('button', { name: 'Edit' }).click();
  await axe(page, '05-edit-contact');
  await page.getByLabel('Function').fill('Head of incident response and coordination');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByText('Head of incident response and coordination').waitFor();
  // The officer cannot edit the organisation itself.
  assert.equal(await page.getByRole('button', { name: 'Edit organisation' }).count(), 0);
  // A field error is shown next to the field, and nothing is saved.
  await card.getByRole('button', { name: 'Edit' }).click();
  await page.getByLabel('Time zone').fill('Mars/Olympus');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByText(/timezone/).first().waitFor();
  await page.done();
});

test('markup in names is shown as text everywhere', async () => {
  const page = await newPage();
  await signIn(page, 'operator');
  await page.getByLabel('Name').first().fill('onerror');
  await page.getByRole('button', { name: 'Search' }).click();
  await page.getByRole('link', { name: XSS }).click();
  await page.getByRole('heading', { name: XSS, level: 1 }).waitFor();
  await page.getByRole('heading', { name: XSS, level: 3 }).waitFor();
  assert.equal(await page.locator('main img').count(), 0);
  assert.equal(await page.evaluate(() => window.__xss), undefined);
  await page.goto(base + '/#/');
  await page.getByRole('tab', { name: 'Points of contact' }).click();
  await page.getByRole('link', { name: XSS }).waitFor();
  assert.equal(await page.evaluate(() => window.__xss), undefined);
  await page.done();
});

test('Arabic renders right to left and is remembered', async () => {
  const page = await newPage();
  await signIn(page, 'operator');
  await page.getByLabel('Language').first().selectOption('ar');
  await page.getByRole('heading', { name: 'الدليل' }).waitFor();
  assert.equal(await page.evaluate(() => document.documentElement.dir), 'rtl');
  assert.equal(await page.evaluate(() => document.documentElement.lang), 'ar');
  await axe(page, '06-directory-ar');
  await page.reload();
  await page.getByRole('heading', { name: 'الدليل' }).waitFor();
  for (const [code, heading] of [['zh', '名录'], ['ru', 'Справочник'], ['es', 'Directorio'], ['fr', 'Annuaire'], ['en', 'Directory']]) {
    await page.locator('#lang').selectOption(code);
    await page.getByRole('heading', { name: heading }).waitFor();
    assert.equal(await page.evaluate(() => document.documentElement.dir), 'ltr');
  }
  await page.done();
});

test('create a token (shown once) and revoke it', async () => {
  const page = await newPage();
  await signIn(page, 'arcadia-cert.admin');
  await page.getByRole('link', { name: 'My organisation' }).click();
  await page.getByRole('heading', { name: 'API tokens' }).waitFor();
  await axe(page, '07-my-organisation');
  await page.getByLabel('Token name').fill('browser-test');
  await page.getByRole('button', { name: 'Create' }).last().click();
  const value = await page.locator('.token-value').first().textContent();
  assert.match(value, /^ent_/);
  const api = await fetch(`${base}/api/v1/orgs`, { headers: { Authorization: `Bearer ${value}` } });
  assert.equal(api.status, 200);
  await page.getByRole('button', { name: 'Revoke browser-test' }).click();
  await page.getByText('Revoked').waitFor();
  const after = await fetch(`${base}/api/v1/orgs`, { headers: { Authorization: `Bearer ${value}` } });
  assert.equal(after.status, 401);
  await page.reload();
  await page.getByRole('heading', { name: 'API tokens' }).waitFor();
  assert.equal(await page.getByText(value).count(), 0, 'the token is never shown again');
  await page.done();
});

test('node operator screen and session expiry', async () => {
  const page = await newPage();
  await signIn(page, 'operator');
  await page.getByRole('link', { name: 'Node' }).click();
  await page.getByRole('heading', { name: 'Node identity' }).waitFor();
  await page.locator('.chart canvas').first().waitFor();
  await axe(page, '08-node');
  // End the session behind the console's back: the next call returns to sign-in.
  await page.context().clearCookies();
  await page.getByRole('link', { name: 'Directory' }).click();
  await page.getByText('Your session has ended').waitFor();
  await page.done();
});
