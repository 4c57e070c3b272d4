// The cluster connection as an administrator sees it on a first run without a kubeconfig:
// the simulated-cluster banner on every page and the Cluster page's discovery overview.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ADMIN_PASSWORD, ADMIN_USER, BASE_URL, launch, screenshot, signIn } from './browser.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test('the simulated cluster is labelled and its overview is shown', async () => {
  const context = await browser.newContext({ viewport: { width: 1366, height: 900 } });
  const page = await context.newPage();
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await signIn(page, ADMIN_USER, ADMIN_PASSWORD);
  await page.getByTestId('simulated-banner').waitFor();
  await page.getByRole('link', { name: 'Cluster' }).click();
  await page.getByRole('heading', { name: 'Cluster', exact: true }).waitFor();
  assert.equal(await page.getByTestId('cluster-status').innerText(), 'Connected');
  const nodes = page.getByTestId('nodes-table').locator('tbody tr');
  assert.ok((await nodes.count()) >= 1, 'the simulated cluster has nodes');
  await page.getByRole('button', { name: 'Refresh' }).click();
  await page.getByTestId('cluster-status').waitFor();
  await screenshot(page, '10-cluster');
  assert.deepEqual(errors.filter((e) => /hydration|panicked/i.test(e)), []);

  // /readyz: anyone learns only whether the portal is ready; the signed-in admin (this
  // browser's session) also sees the cluster.
  const anonymous = await (await fetch(`${BASE_URL}/readyz`)).json();
  assert.deepEqual(anonymous, { ready: true });
  const ready = await (await page.request.get(`${BASE_URL}/readyz`)).json();
  assert.equal(ready.ready, true);
  assert.equal(ready.cluster.source, 'Simulated cluster');
  await context.close();
});
