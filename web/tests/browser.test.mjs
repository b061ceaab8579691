// The console in a real browser (Debian's chromium driven by playwright-core)
// against a real node started here: sign in (keyboard only, second factor),
// search, open an organisation, create and edit organisations and contacts,
// field errors next to their inputs, markup in names shown as text, Arabic
// right to left, tokens shown once and revoked, sign-out and session expiry;
// axe-core on every screen, and a screenshot of each.
//
// The node, the browser and the helpers are in harness.mjs (ENTENTE_BIN,
// ENTENTE_TEST_DIR, ENTENTE_WEB_DIST); screenshots go to
// ENTENTE_TEST_DIR/screenshots.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { suite, fieldError, PW } from './harness.mjs';

const XSS = '<img src=x onerror=window.__xss=1>';

const S = suite({
  name: 'node',
  setup: (cli) => {
    const xssOrg = cli('org', 'create', JSON.stringify({ kind: 'private_sector', names: { en: XSS }, country: 'XB' }));
    cli('poc', 'create', '--org', xssOrg, JSON.stringify({ role: 'technical', function_title: XSS, name: XSS, languages: ['en'], timezone: 'UTC', hours: { always: true } }));
  },
});
const { scenario, axe, signIn } = S;

// RFC 6238 code (SHA-1, 6 digits, 30 s) for a base32 secret.
function totp(secret, at = Date.now()) {
  const alpha = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of secret.replace(/[\s=]/g, '').toUpperCase()) bits += alpha.indexOf(c).toString(2).padStart(5, '0');
  const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(Math.floor(at / 1000 / 30)));
  const mac = createHmac('sha1', key).update(msg).digest();
  const o = mac[mac.length - 1] & 15;
  return String((mac.readUInt32BE(o) & 0x7fffffff) % 1e6).padStart(6, '0');
}

scenario('sign-in page is accessible and keyboard-only sign-in works', async (page) => {
  await page.goto(S.base + '/');
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  // A first visit is not an ended session.
  assert.equal(await page.getByText('Your session has ended').count(), 0);
  await axe(page, '01-sign-in');
  await page.keyboard.press('Tab'); // skip link
  assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Skip to content');
  await page.keyboard.press('Tab'); // language
  await page.keyboard.press('Tab');
  await page.keyboard.type('operator');
  await page.keyboard.press('Tab');
  await page.keyboard.type(PW);
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'Directory' }).waitFor();
  // Signed in, the focus is on the content.
  assert.equal(await page.evaluate(() => document.activeElement.id), 'main');
  // The skip link moves the focus to the content and leaves the route alone.
  await page.locator('a.skip').focus();
  assert.ok(await page.locator('a.skip').isVisible());
  assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Skip to content');
  await page.keyboard.press('Enter');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'main');
  assert.equal(await page.evaluate(() => location.hash), '');
  // No secret is kept in web storage.
  const stored = await page.evaluate(() => JSON.stringify({ ...localStorage, ...sessionStorage }));
  assert.doesNotMatch(stored, /csrf|token|session|password/i);
});

scenario('wrong password shows an error and keeps the user on sign-in', async (page) => {
  await page.goto(S.base + '/');
  await page.getByLabel('User name').fill('operator');
  await page.getByLabel('Password').fill('not the password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('alert').getByText('Wrong user name or password').waitFor();
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
});

scenario('search the directory, open an organisation, see its fingerprint', async (page) => {
  await signIn(page, 'operator');
  await axe(page, '02-directory');
  await page.getByLabel('Name').first().fill('Borealia');
  await page.getByRole('button', { name: 'Search' }).click();
  const link = page.getByRole('link', { name: 'Borealia National CSIRT' });
  await link.waitFor();
  assert.equal(await page.getByRole('link', { name: /Arcadia/ }).count(), 0);
  assert.match(await page.evaluate(() => location.hash), /q=Borealia/);
  await link.click();
  await page.getByRole('heading', { name: 'Borealia National CSIRT', level: 1 }).waitFor();
  const fp = await page.locator('.fingerprint').first().textContent();
  assert.match(fp, /^([0-9a-f]{4} ){15}[0-9a-f]{4}$/);
  const api = await page.evaluate(async (id) => (await fetch(`/api/v1/orgs/${id}`)).json(), (await page.evaluate(() => location.hash)).split('/')[2]);
  assert.equal(fp.replace(/ /g, ''), api.fingerprint);
  await page.getByText('Tan Mei Ling').waitFor();
  await axe(page, '03-organisation');
  // Back returns to the search and its results.
  await page.goBack();
  await page.getByRole('link', { name: 'Borealia National CSIRT' }).waitFor();
  assert.equal(await page.getByLabel('Name').first().inputValue(), 'Borealia');
  // Points of contact with a language filter.
  await page.getByRole('link', { name: 'Points of contact' }).click();
  await page.getByRole('link', { name: 'Tan Mei Ling' }).waitFor();
  await page.getByLabel('Language').last().selectOption('ru');
  await page.getByRole('button', { name: 'Search' }).click();
  await page.getByRole('link', { name: 'Tan Mei Ling' }).waitFor({ state: 'detached' });
  assert.match(await page.evaluate(() => location.hash), /^#\/contacts\?language=ru$/);
  await page.getByRole('link', { name: 'Ирина Соколова' }).waitFor();
  await page.getByRole('link', { name: 'Eastmark National CERT' }).waitFor();
  assert.equal(await page.getByRole('link', { name: 'Tan Mei Ling' }).count(), 0);
  await axe(page, '04-contacts');
  // Paging: five at a time, following the API's `next` cursor.
  await page.goto(S.base + '/#/?limit=5');
  await page.getByText('5 shown').waitFor();
  await page.getByRole('button', { name: 'Load more' }).click();
  await page.getByText('10 shown').waitFor();
  await page.getByRole('button', { name: 'Load more' }).click();
  await page.getByRole('button', { name: 'Load more' }).waitFor({ state: 'detached' });
  const total = await page.evaluate(async () => (await (await fetch('/api/v1/orgs?limit=200')).json()).items.length);
  await page.getByText(`${total} shown`).waitFor();
});

scenario('an officer edits a contact of their organisation, with field errors next to their inputs', async (page) => {
  await signIn(page, 'arcadia-cert.officer');
  await page.getByLabel('Name').first().fill('CERT-Arcadia');
  await page.getByRole('button', { name: 'Search' }).click();
  await page.getByRole('link', { name: 'CERT-Arcadia' }).click();
  await page.getByRole('heading', { name: 'Marc Dubois' }).waitFor();
  const card = page.locator('li.poc', { has: page.getByRole('heading', { name: 'Marc Dubois' }) });
  await card.getByRole('button', { name: 'Edit' }).click();
  const form = page.getByRole('form', { name: 'Edit point of contact' });
  await axe(page, '05-edit-contact');
  await form.getByLabel('Function').fill('Head of incident response and coordination');
  await form.getByLabel('Function').press('Enter'); // forms submit with Enter
  await page.getByText('Head of incident response and coordination').waitFor();
  await page.getByText('Saved.').waitFor();
  // The officer cannot edit the organisation itself.
  assert.equal(await page.getByRole('button', { name: 'Edit organisation' }).count(), 0);
  // A field error is shown next to its field, and nothing is saved.
  await card.getByRole('button', { name: 'Edit' }).click();
  await form.getByLabel('Time zone').fill('Mars/Olympus');
  await form.getByRole('button', { name: 'Save' }).click();
  await fieldError(form, 'Time zone').getByText(/IANA time zone/).waitFor();
  assert.equal(await form.getByLabel('Time zone').getAttribute('aria-invalid'), 'true');
  await form.getByLabel('Time zone').fill('Europe/Paris');
  // A bad second channel: the error is on that channel's input.
  await form.getByRole('button', { name: 'Add a channel' }).click();
  await form.getByLabel('Channel', { exact: true }).last().selectOption('phone');
  await form.getByLabel('Address or number').last().fill('not a number');
  await form.getByRole('button', { name: 'Save' }).click();
  await form.locator('.field', { has: page.getByLabel('Address or number').last() }).locator('.field-error').getByText(/international number/).waitFor();
  assert.equal(await form.getByLabel('Address or number').first().getAttribute('aria-invalid'), null);
  await axe(page, '06-field-errors');
  await form.getByRole('button', { name: 'Cancel' }).click();
  await form.waitFor({ state: 'detached' });
  await card.getByText('Europe/Paris').waitFor();
});

scenario('an operator creates an organisation, then its admin-level edit', async (page) => {
  await signIn(page, 'operator');
  await page.getByRole('button', { name: 'New organisation' }).click();
  const form = page.getByRole('form', { name: 'New organisation' });
  await form.getByLabel('Kind').selectOption('registrar');
  await form.getByLabel('Country').selectOption('XC');
  await form.getByLabel('Name in English').fill('Gamma Registrar');
  await form.getByLabel('Groupings').fill('OAS');
  await form.getByLabel('Website').fill('gopher://gamma.example');
  await axe(page, '07-new-organisation');
  await form.getByRole('button', { name: 'Create' }).click();
  await fieldError(form, 'Website').getByText(/http\(s\) URL/).waitFor();
  await form.getByLabel('Website').fill('https://gamma.example/');
  await form.getByRole('button', { name: 'Create' }).click();
  await page.getByRole('heading', { name: 'Gamma Registrar', level: 1 }).waitFor();
  assert.match(await page.evaluate(() => location.hash), /^#\/orgs\/[0-9a-f-]{36}$/);
  // Edit it: a second name, in French.
  await page.getByRole('button', { name: 'Edit organisation' }).click();
  const edit = page.getByRole('form', { name: 'Edit organisation' });
  await edit.getByRole('button', { name: 'Add a name in another language' }).click();
  await edit.getByLabel('Language').last().selectOption('fr');
  await edit.getByLabel('Name in French').fill('Registraire Gamma');
  await axe(page, '08-edit-organisation');
  await edit.getByRole('button', { name: 'Save' }).click();
  await page.getByText('Registraire Gamma').waitFor();
  // Add a contact to it.
  await page.getByRole('button', { name: 'Add a point of contact' }).click();
  const poc = page.getByRole('form', { name: 'Add a point of contact' });
  await poc.getByLabel('Function').fill('Abuse desk');
  await poc.getByLabel('Address or number').fill('abuse@gamma.example');
  await poc.getByRole('button', { name: 'Save' }).click();
  await page.getByRole('heading', { name: 'Abuse desk' }).waitFor();
  await page.getByRole('cell', { name: 'Updated' }).first().waitFor();
  // Export the person's data (a JSON download), then erase it.
  const card = page.locator('li.poc', { has: page.getByRole('heading', { name: 'Abuse desk' }) });
  const [download] = await Promise.all([page.waitForEvent('download'), card.getByRole('button', { name: 'Export personal data' }).click()]);
  const exported = readFileSync(await download.path(), 'utf8');
  assert.match(exported, /abuse@gamma\.example/);
  page.once('dialog', (d) => d.accept());
  await card.getByRole('button', { name: 'Erase personal data' }).click();
  await page.getByRole('heading', { name: 'Personal data erased' }).waitFor();
  assert.equal(await page.getByText('abuse@gamma.example').count(), 0);
});

scenario('markup in names is shown as text everywhere', async (page) => {
  await signIn(page, 'operator');
  await page.getByLabel('Name').first().fill('onerror');
  await page.getByRole('button', { name: 'Search' }).click();
  await page.getByRole('link', { name: XSS }).click();
  await page.getByRole('heading', { name: XSS, level: 1 }).waitFor();
  await page.getByRole('heading', { name: XSS, level: 3 }).waitFor();
  assert.equal(await page.locator('main img').count(), 0);
  assert.equal(await page.evaluate(() => window.__xss), undefined);
  await page.goto(S.base + '/#/contacts');
  await page.getByRole('link', { name: XSS }).first().waitFor();
  assert.equal(await page.locator('main img').count(), 0);
  assert.equal(await page.evaluate(() => window.__xss), undefined);
});

scenario('Arabic renders right to left and is remembered', async (page) => {
  await signIn(page, 'operator');
  await page.getByLabel('Language').first().selectOption('ar');
  await page.getByRole('heading', { name: 'الدليل' }).waitFor();
  assert.equal(await page.evaluate(() => document.documentElement.dir), 'rtl');
  assert.equal(await page.evaluate(() => document.documentElement.lang), 'ar');
  await axe(page, '09-directory-ar');
  await page.getByRole('link', { name: 'جمهورية أركاديا — وزارة الخارجية' }).click();
  await page.getByRole('heading', { name: 'جهات الاتصال' }).waitFor();
  await axe(page, '10-organisation-ar');
  await page.reload();
  await page.getByRole('heading', { name: 'جهات الاتصال' }).waitFor();
  assert.equal(await page.evaluate(() => document.documentElement.dir), 'rtl');
  await page.goto(S.base + '/#/');
  for (const [code, heading] of [['zh', '名录'], ['ru', 'Справочник'], ['es', 'Directorio'], ['fr', 'Annuaire'], ['en', 'Directory']]) {
    await page.locator('#lang').selectOption(code);
    await page.getByRole('heading', { name: heading }).waitFor();
    assert.equal(await page.evaluate(() => document.documentElement.dir), 'ltr');
    assert.equal(await page.evaluate(() => document.documentElement.lang), code);
  }
});

scenario('the language can be chosen on the sign-in page', async (page) => {
  await page.goto(S.base + '/');
  await page.locator('#lang').selectOption('fr');
  await page.getByRole('heading', { name: 'Connexion' }).waitFor();
  await page.locator('#lang').selectOption('ar');
  await page.getByRole('button', { name: 'دخول' }).waitFor();
  assert.equal(await page.evaluate(() => document.documentElement.dir), 'rtl');
  await axe(page, '11-sign-in-ar');
  assert.deepEqual(Object.keys(await page.evaluate(() => ({ ...localStorage }))), ['entente.lang']);
});

scenario('an admin creates a token (shown once) and revokes it; manages users', async (page) => {
  await signIn(page, 'arcadia-cert.admin');
  await page.getByRole('link', { name: 'My organisation' }).click();
  await page.getByRole('heading', { name: 'API tokens' }).waitFor();
  await page.getByRole('cell', { name: 'arcadia-cert.viewer', exact: true }).waitFor();
  await axe(page, '12-my-organisation');
  await page.getByLabel('Token name').fill('browser-test');
  await page.getByRole('checkbox', { name: 'Write' }).check();
  await page.getByRole('button', { name: 'Create' }).last().click();
  const value = await page.locator('.secret .token-value').first().textContent();
  assert.match(value, /^ent_/);
  const api = await fetch(`${S.base}/api/v1/orgs`, { headers: { Authorization: `Bearer ${value}` } });
  assert.equal(api.status, 200);
  await axe(page, '13-token-created');
  await page.getByRole('button', { name: 'Revoke browser-test' }).click();
  await page.getByRole('row', { name: /browser-test/ }).getByText('Revoked').waitFor();
  const after = await fetch(`${S.base}/api/v1/orgs`, { headers: { Authorization: `Bearer ${value}` } });
  assert.equal(after.status, 401);
  await page.reload();
  await page.getByRole('heading', { name: 'API tokens' }).waitFor();
  assert.equal(await page.getByText(value).count(), 0, 'the token is never shown again');
  // Users: change a role, disable and enable again.
  await page.getByLabel('Role arcadia-cert.viewer').selectOption('analyst');
  await page.getByRole('button', { name: 'Disable arcadia-cert.viewer' }).click();
  await page.getByRole('button', { name: 'Enable arcadia-cert.viewer' }).waitFor();
  await page.getByRole('button', { name: 'Enable arcadia-cert.viewer' }).click();
  await page.getByRole('button', { name: 'Disable arcadia-cert.viewer' }).waitFor();
  assert.equal(await page.getByLabel('Role arcadia-cert.viewer').inputValue(), 'analyst');
  // A new user; a name that is taken is an error on that field.
  const newUser = page.getByRole('form', { name: 'New user' });
  await newUser.getByLabel('User name').fill('arcadia-cert.viewer');
  await newUser.getByLabel('Full name').fill('Second viewer');
  await newUser.getByLabel('Password').fill(PW);
  await newUser.getByRole('button', { name: 'Create' }).click();
  await fieldError(newUser, 'User name').getByText(/taken/).waitFor();
  await newUser.getByLabel('User name').fill('arcadia-cert.viewer2');
  await newUser.getByRole('button', { name: 'Create' }).click();
  await page.getByRole('cell', { name: 'arcadia-cert.viewer2', exact: true }).waitFor();
});

scenario('a user sets up a second factor and signs in with it', async (page) => {
  await signIn(page, 'arcadia-mfa.analyst');
  await page.getByRole('link', { name: 'My organisation' }).click();
  await page.getByRole('button', { name: 'Set up a second factor' }).click();
  const secret = (await page.locator('.copyable code').first().textContent()).replace(/\s/g, '');
  assert.match(secret, /^[A-Z2-7]{32}$/);
  await axe(page, '14-second-factor-setup');
  // A wrong code is an error on the code field, not the end of the session.
  await page.getByLabel('Second-factor code').fill('000000');
  await page.getByRole('button', { name: 'Activate' }).click();
  await fieldError(page, 'Second-factor code').waitFor();
  await page.getByRole('heading', { name: 'My second factor' }).waitFor();
  await page.getByLabel('Second-factor code').fill(totp(secret));
  await page.getByRole('button', { name: 'Activate' }).click();
  await page.getByText('Your second factor is now active.').waitFor();
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByText('You have signed out.').waitFor();
  // Password first, then the code field appears with the focus in it.
  await page.getByLabel('User name').fill('arcadia-mfa.analyst');
  await page.getByLabel('Password').fill(PW);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByLabel('Second-factor code').waitFor();
  assert.equal(await page.evaluate(() => document.activeElement.id), 'f-totp');
  await axe(page, '15-sign-in-second-factor');
  await page.getByLabel('Second-factor code').fill('000000');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('alert').getByText('second-factor code is wrong').waitFor();
  // The next time step's code (the one used to activate cannot be replayed).
  await page.getByLabel('Second-factor code').fill(totp(secret, Date.now() + 30000));
  await page.getByLabel('Second-factor code').press('Enter');
  await page.getByRole('heading', { name: 'Directory', level: 1 }).waitFor();
});

scenario('an organisation that requires a second factor makes its users enrol first', async (page) => {
  await signIn(page, 'borealia-cert.admin');
  await page.getByRole('link', { name: 'My organisation' }).click();
  await Promise.all([
    page.waitForResponse((r) => r.url().endsWith('/settings') && r.request().method() === 'PUT' && r.ok()),
    page.getByRole('checkbox', { name: 'Require a second factor for every user of the organisation' }).check(),
  ]);
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByText('You have signed out.').waitFor();
  await page.getByLabel('User name').fill('borealia-cert.viewer');
  await page.getByLabel('Password').fill(PW);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByText('Your organisation requires a second factor').waitFor();
  await axe(page, '16-must-enrol');
  // Nothing else is open until the user enrols.
  await page.getByRole('link', { name: 'Directory' }).click();
  await page.waitForFunction(() => location.hash === '#/my');
  await page.getByRole('button', { name: 'Set up a second factor' }).click();
  const secret = (await page.locator('.copyable code').first().textContent()).replace(/\s/g, '');
  await page.getByLabel('Second-factor code').fill(totp(secret));
  await page.getByRole('button', { name: 'Activate' }).click();
  await page.getByText('Your second factor is now active.').waitFor();
  await page.getByRole('link', { name: 'Directory' }).click();
  await page.getByRole('heading', { name: 'Directory', level: 1 }).waitFor();
});

scenario('sign-out ends the session', async (page) => {
  await signIn(page, 'arcadia-cert.viewer');
  // A viewer sees no edit controls.
  await page.getByLabel('Name').first().fill('CERT-Arcadia');
  await page.getByRole('button', { name: 'Search' }).click();
  await page.getByRole('link', { name: 'CERT-Arcadia' }).click();
  await page.getByRole('heading', { name: 'Marc Dubois' }).waitFor();
  assert.equal(await page.getByRole('button', { name: 'Edit' }).count(), 0);
  assert.equal(await page.getByRole('button', { name: 'Add a point of contact' }).count(), 0);
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByText('You have signed out.').waitFor();
  await axe(page, '17-signed-out');
  assert.equal(await page.evaluate(async () => (await fetch('/api/v1/auth/me')).status), 401);
});

scenario('node operator screen, and session expiry returns to the same screen', async (page) => {
  await signIn(page, 'operator');
  await page.getByRole('link', { name: 'Node' }).click();
  await page.getByRole('heading', { name: 'Node identity' }).waitFor();
  await page.locator('.chart canvas').first().waitFor();
  await page.getByRole('cell', { name: 'Test Operators' }).waitFor();
  await axe(page, '18-node');
  // End the session behind the console's back: the next call returns to sign-in.
  await page.context().clearCookies();
  await page.getByRole('link', { name: 'My organisation' }).click();
  await page.getByText('Your session has ended').waitFor();
  await axe(page, '19-session-ended');
  assert.equal(await page.evaluate(() => location.hash), '#/my');
  await page.getByLabel('User name').fill('operator');
  await page.getByLabel('Password').fill(PW);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'API tokens' }).waitFor();
});

scenario('a non-operator has no node screen', async (page) => {
  await signIn(page, 'arcadia-cert.analyst');
  assert.equal(await page.getByRole('link', { name: 'Node' }).count(), 0);
  await page.goto(S.base + '/#/node');
  await page.getByRole('heading', { name: 'Directory', level: 1 }).waitFor();
});
