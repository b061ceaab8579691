// Communications in a real browser against a real node (harness.mjs): an
// officer new to the console sends an urgent incident notification written
// in French to another state's CERT; an officer of the recipient reads it
// with the console in Arabic (structured part in Arabic, free text tagged
// French, markup shown as text) and acknowledges it; both timelines show it,
// the sender's without reloading; "Verify" checks real receipts in the
// browser; a response and closing; what each role sees; a communication
// check across a grouping and its report; the overdue list once the check's
// deadline has passed; the webhook setting; axe-core on every new screen.
//
// The scenarios run in order and build on each other (one node).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { suite, fieldError } from './harness.mjs';

const S = suite({ name: 'comms-node', shots: 'comms' });
const { scenario, axe, signIn } = S;

const XSS = '<img src=x onerror=window.__xss=1>';
const SUMMARY = `Intrusion sur les serveurs de messagerie ${XSS}`;
const DESCRIPTION = 'Nous avons constaté une compromission des serveurs de messagerie de plusieurs ministères depuis le 1er mars.';
const BUNDLE = {
  type: 'bundle',
  id: 'bundle--6f1c3e44-2b7a-4a65-9d43-0c8a4f0f1a11',
  objects: [{ type: 'indicator', id: 'indicator--0d0b7c52-9a0c-4f3e-8c2a-5b6f3c1f0e21', spec_version: '2.1', pattern: "[ipv4-addr:value = '198.51.100.7']", pattern_type: 'stix', valid_from: '2026-03-01T00:00:00Z' }],
};
let messageUrl = ''; // the thread of the notification, once sent
let checkStarted = 0; // when the communication check started (ms)

const poll = { timeout: 40000 }; // the console refreshes every 15 s

scenario('an officer new to the console sends an urgent incident notification in French', async (page) => {
  await signIn(page, 'arcadia-cert.officer');
  await page.getByRole('link', { name: 'Messages' }).click();
  await page.getByRole('heading', { name: 'Messages', level: 1 }).waitFor();
  await page.getByText('No messages.').waitFor();
  await axe(page, '01-inbox-empty');
  await page.getByRole('link', { name: 'New message' }).click();
  await page.getByRole('heading', { name: 'New message', level: 1 }).waitFor();
  // Each kind is explained.
  const kind = page.getByRole('radio', { name: /Incident notification/ });
  assert.equal(await kind.isChecked(), true);
  assert.match(await page.locator(`#${await kind.getAttribute('aria-describedby')}`).textContent(), /incident that affects or involves/);
  await axe(page, '02-compose');

  // Sending nothing: every required field says so, and the focus goes to the first.
  await page.getByRole('button', { name: 'Send', exact: true }).click();
  await fieldError(page, 'Urgency (required)').getByText('Required.').waitFor();
  await fieldError(page, 'Summary (required)').getByText('Required.').waitFor();
  await fieldError(page, 'Class').getByText('Required.').waitFor();
  await page.locator('fieldset', { hasText: 'Recipients (required)' }).locator('.field-error').getByText('Choose at least one organisation.').waitFor();
  assert.equal(await page.evaluate(() => document.activeElement.id), 'compose-urgency');
  await axe(page, '03-compose-required');

  // The recipient, found in the directory with the keyboard only.
  await page.getByLabel('Find an organisation').fill('Borealia');
  await page.getByLabel('Find an organisation').press('Enter'); // searches, does not send
  await page.getByRole('button', { name: 'Add Borealia National CSIRT' }).waitFor();
  await page.keyboard.press('Tab'); // the Search button
  await page.keyboard.press('Tab'); // the first result's Add button
  const focused = await page.evaluate(() => document.activeElement.getAttribute('aria-label'));
  assert.match(focused, /^Add /);
  await page.getByRole('button', { name: 'Add Borealia National CSIRT' }).focus();
  await page.keyboard.press('Enter');
  await page.getByRole('button', { name: 'Remove Borealia National CSIRT' }).waitFor();
  await page.getByRole('checkbox', { name: /Tan Mei Ling/ }).check(); // addressed to their coordinator

  await page.getByLabel('Traffic Light Protocol (TLP)').selectOption('amber');
  assert.match(await page.locator('#compose-tlp-help').textContent(), /need-to-know/);
  await page.getByLabel('Permissible Actions Protocol (PAP)').selectOption('green');
  await page.getByLabel('Language of the text').selectOption('fr');
  await page.getByLabel('Urgency (required)').selectOption('urgent');
  await page.getByLabel('Class').selectOption('intrusions');
  await page.getByLabel('Type', { exact: true }).selectOption('system-compromise');
  await page.getByRole('checkbox', { name: 'Public administration' }).check();
  await page.getByLabel('Country', { exact: true }).selectOption('XB');
  await page.getByRole('button', { name: 'Add', exact: true }).click();
  await page.getByRole('button', { name: 'Remove XB' }).waitFor();
  await page.getByLabel('From', { exact: true }).fill('2026-03-02T08:00');
  await page.getByLabel('To', { exact: true }).fill('2026-03-01T08:00'); // before the start
  await page.getByLabel('Summary (required)').fill(SUMMARY);
  assert.equal(await page.getByLabel('Summary (required)').getAttribute('lang'), 'fr');
  await page.getByLabel('Description').fill(DESCRIPTION);
  await page.getByLabel('Requested action').fill('Merci de bloquer l’adresse indiquée et de nous tenir informés.');
  await page.getByLabel('Technical annex (STIX 2.1 bundle)').setInputFiles({ name: 'annex.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(BUNDLE)) });
  await page.getByText('annex.json: 1 STIX objects read.').waitFor();
  await page.getByLabel('Reply to (point of contact)').selectOption({ label: 'Duty desk — Duty officer (24x7)' });

  // The node refuses the window: its error is shown next to "To".
  await page.getByRole('button', { name: 'Send', exact: true }).click();
  await fieldError(page, 'To').getByText(/must not be before the start/).waitFor();
  assert.equal(await page.getByLabel('To', { exact: true }).getAttribute('aria-invalid'), 'true');
  await axe(page, '04-compose-server-error');
  await page.getByLabel('To', { exact: true }).fill('2026-03-03T18:30');
  await page.getByRole('button', { name: 'Send', exact: true }).click();

  await page.getByText('Message sent.').waitFor();
  messageUrl = new URL(page.url()).hash.replace(/\?.*$/, '');
  assert.match(messageUrl, /^#\/messages\/[0-9a-f-]{36}$/);
  const card = page.locator('article.message').first();
  await card.getByText(SUMMARY).waitFor();
  await card.getByText('Intrusions — System Compromise').waitFor();
  await card.getByText('Public administration').waitFor();
  await card.getByText('STIX bundle, 1 objects').waitFor();
  await card.getByText('Duty desk').first().waitFor();
  assert.equal(await card.locator('.free-text[lang="fr"]', { hasText: 'compromission' }).count(), 1);
  assert.equal(await page.locator('main img').count(), 0);
  assert.equal(await page.evaluate(() => window.__xss), undefined);
  // The recipient and its deadline: two hours for an urgent message.
  const row = page.getByRole('row', { name: /Borealia National CSIRT/ }).first();
  await row.getByText(/Acknowledge by/).waitFor();
  await axe(page, '05-thread-sent');

  // The message's receipt, checked in the browser.
  await card.getByRole('button', { name: 'Verify the record of this message (Incident notification)' }).click();
  await card.locator('.verify-ok').getByText('Valid', { exact: true }).waitFor();
  await card.getByText('Position in the log').waitFor();
  await card.getByText('valid (organisation key from the directory)').waitFor();
  await axe(page, '06-thread-verified');

  // In the sent box, with the recipient's state.
  await page.getByRole('link', { name: 'Sent', exact: true }).click(); // the crumb
  await page.getByRole('link', { name: 'Incident notification' }).waitFor();
  await page.getByRole('row', { name: /Incident notification/ }).getByRole('link', { name: 'Borealia National CSIRT' }).waitFor();
  await page.getByRole('row', { name: /Incident notification/ }).locator('[lang="fr"]').getByText(SUMMARY).waitFor();
  await axe(page, '07-sent');
});

scenario('the recipient reads it in Arabic and acknowledges it; both timelines show it', async (sender, another) => {
  // The sender keeps the thread open: it updates by itself.
  await signIn(sender, 'arcadia-cert.officer');
  await sender.goto(S.base + '/' + messageUrl);
  await sender.getByRole('heading', { name: 'Timeline' }).waitFor();

  const page = await another();
  await signIn(page, 'borealia-cert.officer');
  await page.locator('#lang').selectOption('ar');
  await page.getByRole('heading', { name: 'الدليل', level: 1 }).waitFor();
  assert.equal(await page.evaluate(() => document.documentElement.dir), 'rtl');
  await page.getByRole('link', { name: 'الرسائل' }).click();
  const row = page.getByRole('row', { name: /إخطار بحادث/ });
  await row.getByText('عاجل').waitFor(); // urgency in Arabic
  await row.getByRole('link', { name: 'CERT-Arcadia' }).waitFor();
  await row.locator('[lang="fr"]').getByText(SUMMARY).waitFor(); // the summary as written, as text
  assert.equal(await page.locator('main img').count(), 0);
  await axe(page, '08-inbox-ar');
  await row.getByRole('link', { name: 'إخطار بحادث' }).click();

  await page.getByRole('heading', { name: /إخطار بحادث/, level: 1 }).waitFor();
  const card = page.locator('article.message').first();
  await card.locator('dt', { hasText: 'تصنيف الحادث' }).waitFor(); // "Incident classification"
  await card.getByText('الاختراقات — اختراق نظام').waitFor(); // "Intrusions — System compromise"
  await card.locator('dt', { hasText: 'الإجراء المطلوب' }).waitFor(); // "Requested action"
  await card.getByText('TLP:AMBER').waitFor();
  assert.equal(await card.locator('.free-text[lang="fr"]').first().textContent(), DESCRIPTION);
  assert.equal(await card.locator('.summary[lang="fr"]').textContent(), SUMMARY);
  assert.equal(await page.locator('main img').count(), 0);
  assert.equal(await page.evaluate(() => window.__xss), undefined);
  assert.equal(await page.evaluate(() => document.documentElement.dir), 'rtl');
  await axe(page, '09-thread-ar');

  await page.getByRole('button', { name: 'الإقرار بالاستلام', exact: true }).click();
  await page.locator('.alert-ok', { hasText: 'تم الإقرار بالاستلام.' }).waitFor();
  await page.getByRole('button', { name: 'الإقرار بالاستلام', exact: true }).waitFor({ state: 'detached' });
  const ackRow = page.locator('table.timeline tbody tr', { hasText: 'الإقرار بالاستلام' });
  await ackRow.waitFor();
  await ackRow.getByRole('button', { name: /تحقّق/ }).click();
  await page.locator('.verify-ok').getByText('صالح', { exact: true }).waitFor(); // "Valid"
  await axe(page, '10-thread-ar-acknowledged');

  // The sender's timeline shows it without a reload.
  const senderAck = sender.locator('table.timeline tbody tr', { hasText: 'acknowledged receipt' });
  await senderAck.waitFor(poll);
  await sender.getByRole('row', { name: /Borealia National CSIRT/ }).first().getByText('Acknowledged').waitFor();
  await senderAck.getByRole('button', { name: /^Verify/ }).click();
  await sender.locator('tr.verify-row .verify-ok').getByText('Valid', { exact: true }).waitFor();
  // Every entry of the sender's timeline verifies.
  for (const button of await sender.locator('table.timeline tbody tr:not(.verify-row)').getByRole('button', { name: /^Verify/ }).all()) await button.click();
  await sender.waitForFunction(() => document.querySelectorAll('tr.verify-row .verify-ok').length === document.querySelectorAll('table.timeline tbody tr:not(.verify-row)').length);
  assert.equal(await sender.locator('.verify-bad').count(), 0);
  await axe(sender, '11-thread-sender-acknowledged');

  // The recipient answers; the sender sees the answer, then closes the exchange.
  await page.getByRole('button', { name: 'الرد', exact: true }).click();
  const form = page.getByRole('form', { name: 'ردك' });
  await form.locator('#respond-language').selectOption('en');
  // An incident notification is not a request: no outcome fields.
  assert.equal(await form.locator('#respond-outcome, #respond-action_taken, #respond-reason').count(), 0);
  await form.locator('#respond-summary').fill('Received; we are blocking the address and investigating.');
  await axe(page, '12-respond-ar');
  await form.getByRole('button', { name: 'إرسال الرد' }).click();
  await page.locator('.alert-ok', { hasText: 'تم إرسال الرد.' }).waitFor();
  await sender.getByText('Received; we are blocking the address and investigating.').waitFor(poll);
  assert.equal(await sender.locator('.summary[lang="en"]').count(), 1);
  const responded = sender.locator('table.timeline tbody tr', { hasText: 'responded' });
  await responded.first().getByRole('button', { name: /^Verify/ }).click();
  await sender.locator('tr.verify-row .verify-ok').nth(0).waitFor();
  sender.once('dialog', (d) => d.accept());
  await sender.getByRole('button', { name: 'Close the exchange' }).click();
  await sender.getByText('Exchange closed.').waitFor();
  await sender.getByRole('row', { name: /Borealia National CSIRT/ }).first().getByText('Closed').waitFor();
});

scenario('what each role sees: viewers no messages, analysts read without acting', async (page, another) => {
  await signIn(page, 'arcadia-cert.viewer');
  assert.equal(await page.getByRole('link', { name: 'Messages' }).count(), 0);
  assert.equal(await page.getByRole('link', { name: 'Overdue' }).count(), 0);
  await page.goto(S.base + '/#/messages');
  await page.getByRole('heading', { name: 'Directory', level: 1 }).waitFor();

  const analyst = await another();
  await signIn(analyst, 'borealia-cert.analyst');
  assert.equal(await analyst.getByRole('link', { name: 'Communication checks' }).count(), 0);
  await analyst.getByRole('link', { name: 'Messages' }).click();
  await analyst.getByRole('link', { name: 'Incident notification' }).click();
  await analyst.getByRole('heading', { name: 'Timeline' }).waitFor();
  assert.equal(await analyst.getByRole('link', { name: 'New message' }).count(), 0);
  for (const name of ['Acknowledge receipt', 'Respond', 'Decline', 'Close'])
    assert.equal(await analyst.getByRole('button', { name, exact: true }).count(), 0, name);
  await analyst.goto(S.base + '/#/compose');
  await analyst.getByRole('heading', { name: 'Directory', level: 1 }).waitFor();
});

scenario('writing to an organisation from its page', async (page) => {
  await signIn(page, 'eastmark-cert.officer');
  await page.getByLabel('Name').first().fill('Borealia National');
  await page.getByRole('button', { name: 'Search' }).click();
  await page.getByRole('link', { name: 'Borealia National CSIRT' }).click();
  await page.getByRole('link', { name: 'Send a message' }).click();
  await page.getByRole('heading', { name: 'New message', level: 1 }).waitFor();
  await page.getByRole('button', { name: 'Remove Borealia National CSIRT' }).waitFor();
  // Not to one's own organisation.
  await page.goto(S.base + '/#/');
  await page.getByLabel('Name').first().fill('Eastmark');
  await page.getByRole('button', { name: 'Search' }).click();
  await page.getByRole('link', { name: 'Eastmark National CERT' }).click();
  await page.getByRole('heading', { name: 'Eastmark National CERT', level: 1 }).waitFor();
  assert.equal(await page.getByRole('link', { name: 'Send a message' }).count(), 0);
});

scenario('an admin runs a communication check across a grouping and reads its report', async (page, another) => {
  await signIn(page, 'arcadia-cert.admin');
  await page.getByRole('link', { name: 'Communication checks' }).click();
  await page.getByRole('heading', { name: 'Communication checks', level: 1 }).waitFor();
  await page.getByText('No check yet.').waitFor();
  await axe(page, '13-checks-empty');
  const form = page.getByRole('form', { name: 'Start a check' });
  await form.getByRole('button', { name: 'Start the check' }).click();
  await fieldError(form, 'Grouping').getByText('Required.').waitFor();
  await form.getByLabel('Grouping', { exact: true }).fill('NOPE');
  await form.getByRole('button', { name: 'Start the check' }).click();
  await fieldError(form, 'Grouping').getByText(/no organisation belongs to this grouping/).waitFor();
  await form.getByLabel('Grouping', { exact: true }).fill('ASEAN');
  await form.getByLabel('Window (minutes)').fill('1');
  checkStarted = Date.now();
  await form.getByRole('button', { name: 'Start the check' }).click();

  await page.getByRole('heading', { name: 'Communication check report', level: 1 }).waitFor();
  await page.getByRole('link', { name: 'Borealia National CSIRT' }).waitFor();
  await page.getByRole('link', { name: 'Kingdom of Borealia — Ministry of Foreign Affairs' }).waitFor();
  await page.getByRole('table', { name: 'By country' }).getByRole('rowheader', { name: 'XB' }).waitFor();
  const byGrouping = page.getByRole('table', { name: 'By grouping' });
  await byGrouping.getByRole('rowheader', { name: 'ASEAN' }).waitFor();
  await byGrouping.getByRole('rowheader', { name: 'ARF' }).waitFor();
  await page.locator('.chart canvas').first().waitFor();
  await axe(page, '14-check-report');

  // One of the two acknowledges in time.
  const officer = await another();
  await signIn(officer, 'borealia-cert.officer');
  await officer.getByRole('link', { name: 'Messages' }).click();
  await officer.getByLabel('Kind').selectOption('communication_check');
  await officer.getByRole('button', { name: 'Filter' }).click();
  await officer.getByRole('link', { name: 'Communication check' }).click();
  await officer.getByRole('button', { name: 'Acknowledge receipt' }).click();
  await officer.getByText('Receipt acknowledged.').waitFor();

  // The report follows: half of the targets answered in time.
  const rate = page.locator('dl.facts dt', { hasText: 'Response rate' }).locator('xpath=following-sibling::dd[1]');
  await rate.getByText('50%').waitFor(poll);
  await page.getByRole('row', { name: /Borealia National CSIRT/ }).getByRole('cell', { name: 'Yes' }).first().waitFor();
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Export (CSV)' }).click()]);
  const csv = readFileSync(await download.path(), 'utf8');
  assert.match(csv, /^organisation_id,organisation,country,groupings,acknowledged,in_time,seconds_to_ack\r\n/);
  assert.match(csv, /Borealia National CSIRT,XB,ASEAN,yes,yes,\d+/);
  assert.match(csv, /Kingdom of Borealia — Ministry of Foreign Affairs,XB,ASEAN ARF,no,no,/);

  // The history, with the rate over time.
  await page.getByRole('link', { name: 'Communication checks' }).first().click();
  await page.getByRole('link', { name: /^Report of the check of / }).waitFor();
  await page.locator('.chart canvas').first().waitFor();
  await page.getByRole('cell', { name: '50%' }).waitFor();
  await axe(page, '15-checks-history');
});

scenario('messages: paging with next and filters by kind and state', async (page) => {
  await signIn(page, 'arcadia-cert.officer');
  await page.goto(S.base + '/#/messages?box=sent&limit=1');
  await page.getByText('1 shown').waitFor();
  await page.getByRole('button', { name: 'Load more' }).click();
  await page.getByText('2 shown').waitFor();
  await page.getByRole('button', { name: 'Load more' }).waitFor({ state: 'detached' });
  await page.getByRole('link', { name: 'Communication check' }).waitFor();
  await page.getByRole('link', { name: 'Incident notification' }).waitFor();
  await page.goto(S.base + '/#/messages?box=sent');
  await page.getByLabel('State').selectOption('closed');
  await page.getByRole('button', { name: 'Filter' }).click();
  await page.getByText('1 shown').waitFor();
  assert.match(new URL(page.url()).hash, /state=closed/);
  await page.getByRole('link', { name: 'Incident notification' }).waitFor();
  assert.equal(await page.getByRole('link', { name: 'Communication check' }).count(), 0);
  await axe(page, '16-sent-filtered');
});

scenario('the webhook of an organisation: set (secret shown once), then removed', async (page) => {
  await signIn(page, 'arcadia-cert.admin');
  await page.getByRole('link', { name: 'My organisation' }).click();
  await page.getByRole('heading', { name: 'Webhook' }).waitFor();
  await page.getByText('No webhook set.').waitFor();
  const form = page.getByRole('form', { name: 'Webhook' });
  await form.getByLabel('Address (https)').fill('ftp://hooks.example/entente');
  await form.getByRole('button', { name: 'Save' }).click();
  await fieldError(form, 'Address (https)').waitFor();
  await form.getByLabel('Address (https)').fill('http://127.0.0.1:9/entente-hook');
  await form.getByRole('button', { name: 'Save' }).click();
  const secret = await page.locator('.secret .token-value').first().textContent();
  assert.ok(secret.length >= 16, secret);
  await page.getByRole('button', { name: 'Copy: Webhook signing secret' }).waitFor();
  await axe(page, '17-webhook-secret');
  await page.reload();
  await page.getByText('Notices go to http://127.0.0.1:9/entente-hook.').waitFor();
  assert.equal(await page.getByText(secret).count(), 0, 'the secret is never shown again');
  await form.getByRole('button', { name: 'Remove the webhook' }).click();
  await page.getByText('Webhook removed.').waitFor();
  await page.getByText('No webhook set.').waitFor();
});

scenario('an officer has no webhook setting', async (page) => {
  await signIn(page, 'arcadia-cert.officer');
  await page.getByRole('link', { name: 'My organisation' }).click();
  await page.getByRole('heading', { name: 'API tokens' }).waitFor();
  assert.equal(await page.getByRole('heading', { name: 'Webhook' }).count(), 0);
  assert.equal(await page.getByRole('link', { name: 'Communication checks' }).count(), 0);
});

// Last: the check's one-minute window has passed by now (or soon).
scenario('the overdue list shows the organisation that did not acknowledge in time', async (page, another) => {
  assert.ok(checkStarted > 0, 'the check scenario ran');
  const wait = checkStarted + 61000 - Date.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  await signIn(page, 'arcadia-cert.officer');
  await page.getByRole('link', { name: 'Overdue' }).click();
  await page.getByRole('heading', { name: 'Overdue', level: 1 }).waitFor();
  const row = page.getByRole('row', { name: /Kingdom of Borealia — Ministry of Foreign Affairs/ });
  await row.waitFor(poll);
  await row.getByRole('link', { name: 'Communication check' }).waitFor();
  await row.getByText(/late by/).waitFor();
  await row.getByText('acknowledgement').waitFor();
  // The one that acknowledged in time, and the acknowledged notification, are not late.
  assert.equal(await page.getByRole('row', { name: /Borealia National CSIRT/ }).count(), 0);
  assert.equal(await page.getByText('1 overdue').count(), 1);
  // No scope switch for non-operators.
  assert.equal(await page.getByRole('link', { name: 'Whole node' }).count(), 0);
  await axe(page, '18-overdue');

  // An operator's own organisation has nothing late; the whole node has.
  const operator = await another();
  await signIn(operator, 'operator');
  await operator.getByRole('link', { name: 'Overdue' }).click();
  await operator.getByText('Nothing is overdue.').waitFor();
  await operator.getByRole('link', { name: 'Whole node' }).click();
  await operator.getByRole('row', { name: /Kingdom of Borealia — Ministry of Foreign Affairs/ }).waitFor();
  await axe(operator, '19-overdue-node');
});
