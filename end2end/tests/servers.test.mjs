// Every user's server as an administrator finds it: from the Users page to the Servers page,
// its search, filters, sortable headers and the list's refresh; a user is refused it. The
// demo cluster here starts no users' servers, so the checks hold whether or not rows exist.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ADMIN_PASSWORD, ADMIN_USER, BASE_URL, USER_NAME, USER_PASSWORD, hydrated, launch, screenshot, signIn } from './browser.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test('an administrator reaches every users server from the Users page and filters it', async () => {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  const page = await context.newPage();
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await signIn(page, ADMIN_USER, ADMIN_PASSWORD);
  await page.getByRole('link', { name: 'Users', exact: true }).click();
  await page.getByRole('heading', { name: 'Users', exact: true }).waitFor();
  await page.getByTestId('users-servers-link').click();
  await page.waitForURL((u) => u.pathname === '/servers');
  await page.getByRole('heading', { name: 'Servers', exact: true }).waitFor();
  // The sidebar links here too.
  await page.locator('nav.sidebar a[href="/servers"]').waitFor();

  // Either the table (every row has a status badge) or the empty state that says why.
  const rows = page.getByTestId('server-row');
  const empty = page.getByTestId('no-servers');
  await Promise.race([rows.first().waitFor(), empty.waitFor()]);
  const count = await rows.count();
  if (count > 0) {
    for (let i = 0; i < count; i++) {
      assert.ok((await rows.nth(i).getByTestId('server-status').innerText()).trim().length > 0);
    }
    // Sorting by status is a link that keeps the page's state in the URL.
    await page.getByTestId('sort-status').click();
    await page.waitForURL((u) => u.searchParams.get('sort') === 'status');
    await page.getByTestId('sort-status').click();
    await page.waitForURL((u) => u.searchParams.get('dir') === 'desc');
  } else {
    assert.match(await empty.innerText(), /No servers running/);
  }
  await screenshot(page, '20-servers');

  // Filters: "Needs attention" is always offered; a search nobody matches says so.
  await page.getByTestId('filter-status').selectOption('problem');
  await page.getByLabel('Search').fill('nobody-has-this-name');
  await page.getByRole('button', { name: 'Apply' }).click();
  await page.waitForURL((u) => u.searchParams.get('status') === 'problem' && u.searchParams.get('q') === 'nobody-has-this-name');
  await page.getByText('No servers match').waitFor();
  assert.equal(await page.getByLabel('Search').inputValue(), 'nobody-has-this-name');

  // The list refetches on its own: the server function is called again without a reload.
  const refetched = page.waitForRequest((r) => r.url().includes('list_servers'), { timeout: 15_000 });
  await refetched;
  await page.getByRole('link', { name: 'Clear' }).click();
  await page.waitForURL((u) => u.pathname === '/servers' && u.search === '');
  assert.deepEqual(errors.filter((e) => /hydration|panicked/i.test(e)), []);
  await context.close();
});

test('a user is refused the servers page', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await signIn(page, USER_NAME, USER_PASSWORD);
  const res = await page.goto(`${BASE_URL}/servers`);
  assert.equal(res.status(), 403);
  await page.getByTestId('forbidden').waitFor();
  await hydrated(page);
  assert.equal(await page.locator('nav.sidebar a[href="/servers"]').count(), 0);
  await context.close();
});
