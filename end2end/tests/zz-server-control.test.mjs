// Starting and stopping servers through the hub's own REST API (the demo cluster's simulated
// hub answers as JupyterHub 5 with KubeSpawner): the administrator installs the hub again
// (z-deploy.test.mjs ends by uninstalling it), gives Hubfleet the hub's API token on the hub
// page and tests it; the user starts their own server from "My environment" and sees it; the
// administrator finds it on the Servers page, stops it after confirming, and grows its home
// volume.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ADMIN_PASSWORD, ADMIN_USER, BASE_URL, USER_NAME, USER_PASSWORD, hydrated, launch, screenshot, signIn } from './browser.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const OPERATION_MS = 90_000;

test('a user starts their server from My environment; an administrator stops it and grows its home volume', async (t) => {
  const admin = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  const page = await admin.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await signIn(page, ADMIN_USER, ADMIN_PASSWORD);
  await page.goto(`${BASE_URL}/hubs`);
  await hydrated(page);
  const hubLink = page.getByRole('link', { name: 'data8-jupyterhub' }).first();
  if ((await hubLink.count()) === 0) {
    t.skip('no hub yet: profiles.test.mjs creates data8-jupyterhub first');
    await admin.close();
    return;
  }
  await hubLink.click();
  await page.getByTestId('deploy-link').waitFor();
  const hubPath = new URL(page.url()).pathname;

  // The hub runs (install it when the deploy tests left it uninstalled).
  await page.goto(`${BASE_URL}${hubPath}/deploy`);
  await hydrated(page);
  const status = page.getByTestId('release-status');
  await status.waitFor();
  if ((await status.innerText()).trim() !== 'deployed') {
    const form = page.getByTestId('apply-form');
    await form.getByLabel('Reason').fill('run the hub for the start/stop test');
    await form.getByTestId('apply-submit').click();
    await page.getByTestId('running-operation').waitFor({ timeout: 15_000 });
    await page.getByTestId('running-operation').waitFor({ state: 'detached', timeout: OPERATION_MS });
    await page.waitForFunction(() => document.querySelector('[data-testid="release-status"]')?.innerText.trim() === 'deployed', null, { timeout: 15_000 });
  }

  // Hub API access: the token is checked in the browser, then saved and tested.
  await page.goto(`${BASE_URL}${hubPath}`);
  await hydrated(page);
  const access = page.getByTestId('hub-rest-access');
  await access.getByTestId('rest-access-unset').waitFor();
  const token = (await access.getByTestId('sim-hub-token').innerText()).trim();
  await access.getByLabel('Hub API URL').fill('ftp://nowhere');
  await access.getByRole('button', { name: 'Save token' }).click();
  await access.getByText('must start with http:// or https://').waitFor();
  await access.getByText(/Paste an API token/).waitFor();
  await access.getByLabel('Hub API URL').fill('');
  await access.getByLabel('Administrator API token').fill(token);
  await access.getByRole('button', { name: 'Save token' }).click();
  await access.getByTestId('rest-access-set').waitFor();
  assert.match(await access.getByTestId('rest-access-set').innerText(), new RegExp(`…${token.slice(-4)}`));
  assert.equal(await access.getByLabel('Administrator API token').inputValue(), '');
  await access.getByTestId('rest-test').click();
  await access.getByTestId('rest-test-ok').waitFor();
  assert.match(await access.getByTestId('rest-test-ok').innerText(), /JupyterHub 5\.5\.0/);
  await screenshot(page, '50-hub-api-access');

  // The user starts their own server with a profile card.
  const user = await browser.newContext({ viewport: { width: 1366, height: 900 } });
  const mine = await user.newPage();
  mine.on('pageerror', (e) => errors.push(e.message));
  await signIn(mine, USER_NAME, USER_PASSWORD);
  await mine.goto(`${BASE_URL}/me`);
  await hydrated(mine);
  const card = mine.locator('[data-testid="hub-choices"][data-hub="data8-jupyterhub"] [data-testid="profile-card"]').filter({ hasText: 'Data science' });
  await card.getByTestId('start').click();
  await mine.getByTestId('server-action-ok').waitFor();
  assert.match(await mine.getByTestId('server-action-ok').innerText(), /Starting erin's server with profile "Data science"/);
  const server = mine.getByTestId('my-server');
  await server.waitFor({ timeout: 20_000 });
  assert.ok((await server.getByTestId('server-state').innerText()).trim().length > 0);
  // Running: no start button on that hub's cards any more, a stop button on the server.
  await card.getByTestId('start').waitFor({ state: 'detached', timeout: 10_000 });
  await server.getByTestId('stop').waitFor();
  await screenshot(mine, '51-my-server-started');

  // The administrator sees it on the Servers page and stops it after confirming.
  // The page follows the watch stores through server-sent events.
  const events = page.waitForRequest((r) => r.url().includes('/api/v1/servers/events'), { timeout: 15_000 });
  await page.goto(`${BASE_URL}/servers?q=${USER_NAME}`);
  await hydrated(page);
  await events;
  const row = page.locator(`[data-testid="server-row"][data-user="${USER_NAME}"]`).first();
  await row.getByTestId('stop-server').click();
  const panel = page.getByTestId('stop-panel');
  await panel.waitFor();
  assert.match(await panel.innerText(), /Stop erin's server on data8-jupyterhub\?[\s\S]*home volume is kept/);
  await screenshot(page, '52-servers-stop-confirm');
  await panel.getByTestId('confirm-stop').click();
  await page.getByTestId('server-action-ok').waitFor();
  assert.match(await page.getByTestId('server-action-ok').innerText(), /erin's server is stopped/);
  await panel.waitFor({ state: 'detached' });
  // The row becomes the stopped server (its home volume), which can be started again.
  await row.getByTestId('start-server').waitFor({ timeout: 15_000 });
  assert.equal(await row.getAttribute('data-state'), 'stopped');

  // The administrator grows the stopped server's home volume: a smaller size is refused as
  // typed, twice the size is applied and the row shows it once the cluster resized it.
  await row.getByTestId('grow-volume').click();
  const grow = page.getByTestId('grow-panel');
  await grow.waitFor();
  const [, amount, unit] = /Now (\d+)(Ki|Mi|Gi|Ti|k|M|G|T)\b/.exec(await grow.innerText());
  await grow.getByLabel('New size').fill(`1${unit}`);
  await grow.locator('#grow-size-error').getByText('a volume can only grow').waitFor();
  assert.ok(await grow.getByTestId('grow-submit').isDisabled());
  const bigger = `${Number(amount) * 2}${unit}`;
  await grow.getByLabel('New size').fill(bigger);
  await grow.getByLabel('Reason (optional)').fill('course data grew');
  await screenshot(page, '53-servers-grow-volume');
  await grow.getByTestId('grow-submit').click();
  await page.getByTestId('grow-done').waitFor();
  assert.match(await page.getByTestId('grow-done').innerText(), new RegExp(`grows to ${bigger}`));
  await page.waitForFunction(
    ([user, size]) => [...document.querySelectorAll(`[data-testid="server-row"][data-user="${user}"]`)]
      .some((r) => r.innerText.includes(`${size},`)),
    [USER_NAME, bigger],
    { timeout: 20_000 },
  );

  // Every action is in the audit trail.
  await page.goto(`${BASE_URL}/audit`);
  await hydrated(page);
  const audit = await page.getByTestId('audit-table').innerText();
  for (const action of ['hub.rest_access.set', 'server.start', 'server.stop', 'pvc.expand']) {
    assert.ok(audit.includes(action), `${action} missing from the audit page`);
  }
  assert.ok(!audit.includes(token), 'the token is not in the audit trail');
  assert.deepEqual(errors, []);
  await user.close();
  await admin.close();
});
