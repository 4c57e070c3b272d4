// The Content-Security-Policy in a real browser: every page loads and hydrates with the
// policy on (a nonce on the hydration scripts, no 'unsafe-inline') and Chromium reports no
// violation. Then the password lifecycle through the pages: an administrator resets a
// user's password (shown once), the user signs in with it, can only choose a new one (the
// same validation as the server, as they type), and later changes it again from the top bar.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ADMIN_PASSWORD, ADMIN_USER, BASE_URL, changePassword, hydrated, launch, screenshot, signIn, signOut } from './browser.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

// Records CSP violations in the page (the event fires for every blocked script, style,
// frame or connection), besides the console messages Chromium writes for them.
const RECORD_VIOLATIONS = `
  window.__csp = [];
  document.addEventListener('securitypolicyviolation', (e) => {
    window.__csp.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline') + ' ' + (e.sample || ''));
  });
`;

async function watched(context) {
  const page = await context.newPage();
  const found = [];
  await page.addInitScript(RECORD_VIOLATIONS);
  page.on('console', (m) => {
    if (/Content Security Policy|Refused to (execute|load|apply|connect|frame)/i.test(m.text())) found.push(`${page.url()}: ${m.text()}`);
  });
  return { page, found };
}

async function visit(page, found, path) {
  const res = await page.goto(`${BASE_URL}${path}`);
  const csp = res.headers()['content-security-policy'] ?? '';
  assert.match(csp, /script-src 'self' 'nonce-[A-Za-z0-9_-]{16,}'/, `${path}: ${csp}`);
  assert.doesNotMatch(csp, /unsafe-inline/, path);
  assert.match(csp, /frame-ancestors 'none'/, path);
  await hydrated(page);
  for (const v of await page.evaluate(() => window.__csp)) found.push(`${path}: ${v}`);
}

// Links to records of the kind `prefix` (e.g. /hubs/3) on the list page `list`.
async function recordLinks(page, list, prefix) {
  await page.goto(`${BASE_URL}${list}`);
  await hydrated(page);
  const hrefs = await page.locator(`a[href^="${prefix}/"]`).evaluateAll((as) => as.map((a) => a.getAttribute('href')));
  return [...new Set(hrefs.filter((h) => new RegExp(`^${prefix}/\\d+$`).test(h)))];
}

test('every page loads and hydrates under the CSP without a violation', async () => {
  const context = await browser.newContext({ viewport: { width: 1366, height: 900 } });
  const { page, found } = await watched(context);
  await visit(page, found, '/login');
  await signIn(page, ADMIN_USER, ADMIN_PASSWORD);
  let hubs = await recordLinks(page, '/hubs', '/hubs');
  if (hubs.length === 0) {
    // Run on its own: make a hub to open.
    const form = page.getByTestId('create-hub-form');
    await form.getByLabel('Release name').fill('csp-check');
    await form.getByLabel('Namespace').fill('csp-check');
    await form.getByRole('button', { name: 'Create hub' }).click();
    await page.waitForURL(/\/hubs\/\d+\?created=1$/);
    hubs = await recordLinks(page, '/hubs', '/hubs');
  }
  const hub = hubs[0];
  const pages = [
    '/', '/me', '/account/password', '/hubs', '/profiles', '/volumes', '/users', '/servers', '/audit', '/cluster',
    hub, `${hub}/values`, `${hub}/profiles/new`, `${hub}/volumes/new`,
    ...(await recordLinks(page, '/profiles', '/profiles')).slice(0, 1),
    ...(await recordLinks(page, '/volumes', '/volumes')).slice(0, 1),
  ];
  for (const path of pages) await visit(page, found, path);
  // Client-side navigation too (the router, resources and server functions under the policy).
  await page.getByRole('link', { name: 'Users' }).click();
  await page.getByRole('heading', { name: 'Users', exact: true }).waitFor();
  await page.getByRole('link', { name: 'Audit' }).click();
  await page.getByTestId('audit-table').waitFor();
  await screenshot(page, '30-csp-audit');
  for (const v of await page.evaluate(() => window.__csp)) found.push(`navigation: ${v}`);
  assert.deepEqual(found, []);
  await context.close();
});

const USER = 'sam';
const FIRST = 'sams-first-password';

test('an administrator resets a password; it is shown once and must be changed', async () => {
  const admin = await browser.newContext({ viewport: { width: 1366, height: 900 } });
  const page = await admin.newPage();
  await signIn(page, ADMIN_USER, ADMIN_PASSWORD);
  await page.goto(`${BASE_URL}/users`);
  await hydrated(page);
  const form = page.getByTestId('create-user-form');
  await form.getByLabel('Username').fill(USER);
  await form.getByLabel('Initial password').fill(FIRST);
  await form.getByRole('button', { name: 'Create account' }).click();
  await page.getByText(`Account ${USER} created.`).waitFor();

  // Sam signs in elsewhere.
  const elsewhere = await browser.newContext();
  const samPage = await elsewhere.newPage();
  await signIn(samPage, USER, FIRST);

  const row = page.locator(`tr[data-username="${USER}"]`);
  await row.getByRole('button', { name: 'Edit' }).click();
  const reset = page.getByTestId('reset-password');
  await reset.getByLabel('Reason for the reset (optional)').fill('forgot it');
  await reset.getByRole('button', { name: 'Reset password' }).click();
  const shown = page.getByTestId('one-time-password');
  await shown.waitFor();
  const oneTime = (await shown.innerText()).trim();
  assert.match(oneTime, /^[A-Za-z0-9]{20}$/);
  await screenshot(page, '31-users-reset-password');

  // Sam's open session has ended.
  await samPage.goto(`${BASE_URL}/`);
  assert.match(samPage.url(), /\/login/);

  // With the one-time password, Sam sees only the password page.
  await signIn(samPage, USER, oneTime, { lands: '/account/password' });
  await samPage.getByTestId('one-time-password-notice').waitFor();
  await samPage.goto(`${BASE_URL}/me`);
  assert.match(samPage.url(), /\/account\/password$/);
  await hydrated(samPage);
  // The browser runs the server's rules while Sam types.
  const change = samPage.getByTestId('change-password-form');
  await change.getByLabel('New password', { exact: true }).fill('short');
  await samPage.getByText('New password has 5 characters: use at least 10.').waitFor();
  await change.getByLabel('Repeat new password').fill('different');
  await samPage.getByText('Repeat new password does not match the new password').waitFor();
  await screenshot(samPage, '32-password-one-time');
  await changePassword(samPage, oneTime, 'sams-own-password', { oneTime: true });

  // Later, a wrong current password is named on its field; the right one changes it.
  await samPage.getByRole('link', { name: 'Change password' }).click();
  const again = samPage.getByTestId('change-password-form');
  await again.getByLabel('Current password').fill('not-my-password');
  await again.getByLabel('New password', { exact: true }).fill('sams-newer-password');
  await again.getByLabel('Repeat new password').fill('sams-newer-password');
  await again.getByRole('button', { name: 'Change password' }).click();
  await samPage.getByText('Current password is not correct').waitFor();
  await screenshot(samPage, '33-password-wrong-current');
  await changePassword(samPage, 'sams-own-password', 'sams-newer-password');
  await screenshot(samPage, '34-password-changed');
  await signOut(samPage);
  await signIn(samPage, USER, 'sams-newer-password');
  await elsewhere.close();
  await admin.close();
});
