// Adopting a release Hubfleet did not create: the demo cluster holds `legacy-hub` in
// namespace `legacy`, installed by hand from the Data 8 config.yaml. The Cluster page lists
// it as not managed; the adopt page previews the hub, profile, shared volume and extra
// values; adopting (reason required) opens the new hub, whose values page merges the extra
// values and whose deploy page compares them with the deployed ones. Runs last (files run in
// name order): it adds a hub the other tests do not expect.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ADMIN_PASSWORD, ADMIN_USER, BASE_URL, hydrated, launch, screenshot, signIn } from './browser.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test('adopt the demo cluster\'s legacy-hub release', async () => {
  const context = await browser.newContext({ viewport: { width: 1366, height: 900 } });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await signIn(page, ADMIN_USER, ADMIN_PASSWORD);

  await page.goto(`${BASE_URL}/cluster`);
  await hydrated(page);
  const row = page.locator('[data-testid="releases"] tr[data-release="legacy-hub"]');
  await row.waitFor({ timeout: 30_000 });
  assert.match(await row.innerText(), /Not managed/);
  await row.getByTestId('adopt-link').click();

  await page.getByRole('heading', { name: 'Adopt legacy-hub' }).waitFor();
  await hydrated(page);
  assert.equal(new URL(page.url()).pathname, '/cluster/releases/legacy/legacy-hub/adopt');
  const hub = await page.getByTestId('adopt-hub').innerText();
  assert.match(hub, /legacy\.example\.org/);
  assert.match(hub, /7200/);
  const profile = page.getByTestId('adopt-profile');
  assert.equal(await profile.count(), 1);
  assert.match(await profile.innerText(), /mydocker\.registry\.com\/jupyterhub\/k8s-singleuser:v1/);
  assert.match(await profile.innerText(), /claim-share at \/mnt/);
  assert.match(await page.getByTestId('adopt-volumes').innerText(), /claim-share[\s\S]*exists already/);
  const extra = await page.getByTestId('values-yaml').innerText();
  assert.match(extra, /defaultUrl: \/lab/);
  assert.match(extra, /letsencrypt/);
  assert.match(await page.getByTestId('notes-kept').innerText(), /proxy\.https/);
  await screenshot(page, '60-adopt-preview');

  // A reason is required.
  const form = page.getByTestId('adopt-form');
  const submit = form.getByTestId('adopt-submit');
  assert.ok(await submit.isDisabled());
  await form.getByLabel('Reason').fill('take over the hand-made Data 8 hub');
  await submit.click();

  // The new hub's page, with the extra values in its form.
  await page.getByTestId('adopted').waitFor({ timeout: 15_000 });
  await hydrated(page);
  assert.match(new URL(page.url()).pathname, /^\/hubs\/\d+$/);
  await page.getByRole('heading', { name: 'legacy-hub', exact: true }).waitFor();
  await page.getByRole('link', { name: 'Default' }).first().waitFor();
  const textarea = page.locator('#hub-extra_values');
  assert.match(await textarea.inputValue(), /defaultUrl: \/lab/);
  await screenshot(page, '61-adopted-hub');

  // A broken edit of the extra values is refused as typed, with the line.
  await textarea.fill('proxy:\n  https: [\n');
  await page.locator('#hub-extra_values-error').getByText(/Line \d+/).waitFor();
  await textarea.fill('singleuser:\n  defaultUrl: /lab\n');
  await page.locator('#hub-extra_values-error').getByText(/Line/).waitFor({ state: 'detached' });

  // The values merge the extra values; the deploy page compares them with the deployed ones.
  const hubPath = new URL(page.url()).pathname;
  await page.goto(`${BASE_URL}${hubPath}/values`);
  await hydrated(page);
  const yaml = await page.getByTestId('values-yaml').innerText();
  assert.match(yaml, /defaultUrl: \/lab/);
  assert.match(yaml, /hubfleet-profile-list/);
  await page.goto(`${BASE_URL}${hubPath}/deploy`);
  await hydrated(page);
  assert.equal((await page.getByTestId('release-status').innerText()).trim(), 'deployed');
  assert.match(await page.getByTestId('apply-diff').innerText(), /profileList/);
  await screenshot(page, '62-adopted-deploy');

  // The Cluster page names the hub now, and the audit trail has the adoption.
  await page.goto(`${BASE_URL}/cluster`);
  await hydrated(page);
  await row.getByRole('link', { name: /Hubfleet/ }).waitFor();
  await page.goto(`${BASE_URL}/audit`);
  await hydrated(page);
  const audit = await page.getByTestId('audit-table').innerText();
  assert.match(audit, /hub\.adopt/);
  assert.match(audit, /take over the hand-made Data 8 hub/);
  assert.deepEqual(errors, []);
  await context.close();
});
