// The foundation journey: bootstrap admin signs in, creates a user; the user signs in, is
// refused the admin pages with a 403, and signs out.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ADMIN_PASSWORD, ADMIN_USER, BASE_URL, USER_NAME, USER_PASSWORD, hydrated, launch, screenshot, signIn, signOut } from './browser.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const NEW_USER = USER_NAME;
const NEW_PASSWORD = USER_PASSWORD;

test('anonymous visitors are sent to the sign-in page', async () => {
  const page = await browser.newPage();
  await page.goto(`${BASE_URL}/users`);
  assert.match(page.url(), /\/login\?next=(%2F|\/)users$/);
  await screenshot(page, '01-login');
  await page.close();
});

test('a wrong password shows a clear message', async () => {
  const page = await browser.newPage();
  await page.goto(`${BASE_URL}/login`);
  await hydrated(page);
  await page.getByLabel('Username').fill(ADMIN_USER);
  await page.getByLabel('Password').fill('not-the-password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByTestId('login-error').waitFor();
  assert.match(await page.getByTestId('login-error').innerText(), /Username or password is incorrect/);
  await page.close();
});

test('the bootstrap admin creates a user, with live validation', async () => {
  const context = await browser.newContext({ viewport: { width: 1366, height: 860 } });
  const page = await context.newPage();
  await signIn(page, ADMIN_USER, ADMIN_PASSWORD);
  await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
  await screenshot(page, '02-dashboard');

  await page.getByRole('link', { name: 'Users' }).click();
  await page.getByRole('heading', { name: 'Users', exact: true }).waitFor();
  const form = page.getByTestId('create-user-form');
  // The browser runs the same validators as the server while the admin types.
  await form.getByLabel('Username').fill('Erin Smith');
  await page.getByText('Username contains "E"').waitFor();
  await form.getByLabel('Initial password').fill('short');
  await page.getByText('Password has 5 characters: use at least 10.').waitFor();
  await screenshot(page, '03-users-validation');

  await form.getByLabel('Username').fill(NEW_USER);
  await form.getByLabel('Initial password').fill(NEW_PASSWORD);
  await form.getByLabel('Groups').fill('physics, data-science');
  await form.getByLabel('Reason (optional)').fill('new PhD student');
  await form.getByRole('button', { name: 'Create account' }).click();
  await page.getByText(`Account ${NEW_USER} created.`).waitFor();
  const row = page.locator(`tr[data-username="${NEW_USER}"]`);
  await row.waitFor();
  assert.match(await row.innerText(), /physics/);
  await screenshot(page, '04-users-created');

  // The change is on the audit page.
  await page.getByRole('link', { name: 'Audit' }).click();
  await page.getByTestId('audit-table').waitFor();
  assert.match(await page.getByTestId('audit-table').innerText(), /user\.create/);
  await screenshot(page, '05-audit');

  await signOut(page);
  await context.close();
});

test('the new user signs in, cannot open admin pages, and signs out', async () => {
  const context = await browser.newContext({ viewport: { width: 1366, height: 860 } });
  const page = await context.newPage();
  await signIn(page, NEW_USER, NEW_PASSWORD);
  await page.getByRole('heading', { name: 'My environment' }).first().waitFor();
  await hydrated(page);
  // Users see their own navigation only.
  assert.equal(await page.getByRole('link', { name: 'Users' }).count(), 0);
  // No hub exists yet (profiles.test.mjs creates one): the page says so.
  await page.getByTestId('no-environments').waitFor();
  assert.equal(await page.getByTestId('no-servers').count(), 1);
  await screenshot(page, '06-user-home');

  for (const path of ['/users', '/servers', '/profiles', '/hubs', '/volumes', '/audit']) {
    const res = await page.goto(`${BASE_URL}${path}`);
    assert.equal(res.status(), 403, `${path} must answer 403 to a user`);
    await page.getByTestId('forbidden').waitFor();
  }
  await screenshot(page, '07-forbidden');
  await hydrated(page);
  await signOut(page);
  // After signing out, pages send to the login page again.
  await page.goto(`${BASE_URL}/me`);
  assert.match(page.url(), /\/login/);
  await context.close();
});

test('the layout works in a narrow window', async () => {
  const context = await browser.newContext({ viewport: { width: 390, height: 800 } });
  const page = await context.newPage();
  await signIn(page, ADMIN_USER, ADMIN_PASSWORD);
  await page.getByRole('button', { name: 'Toggle navigation' }).click();
  await page.getByRole('link', { name: 'Users' }).click();
  await page.getByRole('heading', { name: 'Users', exact: true }).waitFor();
  await screenshot(page, '08-narrow-users');
  await context.close();
});

test('every admin page hydrates cleanly on a full page load', async () => {
  const context = await browser.newContext({ viewport: { width: 1366, height: 860 } });
  const page = await context.newPage();
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(`${page.url()}: ${m.text()}`); });
  page.on('pageerror', (e) => errors.push(`${page.url()}: ${e.message}`));
  await signIn(page, ADMIN_USER, ADMIN_PASSWORD);
  // Which wasm modules each page made the browser fetch: the dashboard only the main one, every
  // other page (a lazy route) also its own split-off module. (Leptos adds preload links for
  // them only when the page has rendered before the document head is sent, which is a race, so
  // the HTML is not checked for them.)
  let modules = [];
  page.on('request', (r) => {
    if (/\/pkg\/.*\.wasm$/.test(new URL(r.url()).pathname)) modules.push(new URL(r.url()).pathname.split('/').pop());
  });
  const pages = { '/': null, '/users': 'users', '/servers': 'servers', '/hubs': 'hubs', '/profiles': 'profiles', '/volumes': 'volumes', '/audit': 'audit', '/cluster': 'cluster', '/no-such-page': null };
  for (const [path, lazy] of Object.entries(pages)) {
    modules = [];
    await page.goto(`${BASE_URL}${path}`);
    await hydrated(page);
    await page.waitForTimeout(300);
    if (lazy) {
      const own = new RegExp(`split___${lazy}_route_view_\\d+\\.wasm`);
      assert.ok(modules.some((m) => own.test(m)), `${path} did not load its own module: ${modules.join(', ')}`);
    } else {
      assert.ok(!modules.some((m) => m.startsWith('split_')), `${path} loaded page modules: ${modules.join(', ')}`);
    }
  }
  assert.deepEqual(errors.filter((e) => !/status of 404/.test(e)), []);
  await context.close();
});
