// Hubs, shared volumes and profiles: the admin builds the first-run example through the
// forms (seeing the browser-side validation on the way), edits the profile in two browsers and
// resolves the conflict, then finds both changes on the audit page and reverts one.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ADMIN_PASSWORD, ADMIN_USER, BASE_URL, hydrated, launch, screenshot as fullPage, signIn } from './browser.mjs';

let browser;
let context;
const problems = [];

function watch(page, name) {
  page.on('console', (msg) => {
    if (msg.type() === 'error' || /hydrat/i.test(msg.text())) problems.push(`${name}: ${msg.text()}`);
  });
  page.on('pageerror', (err) => problems.push(`${name}: ${err.message}`));
  return page;
}

// Full-page screenshots from the top: the sticky top bar otherwise lands mid-page.
async function screenshot(page, name) {
  await page.evaluate(() => window.scrollTo(0, 0));
  await fullPage(page, name);
}

async function open(page, path) {
  await page.goto(`${BASE_URL}${path}`);
  await hydrated(page);
}

before(async () => {
  browser = await launch();
  context = await browser.newContext({ viewport: { width: 1366, height: 900 } });
  const page = watch(await context.newPage(), 'sign-in');
  await signIn(page, ADMIN_USER, ADMIN_PASSWORD);
  await page.close();
});
after(async () => {
  if (problems.length) console.log('browser problems:\n' + problems.join('\n'));
  await context?.close();
  await browser?.close();
});

let hubUrl;
let volumeUrl;
let profileUrl;

test('empty lists tell the admin what to do next', async () => {
  const page = watch(await context.newPage(), 'empty');
  for (const [path, testid, text] of [
    ['/hubs', 'hubs-empty', /hubfleet seed --example/],
    ['/profiles', 'profiles-empty', /New profile/],
    ['/volumes', 'volumes-empty', /New shared volume/],
  ]) {
    await open(page, path);
    assert.match(await page.getByTestId(testid).innerText(), text);
  }
  await open(page, '/hubs');
  await screenshot(page, 'p01-hubs-empty');
  await page.close();
});

test('create the example hub with live validation', async () => {
  const page = watch(await context.newPage(), 'hub');
  await open(page, '/hubs');
  const form = page.getByTestId('create-hub-form');
  await form.getByLabel('Release name').fill('Data8_Hub');
  await form.getByText('has uppercase letters').waitFor();
  assert.equal(await form.getByLabel('Chart version').inputValue(), '4.4.0');
  await form.getByLabel('Release name').fill('data8-jupyterhub');
  await form.getByLabel('Namespace').fill('kube-public');
  await form.getByLabel('Reason (optional)').fill('course hub');
  await screenshot(page, 'p02-hub-form');
  await form.getByRole('button', { name: 'Create hub' }).click();
  await page.waitForURL(/\/hubs\/\d+\?created=1$/);
  hubUrl = new URL(page.url()).pathname;
  await page.getByRole('heading', { name: 'data8-jupyterhub' }).waitFor();
  await page.getByTestId('saved').waitFor();
  await hydrated(page);
  await screenshot(page, 'p03-hub-created');
  await page.close();
});

test('add the shared volume claim-share', async () => {
  const page = watch(await context.newPage(), 'volume');
  await open(page, hubUrl);
  await page.getByRole('link', { name: 'New shared volume' }).first().click();
  await page.getByRole('heading', { name: 'New shared volume' }).waitFor();
  const form = page.getByTestId('volume-form');
  assert.equal(await form.getByLabel('Namespace').inputValue(), 'kube-public');
  await form.getByLabel('Name', { exact: true }).fill('claim-share');
  assert.equal(await form.getByLabel('PVC name').inputValue(), 'claim-share');
  await form.getByLabel('Size').fill('10 GB');
  await form.getByText('contains a space').or(form.locator('#vol-size-error')).first().waitFor();
  assert.notEqual(await form.locator('#vol-size-error').innerText(), '');
  await form.getByLabel('Size').fill('10Gi');
  await form.getByLabel('Access mode').selectOption('ReadWriteMany');
  await form.getByLabel('Storage class (optional)').fill('glusterfs');
  await form.getByLabel('Hubfleet creates the PVC').check();
  await screenshot(page, 'p04-volume-form');
  await form.getByRole('button', { name: 'Create shared volume' }).click();
  await page.waitForURL(/\/volumes\/\d+\?created=1$/);
  volumeUrl = new URL(page.url()).pathname;
  await page.getByTestId('saved').waitFor();
  await hydrated(page);
  await screenshot(page, 'p05-volume-created');
  await page.close();
});

test('create the "Data science" profile: 3Gi is refused with the fix, 3G is saved', async () => {
  const page = watch(await context.newPage(), 'profile');
  await open(page, hubUrl);
  await page.getByRole('link', { name: 'New profile' }).first().click();
  await page.getByRole('heading', { name: 'New environment profile' }).waitFor();
  await hydrated(page);
  const form = page.getByTestId('profile-form');
  await form.getByLabel('Display name').fill('Data science');
  assert.equal(await form.getByLabel('Slug').inputValue(), 'data-science');
  await form.getByLabel('Image', { exact: true }).fill('mydocker.registry.com/jupyterhub/k8s-singleuser');
  await form.getByLabel('Tag', { exact: true }).fill('v1');
  await form.getByLabel('CPU limit').fill('1.5');
  await form.getByLabel('CPU guarantee').fill('0.5');
  await form.getByLabel('Memory limit').fill('3Gi');
  const memError = form.locator('#pf-mem_limit-error');
  await memError.getByText('KubeSpawner').waitFor();
  assert.match(await memError.innerText(), /write 3G/);
  await form.getByLabel('Memory guarantee').fill('1G');
  await form.getByLabel('Size', { exact: true }).fill('5Gi');
  await form.getByLabel('Storage class (optional)').fill('glusterfs');
  await form.getByLabel('Mount path', { exact: true }).first().fill('/home/jupyter');
  await form.getByRole('button', { name: 'Add mount' }).click();
  const mount = form.getByTestId('mount-row').first();
  const volumeId = await mount.locator('option', { hasText: 'claim-share' }).getAttribute('value');
  await mount.getByLabel('Shared volume').selectOption(volumeId);
  await mount.getByLabel('Mount path').fill('/mnt');
  await screenshot(page, 'p06-profile-3gi');
  // Submitting with an error is stopped in the browser and the problems are listed.
  await form.getByRole('button', { name: 'Create profile' }).click();
  await page.getByTestId('error-summary').waitFor();
  assert.match(await page.getByTestId('error-summary').innerText(), /Memory limit/);
  await form.getByLabel('Memory limit').fill('3G');
  await memError.getByText('KubeSpawner').waitFor({ state: 'detached' });
  assert.equal(await page.getByTestId('error-summary').count(), 0);
  await form.getByLabel('Reason (optional)').fill('Data 8 course environment');
  await form.getByRole('button', { name: 'Create profile' }).click();
  await page.waitForURL(/\/profiles\/\d+\?created=1$/);
  profileUrl = new URL(page.url()).pathname;
  await page.getByTestId('saved').waitFor();
  await hydrated(page);
  assert.equal(await page.getByLabel('Memory limit').inputValue(), '3G');
  assert.equal(await page.getByTestId('mount-row').count(), 1);
  assert.ok(await page.getByLabel('Default profile').isChecked());
  await screenshot(page, 'p07-profile-created');
  await page.close();
});

test('the lists show what was created', async () => {
  const page = watch(await context.newPage(), 'lists');
  await open(page, '/hubs');
  const hubRow = page.locator('tr[data-hub="data8-jupyterhub"]');
  assert.match(await hubRow.innerText(), /kube-public[\s\S]*4\.4\.0[\s\S]*default: Data science/);
  await screenshot(page, 'p15-hubs-list');
  await open(page, hubUrl);
  assert.match(await page.getByTestId('hub-profiles').innerText(), /Data science[\s\S]*claim-share → \/mnt/);
  assert.match(await page.getByTestId('hub-volumes').innerText(), /claim-share[\s\S]*10Gi[\s\S]*ReadWriteMany[\s\S]*glusterfs/);
  await screenshot(page, 'p16-hub-page');
  await open(page, '/profiles');
  assert.match(await page.locator('tr[data-profile="Data science"]').innerText(), /CPU 0\.5–1\.5 · memory 1G–3G/);
  await screenshot(page, 'p17-profiles-list');
  await open(page, '/volumes');
  assert.match(await page.locator('tr[data-volume="claim-share"]').innerText(), /Data science/);
  await screenshot(page, 'p18-volumes-list');
  await page.close();
});

test('invalid inputs are announced: aria-invalid, and aria-describedby names the message', async () => {
  const page = watch(await context.newPage(), 'aria');
  // An input with a hint and no error points to its hint only; once invalid it is marked and
  // points to its message too; fixed, it is unmarked again.
  for (const [url, id, bad, good, shot] of [
    [hubUrl, 'hub-namespace', 'Kube Public', 'kube-public', 'a11y-hub-invalid'],
    [volumeUrl, 'vol-size', '10 GB', '10Gi', 'a11y-volume-invalid'],
    [profileUrl, 'pf-mem_limit', '3Gi', '3G', 'a11y-profile-invalid'],
  ]) {
    await open(page, url);
    const input = page.locator(`#${id}`);
    assert.equal(await input.getAttribute('aria-invalid'), null, id);
    const hintOnly = await input.getAttribute('aria-describedby');
    assert.ok(hintOnly === null || hintOnly === `${id}-hint`, `${id}: ${hintOnly}`);
    await input.fill(bad);
    await page.locator(`#${id}[aria-invalid="true"]`).waitFor();
    const described = (await input.getAttribute('aria-describedby')).split(' ');
    assert.ok(described.includes(`${id}-error`), `${id}: ${described}`);
    for (const ref of described) {
      assert.equal(await page.locator(`#${ref}`).count(), 1, `${id} points to a missing #${ref}`);
    }
    assert.notEqual((await page.locator(`#${id}-error`).innerText()).trim(), '');
    await screenshot(page, shot);
    await input.fill(good);
    await page.locator(`#${id}:not([aria-invalid])`).waitFor();
    assert.equal(await input.getAttribute('aria-describedby'), hintOnly);
  }
  await page.close();
});

test('the profile form works in a narrow window', async () => {
  const narrow = await browser.newContext({ viewport: { width: 390, height: 844 } });
  const page = watch(await narrow.newPage(), 'narrow');
  await signIn(page, ADMIN_USER, ADMIN_PASSWORD);
  await open(page, profileUrl);
  await page.getByRole('button', { name: 'Add variable' }).click();
  const row = page.getByTestId('env-row').first();
  await row.getByLabel('Name').fill('MY-VAR');
  await row.getByText('Write "MY_VAR"').waitFor();
  await screenshot(page, 'p19-narrow-profile');
  await row.getByRole('button', { name: 'Remove variable 1' }).click();
  assert.equal(await page.getByTestId('env-row').count(), 0);
  await narrow.close();
});

test('a mounted volume cannot be deleted: the error names the profile', async () => {
  const page = watch(await context.newPage(), 'volume-delete');
  await open(page, '/volumes');
  await page.locator('tr[data-volume="claim-share"]').getByRole('link', { name: 'claim-share' }).click();
  await page.getByRole('heading', { name: 'claim-share' }).waitFor();
  await hydrated(page);
  await page.getByRole('button', { name: 'Delete shared volume…' }).click();
  await page.getByRole('button', { name: 'Delete permanently' }).click();
  const err = page.getByTestId('delete-error');
  await err.waitFor();
  assert.match(await err.innerText(), /mounted by profile "Data science"/);
  await screenshot(page, 'p08-volume-in-use');
  await page.close();
});

test('two browsers edit the profile: the second save shows the conflict view', async () => {
  const a = watch(await context.newPage(), 'tab-a');
  // A second browser context: its own cookies and session, like a second administrator's laptop.
  const other = await browser.newContext({ viewport: { width: 1366, height: 900 } });
  const b = watch(await other.newPage(), 'tab-b');
  await signIn(b, ADMIN_USER, ADMIN_PASSWORD);
  await open(a, profileUrl);
  await open(b, profileUrl);

  await a.getByLabel('Description (optional)').fill('Python with scipy, numpy, pandas and scikit-learn; course data under /mnt.');
  await a.getByLabel('Reason (optional)').fill('describe the stack');
  await a.getByRole('button', { name: 'Save profile' }).click();
  await a.getByTestId('saved').getByText('Saved (version 2)').waitFor();

  await b.getByLabel('CPU limit').fill('2');
  await b.getByLabel('Reason (optional)').fill('more CPU for the final project');
  await b.getByRole('button', { name: 'Save profile' }).click();
  const conflict = b.getByTestId('conflict');
  await conflict.waitFor();
  assert.match(await conflict.innerText(), /changed by someone else/);
  const differing = conflict.locator('tr[data-differs="true"]');
  assert.equal(await differing.count(), 2);
  assert.match(await differing.nth(0).innerText(), /Description/);
  assert.match(await differing.nth(1).innerText(), /CPU limit\s*differs\s+1\.5\s+2/);
  await screenshot(b, 'p09-conflict');
  // Nothing was written by the stale save.
  await open(a, profileUrl);
  assert.equal(await a.getByLabel('CPU limit').inputValue(), '1.5');

  // Keep mine: saved over version 2 as version 3.
  await b.getByRole('button', { name: 'Keep mine (save over the stored version)' }).click();
  await b.getByTestId('saved').getByText('Saved (version 3)').waitFor();
  assert.equal(await b.getByTestId('conflict').count(), 0);
  assert.equal(await b.getByLabel('CPU limit').inputValue(), '2');

  // Tab A is now at version 2: its next save conflicts too, and "discard mine" loads version 3.
  await a.getByLabel('Memory guarantee').fill('2G');
  await a.getByRole('button', { name: 'Save profile' }).click();
  await a.getByTestId('conflict').waitFor();
  await a.getByRole('button', { name: 'Discard mine (load stored)' }).click();
  await a.getByTestId('saved').getByText('Loaded the stored values (version 3)').waitFor();
  assert.equal(await a.getByLabel('Memory guarantee').inputValue(), '1G');
  assert.equal(await a.getByLabel('CPU limit').inputValue(), '2');
  await screenshot(a, 'p10-conflict-discarded');
  await a.close();
  await other.close();
});

test('both changes are on the audit page with their diffs; reverting one is a new change', async () => {
  const page = watch(await context.newPage(), 'audit');
  const profileId = profileUrl.split('/').pop();
  await open(page, `/audit?target_type=profile&target_id=${profileId}`);
  const table = page.getByTestId('audit-table');
  await table.waitFor();
  const updates = table.locator('tr[data-action="profile.update"]');
  assert.equal(await updates.count(), 2);
  assert.match(await page.getByTestId('audit-count').innerText(), /of 3 matching/);

  // Newest first: B's CPU change, then A's description.
  const cpuRow = updates.nth(0);
  assert.match(await cpuRow.innerText(), /more CPU for the final project/);
  await cpuRow.getByRole('button', { name: /changes?/ }).click();
  const cpuDiff = page.getByTestId('entry-detail').first();
  assert.match(await cpuDiff.innerText(), /cpu_limit\s+1\.5\s+→\s+2/);
  await screenshot(page, 'p11-audit-diff');

  const descRow = updates.nth(1);
  assert.match(await descRow.innerText(), /describe the stack/);
  await descRow.getByRole('button', { name: /changes?/ }).click();
  const detail = page.getByTestId('entry-detail').nth(1);
  assert.match(await detail.innerText(), /description/);

  // Revert to the version A saved (description set, CPU 1.5).
  await detail.getByRole('button', { name: 'Revert to this version…' }).click();
  const preview = detail.getByTestId('revert-preview');
  await preview.waitFor();
  assert.match(await preview.innerText(), /cpu_limit\s+2\s+→\s+1\.5/);
  await preview.getByLabel('Reason (optional)').fill('CPU is capped by the quota');
  await screenshot(page, 'p12-audit-revert-preview');
  await preview.getByRole('button', { name: 'Revert', exact: true }).click();
  // The list reloads with the revert as its newest entry; the confirmation stays at the top of
  // the page and links to that entry once the reloaded list shows it (waits on state, not time).
  await page.getByTestId('audit-count').getByText(/of 4 matching/).waitFor();
  const notice = page.getByTestId('revert-notice');
  await notice.getByText(/Reverted: the values of entry #\d+ are now the current version \(4\)/).waitFor();
  const link = notice.getByTestId('revert-new-entry');
  await link.waitFor();
  const newest = table.locator('tr.audit-row').first();
  assert.equal(await link.getAttribute('href'), `#event-${await newest.getAttribute('data-event')}`);
  assert.match(await newest.innerText(), /Revert to the version of audit entry #\d+: CPU is capped by the quota/);
  // The entries that were open stay open.
  assert.equal(await page.getByTestId('entry-detail').count(), 2);
  await screenshot(page, 'p13-audit-reverted');

  // The profile carries the reverted values.
  await open(page, profileUrl);
  assert.equal(await page.getByLabel('CPU limit').inputValue(), '1.5');
  assert.match(await page.getByLabel('Description (optional)').inputValue(), /scipy/);

  // Filters: actor, action and time range, all in the address.
  await open(page, '/audit');
  const filter = page.getByTestId('audit-filter');
  await filter.getByLabel('Actor').selectOption(ADMIN_USER);
  await filter.getByLabel('Action').selectOption('profile.update');
  const hourAgo = new Date(Date.now() - 3600_000).toISOString().slice(0, 16);
  await filter.getByLabel('From (UTC)').fill(hourAgo);
  await filter.getByRole('button', { name: 'Apply filters' }).click();
  await page.waitForURL(/action=profile\.update/);
  await page.getByTestId('audit-count').getByText(/of 3 matching/).waitFor();
  await screenshot(page, 'p14-audit-filtered');

  // Export of the filtered list (the route is served by backend::audit_export).
  const href = await page.getByTestId('export-csv').getAttribute('href');
  assert.match(href, /^\/api\/audit\/export\?format=csv&actor=/);
  const res = await page.request.get(`${BASE_URL}${href}`);
  assert.equal(res.status(), 200);
  assert.match(res.headers()['content-disposition'], /attachment; filename="hubfleet-audit-.*\.csv"/);
  const csv = await res.text();
  assert.equal(csv.trim().split('\r\n').length, 4, csv);
  const json = await page.request.get(`${BASE_URL}${href.replace('format=csv', 'format=json')}`);
  assert.equal((await json.json()).length, 3);
  await page.close();
});

test('the pages hydrate without errors', () => {
  const real = problems.filter((p) => !/status of (409|422)/.test(p));
  assert.deepEqual(real, []);
});
