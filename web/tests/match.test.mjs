// The Match screen in a real browser against a real node (harness.mjs) with
// the demo directory: Arcadia's analyst imports an indicator for its own
// organisation only, pastes values and sees, value by value, the hit with
// its context (TLP, PAP), a value without hit and an invalid one answered
// with its own error; Eastmark's analyst matches the same value and gets no
// hit (an outsider's indicators never match); the feeds panel names the
// URLs. axe-core on the screen.
import assert from 'node:assert/strict';
import { suite } from './harness.mjs';

const S = suite({ name: 'match-node', shots: 'match' });
const { scenario, axe, signIn } = S;

const GREEN = 'marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb';
const indicator = {
  type: 'indicator', id: 'indicator--1c9e2f0c-3d0e-4c4f-8d3e-1a2b3c4d5e6f', spec_version: '2.1',
  created: '2024-01-01T00:00:00.000Z', modified: '2024-01-01T00:00:00.000Z',
  name: 'C2 at c2-arcadia.example', pattern: "[domain-name:value = 'c2-arcadia.example' OR ipv4-addr:value = '203.0.113.0/24']",
  pattern_type: 'stix', valid_from: '2024-01-01T00:00:00Z', object_marking_refs: [GREEN],
};
const bundle = JSON.stringify({ type: 'bundle', id: 'bundle--2c9e2f0c-3d0e-4c4f-8d3e-1a2b3c4d5e6f', objects: [indicator] });

async function matchValues(page, values) {
  await page.getByRole('link', { name: 'Match' }).click();
  await page.getByRole('heading', { name: 'Match values against shared indicators', level: 1 }).waitFor();
  await page.getByLabel('Values (one per line)').fill(values.join('\n'));
  await page.getByRole('button', { name: 'Match', exact: true }).click();
  await page.locator('.match-results table tbody tr').nth(values.length - 1).waitFor();
}

scenario('an analyst matches values against its own indicators', async (page) => {
  await signIn(page, 'arcadia-cert.analyst');
  await page.getByRole('link', { name: 'Intelligence' }).click();
  await page.getByRole('link', { name: 'Import a bundle' }).click();
  await page.getByRole('heading', { name: 'Import STIX 2.1', level: 1 }).waitFor();
  await page.getByLabel('Bundle (JSON)').fill(bundle);
  await page.getByRole('button', { name: 'Import a bundle' }).click();
  await page.getByText('Stored: 1 added, 0 unchanged, 0 rejected (of 1).').waitFor();
  await matchValues(page, ['C2-Arcadia.example.', '203.0.113.9', 'nothing.example', '192.0.2.300']);
  await page.getByText('4 values, 2 matched, 1 invalid.').waitFor();
  const rows = page.locator('.match-results table tbody tr');
  assert.match(await rows.nth(0).innerText(), /c2-arcadia\.example/);
  assert.match(await rows.nth(0).innerText(), new RegExp(indicator.id));
  assert.match(await rows.nth(0).innerText(), /TLP:GREEN/);
  assert.match(await rows.nth(1).innerText(), /cidr\/24/);
  assert.match(await rows.nth(2).innerText(), /No indicator/);
  assert.equal(await rows.nth(3).locator('.field-error').count(), 1);
  await page.getByRole('heading', { name: 'Feeds', level: 2 }).waitFor();
  assert.match(await page.locator('.feed-urls').innerText(), /\/api\/v1\/feeds\/rpz/);
  await axe(page, '01-match-results');
});

scenario("an outsider's indicators never match for another organisation", async (page) => {
  await signIn(page, 'eastmark-cert.analyst');
  await matchValues(page, ['c2-arcadia.example']);
  await page.getByText('1 values, 0 matched, 0 invalid.').waitFor();
  assert.match(await page.locator('.match-results table tbody tr').nth(0).innerText(), /No indicator/);
});
