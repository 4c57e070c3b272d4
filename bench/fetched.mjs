// Run by bench/wasm-size.mjs through end2end/run.mjs (a served portal on a fresh database):
// opens the login page, signs in, waits until the dashboard has hydrated, then opens one
// admin page; writes the bundle paths (under /pkg/) the browser fetched for each step to
// $FETCHED_OUT as JSON.
import { test } from 'node:test';
import { writeFileSync } from 'node:fs';
import { ADMIN_PASSWORD, ADMIN_USER, BASE_URL, hydrated, launch } from '../end2end/tests/browser.mjs';

test('record what the browser fetches', async () => {
  const browser = await launch();
  try {
    const page = await browser.newPage();
    let fetched = [];
    page.on('request', (r) => {
      const path = new URL(r.url()).pathname;
      if (path.startsWith('/pkg/')) fetched.push(path);
    });
    const steps = {};
    await page.goto(`${BASE_URL}/login`);
    await hydrated(page);
    steps.login = fetched;
    fetched = [];
    await page.getByLabel('Username').fill(ADMIN_USER);
    await page.getByLabel('Password').fill(ADMIN_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((u) => !u.pathname.startsWith('/login'));
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    // A full load of the dashboard, as a returning user with an empty cache would see it.
    const fresh = await browser.newContext();
    await fresh.addCookies(await page.context().cookies());
    const dash = await fresh.newPage();
    const dashFetched = [];
    dash.on('request', (r) => {
      const path = new URL(r.url()).pathname;
      if (path.startsWith('/pkg/')) dashFetched.push(path);
    });
    await dash.goto(`${BASE_URL}/`);
    await hydrated(dash);
    steps.dashboard = [...dashFetched];
    // Then a client-side navigation to a lazily loaded page.
    const before = dashFetched.length;
    await dash.getByRole('link', { name: 'Audit' }).first().click();
    await dash.waitForURL((u) => u.pathname === '/audit');
    await dash.getByRole('heading', { name: 'Audit' }).first().waitFor();
    steps.auditAfterDashboard = dashFetched.slice(before);
    writeFileSync(process.env.FETCHED_OUT, JSON.stringify(steps, null, 2));
  } finally {
    await browser.close();
  }
});
