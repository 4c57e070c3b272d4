// The generated values of a hub in the browser: preview, validation result, digest and the
// config.yaml download, for the hub that profiles.test.mjs builds through the forms (files run
// in name order against one server).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ADMIN_PASSWORD, ADMIN_USER, BASE_URL, USER_NAME, USER_PASSWORD, hydrated, launch, screenshot, signIn } from './browser.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test('a hub shows its generated config.yaml, valid, with a digest and a download', async (t) => {
  const context = await browser.newContext({ viewport: { width: 1366, height: 900 } });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await signIn(page, ADMIN_USER, ADMIN_PASSWORD);
  await page.goto(`${BASE_URL}/hubs`);
  await hydrated(page);
  const hubLink = page.getByRole('link', { name: 'data8-jupyterhub' }).first();
  if ((await hubLink.count()) === 0) {
    t.skip('no hub yet: profiles.test.mjs creates data8-jupyterhub first');
    await context.close();
    return;
  }
  await hubLink.click();
  await page.getByTestId('values-link').click();
  await page.getByTestId('values-yaml').waitFor();
  const yaml = await page.getByTestId('values-yaml').innerText();
  for (const expected of ['singleuser:', 'profileList:', 'mydocker.registry.com/jupyterhub/k8s-singleuser', 'claim-share', 'extraConfig:']) {
    assert.ok(yaml.includes(expected), `${expected} missing from the preview`);
  }
  await page.getByTestId('values-valid').waitFor();
  assert.match(await page.getByTestId('values-digest').innerText(), /[0-9a-f]{12}/);
  // Showing the values records nothing: the administrator records the version they reviewed.
  await page.getByTestId('values-unrecorded').waitFor();
  await page.reload();
  await hydrated(page);
  await page.getByTestId('values-unrecorded').waitFor();
  await page.getByTestId('record-values').click();
  await page.getByTestId('values-version').waitFor();
  assert.equal(await page.getByTestId('values-version').innerText(), 'v1');
  assert.equal(await page.getByTestId('values-unrecorded').count(), 0);
  assert.match(await page.getByTestId('values-versions').innerText(), /v1/);
  const href = await page.getByTestId('download-values').getAttribute('href');
  const res = await page.request.get(`${BASE_URL}${href}`);
  assert.equal(res.status(), 200);
  assert.match(res.headers()['content-disposition'] ?? '', /config\.yaml/);
  assert.ok((await res.text()).includes('profileList:'));
  await screenshot(page, '20-values');
  assert.deepEqual(errors, []);
  await context.close();
});

test('a user picks their environment on "My environment"', async (t) => {
  const context = await browser.newContext({ viewport: { width: 1366, height: 900 } });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await signIn(page, USER_NAME, USER_PASSWORD);
  await page.getByRole('heading', { name: 'My environment' }).first().waitFor();
  await hydrated(page);
  // The "Data science" profile profiles.test.mjs made is open to everyone: a card,
  // preselected as the hub's default, that fits the simulated cluster.
  const card = page.getByTestId('profile-card').filter({ hasText: 'Data science' });
  if ((await card.count()) === 0) {
    t.skip('no profile yet: profiles.test.mjs creates "Data science" first');
    await context.close();
    return;
  }
  assert.equal(await card.getByTestId('chosen').innerText(), 'Hub default');
  assert.equal(await card.getByTestId('fit').innerText(), 'Fits now');
  assert.match(await card.innerText(), /claim-share at \/mnt/);
  await card.getByTestId('choose').click();
  await card.getByTestId('chosen').getByText('Your choice').waitFor();
  assert.equal(await card.getByTestId('choose').count(), 0);
  // Remembered: a fresh load shows the same choice.
  await page.reload();
  await hydrated(page);
  await page.getByTestId('profile-card').filter({ hasText: 'Data science' }).getByText('Your choice').waitFor();
  await screenshot(page, '21-my-environment');
  assert.deepEqual(errors, []);
  await context.close();
});
