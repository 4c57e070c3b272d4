// Applying a hub in the browser through the Kubernetes API (the simulated cluster plays the
// Helm Job): install the hub profiles.test.mjs built, watch the operation's log, see revision
// 1 deployed; change the profile's memory, see the impact and the diff, upgrade to revision 2;
// compare revisions; roll back to 1; find all of it on the audit page. Runs last (files run
// in name order): it changes the values that values.test.mjs records as v1.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ADMIN_PASSWORD, ADMIN_USER, BASE_URL, hydrated, launch, screenshot, signIn } from './browser.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

// A Helm operation on the demo cluster takes about 15 s (scheduling, then Helm itself).
const OPERATION_MS = 90_000;

async function waitForRevision(page, revision) {
  await page.getByTestId('running-operation').waitFor({ state: 'detached', timeout: OPERATION_MS });
  await page.locator(`[data-testid="history"] tr[data-revision="${revision}"]`).waitFor({ timeout: 15_000 });
  const status = page.getByTestId('release-status');
  assert.equal((await status.innerText()).trim(), 'deployed');
}

async function applyWithReason(page, reason) {
  const form = page.getByTestId('apply-form');
  const submit = form.getByTestId('apply-submit');
  // The reason is required: the button waits for one.
  assert.ok(await submit.isDisabled());
  await form.getByLabel('Reason').fill(reason);
  await submit.click();
  await page.getByTestId('running-operation').waitFor({ timeout: 15_000 });
}

test('install, upgrade with an impact preview, compare and roll back a hub', async (t) => {
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
  await page.getByTestId('deploy-link').click();
  await page.getByRole('heading', { name: 'Deploy data8-jupyterhub' }).waitFor();
  await hydrated(page);
  const hubPath = new URL(page.url()).pathname.replace(/\/deploy$/, '');

  // Not installed yet: the impact says what an install does, the diff is the whole file.
  assert.equal((await page.getByTestId('release-status').innerText()).trim(), 'not installed');
  const impact = await page.getByTestId('impact').innerText();
  assert.match(impact, /Installs the release/);
  assert.match(impact, /claim-share/);
  assert.match(await page.getByTestId('apply-diff').innerText(), /profileList/);
  await screenshot(page, '40-deploy-install');
  // The running operation comes as server-sent events, not by reading it again and again.
  const followed = [];
  page.on('request', (r) => {
    const path = new URL(r.url()).pathname;
    if (/^\/api\/v1\/operations\/\d+\/events$/.test(path) || /get_operation/.test(path)) followed.push(path);
  });
  await applyWithReason(page, 'first install of the course hub');
  await page.getByTestId('operation-log').waitFor({ timeout: 30_000 });
  assert.match(await page.getByTestId('running-operation').innerText(), /Install #\d+/);
  await screenshot(page, '41-deploy-running');
  await waitForRevision(page, 1);
  assert.ok(followed.length >= 1 && followed.every((p) => p.endsWith('/events')), `followed by: ${followed}`);
  assert.match(await page.getByTestId('operations').innerText(), /Revision 1 deployed/);
  await page.getByTestId('apply-unchanged').waitFor();
  await screenshot(page, '42-deploy-installed');

  // The Cluster page's `helm ls --all` lists the release, linked to its hub.
  await page.goto(`${BASE_URL}/cluster`);
  await hydrated(page);
  const release = page.locator('[data-testid="releases"] tr[data-release="data8-jupyterhub"]');
  await release.waitFor();
  assert.match(await release.innerText(), /deployed[\s\S]*jupyterhub-4\.4\.0/);
  await release.getByRole('link', { name: /Hubfleet/ }).waitFor();

  // The install created the shared volume first: its page shows the claim bound.
  await page.goto(`${BASE_URL}/volumes`);
  await hydrated(page);
  await page.getByRole('link', { name: 'claim-share' }).first().click();
  await page.getByTestId('claim-panel').waitFor();
  await page.getByTestId('claim-phase').getByText('Bound').waitFor({ timeout: 30_000 });

  // Change the profile's memory limit through its form.
  await page.goto(`${BASE_URL}${hubPath}`);
  await hydrated(page);
  await page.getByRole('link', { name: 'Data science' }).first().click();
  await page.getByLabel('Memory limit').waitFor();
  await hydrated(page);
  await page.getByLabel('Memory limit').fill('4G');
  await page.getByRole('button', { name: 'Save profile' }).click();
  await page.getByTestId('saved').waitFor();

  // The deploy page shows what the upgrade changes, then applies it as revision 2.
  await page.goto(`${BASE_URL}${hubPath}/deploy`);
  await hydrated(page);
  await page.getByTestId('apply-form').waitFor();
  assert.match(await page.getByTestId('impact').innerText(), /hub pod restarts[\s\S]*data-science/);
  const diff = await page.getByTestId('apply-diff').innerText();
  assert.match(diff, /4G/);
  assert.match(diff, /3G/);
  await screenshot(page, '43-deploy-upgrade-impact');
  await applyWithReason(page, 'more memory for the notebooks');
  await waitForRevision(page, 2);
  assert.match(await page.getByTestId('history').innerText(), /superseded/);

  // Compare revision 1 with the deployed one, then roll back to it.
  await page.getByTestId('compare-1').click();
  const revDiff = page.getByTestId('revision-diff');
  await revDiff.waitFor();
  assert.match(await revDiff.innerText(), /Revision 1 → deployed revision 2/);
  assert.match(await revDiff.innerText(), /4G/);
  await screenshot(page, '44-deploy-revision-diff');
  await page.getByTestId('rollback-1').click();
  const rollback = page.getByTestId('rollback-form');
  await rollback.getByLabel('Reason').fill('4G was not needed after all');
  await rollback.getByTestId('rollback-submit').click();
  await page.getByTestId('running-operation').waitFor({ timeout: 15_000 });
  await waitForRevision(page, 3);
  assert.match(await page.getByTestId('operations').innerText(), /Rolled back to revision 1/);
  await screenshot(page, '45-deploy-rolled-back');

  // Everything is in the audit trail, with the reasons.
  await page.goto(`${BASE_URL}/audit`);
  await hydrated(page);
  const audit = await page.getByTestId('audit-table').innerText();
  for (const action of ['release.install', 'release.upgrade', 'release.rollback', 'release.rollback.succeeded']) {
    assert.ok(audit.includes(action), `${action} missing from the audit page`);
  }
  assert.match(audit, /4G was not needed after all/);
  assert.deepEqual(errors, []);
  await context.close();
});

test('uninstall needs the release name typed and keeps home volumes', async (t) => {
  const context = await browser.newContext({ viewport: { width: 1366, height: 900 } });
  const page = await context.newPage();
  await signIn(page, ADMIN_USER, ADMIN_PASSWORD);
  await page.goto(`${BASE_URL}/hubs`);
  await hydrated(page);
  const hubLink = page.getByRole('link', { name: 'data8-jupyterhub' }).first();
  if ((await hubLink.count()) === 0) {
    t.skip('no hub yet');
    await context.close();
    return;
  }
  await hubLink.click();
  await page.getByTestId('deploy-link').click();
  await hydrated(page);
  const panel = page.getByTestId('uninstall-panel');
  assert.match(await panel.innerText(), /home volumes \(PVCs\) and shared volumes are kept/);
  await panel.getByTestId('uninstall-open').click();
  await panel.getByLabel('Type data8-jupyterhub to confirm').fill('data8');
  await panel.getByLabel('Reason').fill('course over');
  assert.ok(await panel.getByTestId('uninstall-submit').isDisabled());
  assert.match(await panel.innerText(), /Type the release name "data8-jupyterhub" exactly/);
  await panel.getByLabel('Type data8-jupyterhub to confirm').fill('data8-jupyterhub');
  await screenshot(page, '46-deploy-uninstall');
  await panel.getByTestId('uninstall-submit').click();
  await page.getByTestId('running-operation').waitFor({ timeout: 15_000 });
  await page.getByTestId('running-operation').waitFor({ state: 'detached', timeout: OPERATION_MS });
  assert.match(await page.getByTestId('operations').innerText(), /uninstalled\. Users' home volumes are kept/);
  assert.equal((await page.getByTestId('release-status').innerText()).trim(), 'not installed');
  await context.close();
});
