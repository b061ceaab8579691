// Communities of trust and the intelligence browser in a real browser
// against a real node (harness.mjs) with the demo directory, with two
// organisations in a community and a third outside it: Arcadia's officer
// creates the community and invites Borealia (a community of one admits with
// its own vouch); Arcadia's analyst imports a bundle (first refused whole,
// with each object's fate, then stored); Borealia's analyst finds the
// indicator, opens it with its relationship; Eastmark's analyst sees neither
// the community nor the objects. Then sightings and correlations: Borealia
// shares an indicator of the same domain and reports two sightings (one in
// the community, one kept to itself); Eastmark keeps an indicator of that
// domain to itself. Arcadia's analyst sees Borealia's shared sighting only
// and the correlation with Borealia's indicator only, in the six languages
// of the console. axe-core on every screen.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ROOT, fieldError, suite } from './harness.mjs';

const S = suite({ name: 'intel-node', shots: 'intel' });
const { scenario, axe, signIn } = S;

const GREEN = 'marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb';
const RED = 'marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1';
const common = { spec_version: '2.1', created: '2024-01-01T00:00:00.000Z', modified: '2024-01-01T00:00:00.000Z' };
const indicator = {
  type: 'indicator', id: 'indicator--6b9e2f0c-3d0e-4c4f-8d3e-1a2b3c4d5e6f', ...common,
  name: 'Phishing kit at login-arcadia.example', labels: ['phishing'], pattern: "[domain-name:value = 'login-arcadia.example']",
  pattern_type: 'stix', valid_from: '2024-01-01T00:00:00Z', object_marking_refs: [GREEN],
};
const malware = { type: 'malware', id: 'malware--7b9e2f0c-3d0e-4c4f-8d3e-1a2b3c4d5e6f', ...common, name: 'ArcaStealer', is_family: true, object_marking_refs: [GREEN] };
const rel = {
  type: 'relationship', id: 'relationship--8b9e2f0c-3d0e-4c4f-8d3e-1a2b3c4d5e6f', ...common,
  relationship_type: 'indicates', source_ref: indicator.id, target_ref: malware.id, object_marking_refs: [GREEN],
};
const bundle = (objects, id = 'bundle--9b9e2f0c-3d0e-4c4f-8d3e-1a2b3c4d5e6f') => JSON.stringify({ type: 'bundle', id, objects });
// Another indicator of the same domain, by another author.
const sameDomain = (uuid, name) => ({ ...indicator, id: `indicator--${uuid}`, name, labels: ['phishing'] });
const BOREALIA = sameDomain('1c9e2f0c-3d0e-4c4f-8d3e-1a2b3c4d5e6f', 'Borealia saw login-arcadia.example');
const EASTMARK = sameDomain('2c9e2f0c-3d0e-4c4f-8d3e-1a2b3c4d5e6f', 'Eastmark keeps login-arcadia.example');
const catalogue = (lang) => JSON.parse(readFileSync(`${ROOT}web/src/i18n/${lang}.json`, 'utf8'));

// Imports a bundle through the console as the signed-in user.
async function importBundle(page, text, share) {
  await page.getByRole('link', { name: 'Intelligence' }).click();
  await page.getByRole('link', { name: 'Import a bundle' }).click();
  await page.getByRole('heading', { name: 'Import STIX 2.1', level: 1 }).waitFor();
  if (share) await page.getByLabel('Share in').selectOption({ index: 1 });
  await page.getByLabel('Bundle (JSON)').fill(text);
  await page.getByRole('button', { name: 'Import a bundle' }).click();
}


scenario('an officer creates a community and invites another CERT', async (page) => {
  await signIn(page, 'arcadia-cert.officer');
  await page.getByRole('link', { name: 'Communities' }).click();
  await page.getByRole('heading', { name: 'Communities of trust', level: 1 }).waitFor();
  await page.getByText('Your organisation is in no community.').waitFor();
  await axe(page, '01-communities-empty');
  await page.getByLabel('Name', { exact: true }).fill('Health CERTs');
  await page.getByLabel('Purpose').fill('Share what hits hospitals.');
  await page.getByLabel('National CERT/CSIRT').check();
  await page.getByLabel('Highest TLP shared').selectOption('amber');
  await page.getByRole('button', { name: 'Create a community' }).click();
  await page.getByRole('heading', { name: 'Health CERTs', level: 1 }).waitFor();
  assert.equal(await page.locator('#community-members tbody tr').count(), 1);
  // Invitation of Borealia's CERT: with one member, the inviter's vouch admits.
  const invite = page.getByRole('form', { name: 'Invite an organisation' });
  await invite.getByLabel('Organisation').selectOption({ label: 'Borealia National CSIRT' });
  await invite.getByRole('button', { name: 'Invite an organisation' }).click();
  await page.getByText('The invitation is recorded.').waitFor();
  await page.locator('#community-members tbody tr', { hasText: 'Borealia' }).getByText('member', { exact: true }).waitFor();
  await axe(page, '02-community-page');
});

scenario('an analyst imports a bundle: refused whole, then stored', async (page) => {
  await signIn(page, 'arcadia-cert.analyst');
  await page.getByRole('link', { name: 'Intelligence' }).click();
  await page.getByRole('link', { name: 'Import a bundle' }).click();
  await page.getByRole('heading', { name: 'Import STIX 2.1', level: 1 }).waitFor();
  await page.getByLabel('Share in').selectOption({ index: 1 });
  // TLP:RED is above the charter (amber): nothing is stored, each fate shown.
  await page.getByLabel('Bundle (JSON)').fill(bundle([indicator, { ...malware, object_marking_refs: [RED] }]));
  await page.getByRole('button', { name: 'Import a bundle' }).click();
  await page.getByText('Nothing stored: 1 of 2 objects rejected.').waitFor();
  await page.locator('#intel-report tbody tr.rejected', { hasText: 'TLP:red is above TLP:amber' }).waitFor();
  await axe(page, '03-import-rejected');
  await page.getByLabel('Bundle (JSON)').fill(bundle([indicator, malware, rel]));
  await page.getByRole('button', { name: 'Import a bundle' }).click();
  await page.getByText('Stored: 3 added, 0 unchanged, 0 rejected (of 3).').waitFor();
  await axe(page, '04-import-stored');
});

scenario('a member reads what was shared; an outsider sees nothing', async (page, more) => {
  await signIn(page, 'borealia-cert.analyst');
  await page.getByRole('link', { name: 'Intelligence' }).click();
  await page.getByRole('heading', { name: 'Threat intelligence', level: 1 }).waitFor();
  await page.locator('#intel-results tbody tr').nth(2).waitFor();
  assert.equal(await page.locator('#intel-results tbody tr').count(), 3);
  await page.getByLabel('Label').fill('phishing');
  await page.getByRole('button', { name: 'Search' }).click();
  await page.waitForFunction(() => document.querySelectorAll('#intel-results tbody tr').length === 1);
  await axe(page, '05-intel-search');
  await page.getByRole('link', { name: indicator.name }).click();
  await page.getByRole('heading', { name: indicator.name, level: 1 }).waitFor();
  await page.getByRole('link', { name: 'ArcaStealer' }).waitFor();
  await page.getByText('TLP:GREEN').first().waitFor();
  await axe(page, '06-intel-object');

  const outsider = await more();
  await signIn(outsider, 'eastmark-cert.analyst');
  await outsider.getByRole('link', { name: 'Intelligence' }).click();
  await outsider.getByText('No objects.').waitFor();
  await outsider.goto(S.base + '/#/intel/' + indicator.id);
  await outsider.getByRole('alert').waitFor();
  await outsider.getByRole('link', { name: 'Communities' }).click();
  await outsider.getByText('Your organisation is in no community.').waitFor();
  await axe(outsider, '07-outsider');
});

scenario('a member shares an indicator of the same domain and reports sightings', async (page) => {
  await signIn(page, 'borealia-cert.analyst');
  await importBundle(page, bundle([BOREALIA], 'bundle--1d9e2f0c-3d0e-4c4f-8d3e-1a2b3c4d5e6f'), true);
  await page.getByText('Stored: 1 added, 0 unchanged, 0 rejected (of 1).').waitFor();
  // Arcadia's indicator: no sighting yet; Borealia's indicator correlates.
  await page.goto(S.base + '/#/intel/' + indicator.id);
  await page.getByRole('heading', { name: indicator.name, level: 1 }).waitFor();
  await page.getByText('No sightings that you may read.').waitFor();
  await page.locator('.correlation').getByRole('link', { name: BOREALIA.name }).waitFor();
  const form = page.getByRole('form', { name: 'Report a sighting' });
  // Last seen before first seen: the node refuses it, the field is named.
  await form.getByLabel('Times seen').fill('5');
  await form.getByLabel('First seen (UTC)').fill('2024-05-03T12:00');
  await form.getByLabel('Last seen (UTC)').fill('2024-05-01T10:00');
  await form.getByLabel('Share in').selectOption({ index: 1 });
  await form.getByLabel('TLP').selectOption('green');
  await form.getByRole('button', { name: 'Report a sighting' }).click();
  await form.locator('p[role="alert"]').filter({ hasText: 'sightings/0/last_seen' }).waitFor();
  await fieldError(form, 'Last seen (UTC)').filter({ hasText: 'before first_seen' }).waitFor();
  await page.getByText('No sightings that you may read.').waitFor();
  await form.getByLabel('First seen (UTC)').fill('2024-05-01T10:00');
  await form.getByLabel('Last seen (UTC)').fill('2024-05-03T12:00');
  await form.getByLabel('Where / observed by').fill('Mail gateway, Borealia ministries');
  await form.getByRole('button', { name: 'Report a sighting' }).click();
  await form.getByText('The sighting is recorded.').waitFor();
  await page.locator('#intel-sightings tbody tr').first().waitFor();
  // Another day, kept to Borealia (no community).
  await form.getByLabel('Times seen').fill('7');
  await form.getByLabel('First seen (UTC)').fill('2024-06-01T08:00');
  await form.getByLabel('Last seen (UTC)').fill('2024-06-02T08:00');
  await form.getByLabel('Where / observed by').fill('');
  await form.getByLabel('Share in').selectOption('');
  await form.getByLabel('TLP').selectOption('amber');
  await form.getByRole('button', { name: 'Report a sighting' }).click();
  await page.waitForFunction(() => document.querySelectorAll('#intel-sightings tbody tr').length === 2);
  assert.match(await page.locator('#intel-sightings-summary').textContent(), /^2 sightings, seen 12 times in all;/);
  await axe(page, '08-intel-sightings-reporter');
});

scenario('an outsider keeps an indicator of the same domain to itself', async (page) => {
  await signIn(page, 'eastmark-cert.analyst');
  await importBundle(page, bundle([EASTMARK], 'bundle--2d9e2f0c-3d0e-4c4f-8d3e-1a2b3c4d5e6f'), false);
  await page.getByText('Stored: 1 added, 0 unchanged, 0 rejected (of 1).').waitFor();
  await page.goto(S.base + '/#/intel/' + EASTMARK.id);
  await page.getByRole('heading', { name: EASTMARK.name, level: 1 }).waitFor();
  // It correlates with nothing Eastmark may read (the others are in a community it is not in).
  await page.getByText('No other object that you may read shares an observable with this one.').waitFor();
  await page.getByText('No sightings that you may read.').waitFor();
});

scenario('the author sees the shared sighting and the correlation it may read, in six languages', async (page) => {
  await signIn(page, 'arcadia-cert.analyst');
  await page.goto(S.base + '/#/intel/' + indicator.id);
  await page.getByRole('heading', { name: indicator.name, level: 1 }).waitFor();
  const rows = page.locator('#intel-sightings tbody tr');
  await rows.first().waitFor();
  assert.equal(await rows.count(), 1); // the sighting Borealia kept to itself is not shown
  assert.match(await page.locator('#intel-sightings-summary').textContent(), /^1 sightings, seen 5 times in all;/);
  await rows.first().getByRole('link', { name: 'Borealia National CSIRT' }).waitFor();
  assert.match(await rows.first().textContent(), /Mail gateway, Borealia ministries/);
  await rows.first().getByText('TLP:GREEN').waitFor();
  const correlation = page.locator('.correlation');
  await correlation.getByRole('link', { name: BOREALIA.name }).waitFor();
  assert.equal(await correlation.count(), 1);
  assert.equal(await correlation.getByRole('link', { name: EASTMARK.name }).count(), 0);
  assert.match(await correlation.locator('h3').textContent(), /login-arcadia\.example/);
  await axe(page, '09-intel-sightings-author');
  for (const lang of ['fr', 'es', 'ru', 'zh', 'ar', 'en']) {
    const c = catalogue(lang);
    await page.locator('#lang').selectOption(lang);
    await page.getByRole('heading', { name: c['intel.sightings'], level: 2, exact: true }).waitFor();
    await page.getByRole('heading', { name: c['intel.correlations'], level: 2, exact: true }).waitFor();
    await page.getByRole('columnheader', { name: c['intel.reporter'], exact: true }).waitFor();
    await page.getByRole('form', { name: c['intel.report_sighting'] }).waitFor();
    await correlation.getByText(c['intel.relation_same']).waitFor();
    assert.equal(await page.evaluate(() => document.documentElement.dir), lang === 'ar' ? 'rtl' : 'ltr');
    if (lang === 'ar') await axe(page, '10-intel-sightings-ar');
  }
});
