// What the browser suites share: a real node created and started for the
// suite, Debian's chromium driven by playwright-core, one browser context
// per scenario (script errors and CSP violations fail it; a screenshot is
// saved where it failed), axe-core, signing in.
//
// Needs ENTENTE_BIN (the entente binary) and ENTENTE_TEST_DIR (a work dir);
// each suite has its node under ENTENTE_TEST_DIR/<name> and its screenshots
// under ENTENTE_TEST_DIR/screenshots[/<shots>]. With ENTENTE_WEB_DIST set (a
// built web/dist), the console is served from there by a small proxy in
// front of the node, with the node's security headers, so that console
// changes can be tested without rebuilding the binary.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, readFileSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';
import { serveDist } from './serve-dist.mjs';

const BIN = process.env.ENTENTE_BIN;
const WORK = process.env.ENTENTE_TEST_DIR;
assert.ok(BIN && WORK, 'set ENTENTE_BIN and ENTENTE_TEST_DIR');
const DIST = process.env.ENTENTE_WEB_DIST;
export const ROOT = new URL('../../', import.meta.url).pathname;
export const PW = 'browser test password';
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

const freePort = () =>
  new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

// Registers the suite's before/after hooks: a fresh node with the demo data
// (`setup(cli)` runs before it starts), then the browser. Returns the
// suite's state: `base` (the console's address), `cli`, `shots`.
export function suite({ name, shots = '', setup = () => {} }) {
  const data = join(WORK, name);
  const state = { base: '', shots: join(WORK, 'screenshots', shots), browser: null };
  state.cli = (...args) => execFileSync(BIN, ['--data', data, ...args], { env: { ...process.env, ENTENTE_PASSWORD: PW } }).toString().trim();
  let server, proxy;
  before(async () => {
    rmSync(data, { recursive: true, force: true });
    mkdirSync(state.shots, { recursive: true });
    for (const f of readdirSync(state.shots)) if (f.endsWith('.png')) rmSync(join(state.shots, f));
    state.cli('init', '--org-name', 'Test Operators', '--country', 'XA', '--operator-password', PW);
    state.cli('demo', '--file', join(ROOT, 'data/demo/directory.json'));
    await setup(state.cli);
    const port = await freePort();
    state.base = `http://127.0.0.1:${port}`;
    server = spawn(BIN, ['--data', data, 'serve', '--listen', `127.0.0.1:${port}`], { stdio: 'ignore' });
    let up = false;
    for (let i = 0; i < 200 && !up; i++) {
      try {
        up = (await fetch(`${state.base}/healthz`)).ok;
      } catch {
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    assert.ok(up, 'the node did not start');
    if (DIST) {
      proxy = await serveDist({ dist: DIST, nodePort: port });
      state.base = `http://127.0.0.1:${proxy.address().port}`;
    }
    state.browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });
  after(async () => {
    await state.browser?.close();
    proxy?.close();
    server?.kill('SIGTERM');
  });

  state.newPage = async (context) => {
    context ??= await state.browser.newContext({ locale: 'en-GB' });
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
  };

  // A test with its own browser context; on failure, a screenshot of where it
  // stopped is saved as FAILED-<name>.png. `fn(page, extraPage)` may open
  // more pages with `extraPage()` (their own contexts, closed at the end).
  state.scenario = (title, fn, options = {}) =>
    test(title, options, async () => {
      const page = await state.newPage();
      const extra = [];
      const more = async () => {
        const p = await state.newPage();
        extra.push(p);
        return p;
      };
      try {
        await fn(page, more);
      } catch (e) {
        const stem = title.replace(/[^a-z0-9]+/gi, '-').slice(0, 60);
        await page.screenshot({ path: join(state.shots, `FAILED-${stem}.png`), fullPage: true }).catch(() => {});
        for (const [i, p] of extra.entries()) await p.screenshot({ path: join(state.shots, `FAILED-${stem}-${i + 2}.png`), fullPage: true }).catch(() => {});
        await page.context().close();
        for (const p of extra) await p.context().close();
        throw e;
      }
      for (const p of extra) await p.done();
      await page.done();
    });

  // A screenshot, then axe-core: no serious or critical violation.
  state.axe = async (page, shot) => {
    await page.screenshot({ path: join(state.shots, `${shot}.png`), fullPage: true });
    // The node's CSP allows only its own scripts: run axe through the DevTools
    // protocol, which CSP does not govern.
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Runtime.evaluate', { expression: AXE });
    const r = await cdp.send('Runtime.evaluate', {
      expression:
        'axe.run(document, {resultTypes: ["violations"]}).then(r => JSON.stringify(r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map(n => n.target.join(" "))}))))',
      awaitPromise: true,
      returnByValue: true,
    });
    await cdp.detach();
    const bad = JSON.parse(r.result.value).filter((v) => v.impact === 'serious' || v.impact === 'critical');
    assert.deepEqual(bad, [], `${shot}: axe violations`);
  };

  state.signIn = async (page, user, password = PW) => {
    await page.goto(state.base + '/');
    await page.getByLabel('User name').fill(user);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Directory', level: 1 }).waitFor();
  };
  return state;
}

// The inline error shown with the input labelled `label`.
export const fieldError = (scope, label) => scope.locator('.field', { has: ('page' in scope ? scope.page() : scope).getByLabel(label, { exact: true }) }).locator('.field-error');
