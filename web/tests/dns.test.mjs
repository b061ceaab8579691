// The DNS abuse screens in a real browser against a real node
// (harness.mjs) with the demo directory and the demo DNS dataset
// (data/demo/dns: two days of hand-made zones and feeds with known answers)
// and a report routed to the demo registrar Northwind Names Ltd (IANA id
// 1001): abuse rates by TLD and registrar sorted by clicking a column, the
// trend table, the monthly report links, the registrar's own view of the
// report addressed to it with its deadlines, the filer's view, the
// registrar's answer (the outcome fields shown where they apply: the action
// taken once something was done, the reason only when declined, and then
// required); axe-core on every state.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { suite, ROOT } from './harness.mjs';

const DNS = join(ROOT, 'data/demo/dns');
const S = suite({
  name: 'dns-node',
  shots: 'dns',
  setup: (cli) => {
    for (const day of ['2024-03-01', '2024-03-02'])
      cli('dns', 'ingest', '--date', day, '--zone', join(DNS, 'arc.zone'), '--zone', join(DNS, 'cam.zone'),
        '--registrations', join(DNS, 'registrations.csv'), '--registrars', join(DNS, 'registrars.csv'),
        '--feed', `phishing:demo:urls:${join(DNS, `phish-${day}.txt`)}`);
    cli('dns', 'route', '--domain', 'evil.arc', '--as', 'arcadia-cert.officer');
  },
});
const { scenario, axe, signIn } = S;

const firstKey = async (page, table) => (await page.locator(`#${table} tbody tr th`).first().textContent()).trim();

scenario('a registrar sees abuse rates, sorts them, and the report addressed to it', async (page) => {
  await signIn(page, 'registrar-one.officer');
  await page.getByRole('link', { name: 'DNS abuse' }).click();
  await page.getByRole('heading', { name: 'DNS abuse', level: 1 }).waitFor();
  await page.locator('#dns-tld tbody tr').nth(1).waitFor();
  assert.equal(await page.getByLabel('Month').inputValue(), '2024-03');
  // Default order: per 10,000 descending; median of 5000 and 5000 (cam) >
  // median of 5000 and 2500 (arc, 3750).
  assert.equal(await firstKey(page, 'dns-tld'), '.cam');
  const arc = page.locator('#dns-tld tbody tr', { hasText: '.arc' });
  assert.equal((await arc.locator('td').nth(2).textContent()).trim(), '3,750');
  await axe(page, '01-dns-figures');

  // Sorting by domains: descending first, then ascending.
  const domains = page.locator('#dns-tld thead').getByRole('button', { name: 'Domains', exact: true });
  await domains.click();
  await page.locator('#dns-tld thead th[aria-sort="descending"]', { hasText: 'Domains' }).waitFor();
  await page.waitForFunction(() => document.querySelector('#dns-tld tbody tr th')?.textContent?.includes('.arc'));
  await domains.click();
  await page.locator('#dns-tld thead th[aria-sort="ascending"]', { hasText: 'Domains' }).waitFor();
  await page.waitForFunction(() => document.querySelector('#dns-tld tbody tr th')?.textContent?.includes('.cam'));

  // Registrars: its own row links to its directory page; the unknown id is apart.
  await page.locator('#dns-registrar').getByRole('link', { name: /Northwind Names Ltd \(1001\)/ }).waitFor();
  await page.locator('#dns-registrar tbody tr', { hasText: 'unknown (4242)' }).waitFor();

  // The trend of the first TLD, day by day.
  await page.locator('#dns-trend tbody tr').nth(1).waitFor();
  assert.equal(await page.locator('#dns-trend tbody tr').count(), 2);

  // The monthly report, as HTML and CSV.
  assert.equal(await page.getByRole('link', { name: 'HTML' }).getAttribute('href'), '/api/v1/dns/months/2024-03/report?format=html');
  const csv = await page.evaluate(() => fetch('/api/v1/dns/months/2024-03/report?format=csv').then((r) => r.text()));
  assert.match(csv, /^scope,key,label,days,domains,abused,per10k/);
  assert.match(csv, /\ntld,arc,arc,2,4,1\.5,3750,/);

  // The report addressed to this registrar, with its deadlines.
  const row = page.locator('#dns-reports tbody tr', { hasText: 'evil.arc' });
  await row.waitFor();
  await row.getByText('Sent').waitFor();
  assert.notEqual((await row.locator('td').nth(2).textContent()).trim(), '—'); // acknowledge by
  assert.notEqual((await row.locator('td').nth(3).textContent()).trim(), '—'); // respond by
  await axe(page, '02-dns-registrar-reports');
  await page.getByRole('button', { name: 'Filed by us' }).click();
  await page.getByText('No reports.').waitFor();
});

scenario('the filing CERT sees its report, in Arabic too', async (page) => {
  await signIn(page, 'arcadia-cert.officer');
  await page.goto(S.base + '/#/dns');
  await page.getByRole('button', { name: 'Filed by us' }).click();
  await page.locator('#dns-reports tbody tr', { hasText: 'evil.arc' }).waitFor();
  await page.locator('#lang').selectOption('ar');
  await page.getByRole('heading', { name: 'إساءة استخدام DNS', level: 1 }).waitFor();
  assert.equal(await page.evaluate(() => document.documentElement.dir), 'rtl');
  await axe(page, '03-dns-filer-ar');
});

scenario('the registrar answers the report: the outcome fields where they apply', async (page) => {
  await signIn(page, 'registrar-one.officer');
  await page.goto(S.base + '/#/dns');
  await page.locator('#dns-reports tbody tr', { hasText: 'evil.arc' }).getByRole('link', { name: 'Open the message' }).click();
  await page.getByRole('button', { name: 'Respond', exact: true }).click();
  const form = page.getByRole('form', { name: 'Your response' });
  // A request for assistance: the outcome is asked; nothing else before it is chosen.
  await form.locator('#respond-outcome').waitFor();
  assert.equal(await form.locator('#respond-action_taken').count(), 0);
  assert.equal(await form.locator('#respond-reason').count(), 0);
  await form.locator('#respond-outcome').selectOption('suspended');
  await form.locator('#respond-action_taken').waitFor();
  assert.equal(await form.locator('#respond-reason').count(), 0);
  await form.locator('#respond-action_taken').fill('clientHold set on the domain');
  await axe(page, '04-dns-respond-suspended');
  // Declined: the reason appears, required; the action taken goes (and is not sent).
  await form.locator('#respond-outcome').selectOption('declined');
  await form.locator('#respond-reason').waitFor();
  assert.equal(await form.locator('#respond-action_taken').count(), 0);
  await form.locator('label[for="respond-reason"]', { hasText: 'Reason (required)' }).waitFor();
  await form.locator('#respond-summary').fill('We decline to act on this domain.');
  await form.getByRole('button', { name: 'Send the response' }).click();
  await form.locator('.alert-error', { hasText: '1 field(s) need your attention.' }).waitFor();
  assert.equal(await form.locator('#respond-reason').getAttribute('aria-invalid'), 'true');
  await axe(page, '05-dns-respond-declined-no-reason');
  await form.locator('#respond-reason').fill('The page is an awareness exercise run by the registrant.');
  await form.getByRole('button', { name: 'Send the response' }).click();
  await page.locator('.alert-ok', { hasText: 'Response sent.' }).waitFor();
  const answer = page.locator('article.message', { hasText: 'We decline to act on this domain.' });
  await answer.locator('dt', { hasText: 'Reason' }).waitFor();
  assert.equal(await answer.locator('dt', { hasText: 'Action taken' }).count(), 0);
  // The registrar's view of the report: declined, with the reason.
  await page.goto(S.base + '/#/dns');
  const row = page.locator('#dns-reports tbody tr', { hasText: 'evil.arc' });
  await row.getByText('Declined').waitFor();
  await row.getByText(/awareness exercise/).waitFor();
  await axe(page, '06-dns-registrar-declined');
});
