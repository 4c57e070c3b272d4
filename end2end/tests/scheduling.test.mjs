// Lifetime of servers and GPUs: the admin creates a hub with idle-culling settings (its
// section of the hub form, with the chart's defaults shown), then a GPU profile with a
// toleration, a node-affinity rule and two image choices (seeing the empty-state texts and
// the browser-side checks on the way), and finds them in the generated values; a user sees
// the GPU and the image choices on the profile's card and that it never fits the simulated
// cluster, which has no GPU. Runs on its own (it makes its own hub), after
// profiles.test.mjs in name order.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ADMIN_PASSWORD, ADMIN_USER, BASE_URL, USER_NAME, USER_PASSWORD, hydrated, launch, screenshot as fullPage, signIn } from './browser.mjs';

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
  await context?.close();
  await browser?.close();
});

let hubUrl;

test('a hub with idle culling: chart defaults shown, seconds checked, saved', async () => {
  const page = watch(await context.newPage(), 'lifetime');
  await open(page, '/hubs');
  const form = page.getByTestId('create-hub-form');
  await form.getByLabel('Release name').fill('ml-hub');
  await form.getByLabel('Namespace').fill('ml');
  const section = form.getByTestId('lifetime-section');
  // Closed while everything is at the chart's defaults.
  assert.match(await section.locator('summary').innerText(), /chart defaults/);
  await section.locator('summary').click();
  const timeout = section.getByLabel('Idle timeout');
  assert.equal(await timeout.getAttribute('placeholder'), '3600');
  // A unit is refused with the number of seconds to write.
  await timeout.fill('2h');
  await section.getByText('for "2h" write 7200').waitFor();
  await timeout.fill('7200');
  await section.getByLabel('Idle culling').selectOption('on');
  await section.getByLabel('Start timeout').fill('900');
  await section.getByLabel('Running at once').fill('40');
  assert.match(await section.locator('summary').innerText(), /4 settings differ/);
  await screenshot(page, 's01-hub-form-lifetime');
  await form.getByRole('button', { name: 'Create hub' }).click();
  await page.waitForURL(/\/hubs\/\d+\?created=1$/);
  hubUrl = new URL(page.url()).pathname;
  await page.getByTestId('saved').waitFor();
  await hydrated(page);
  // The edit form opens the section, as the hub sets some of it.
  const edit = page.getByTestId('edit-hub-form').getByTestId('lifetime-section');
  assert.equal(await edit.getAttribute('open'), '');
  assert.equal(await edit.getByLabel('Idle timeout').inputValue(), '7200');
  await screenshot(page, 's02-hub-with-lifetime');
  await page.close();
});

test('a GPU profile with a toleration: bad values refused with the fix, then saved', async () => {
  const page = watch(await context.newPage(), 'gpu-profile');
  await open(page, `${hubUrl}/profiles/new`);
  await page.getByRole('heading', { name: 'New environment profile' }).waitFor();
  const form = page.getByTestId('profile-form');
  await form.getByLabel('Display name').fill('GPU');
  await form.getByLabel('Image', { exact: true }).fill('quay.io/jupyter/pytorch-notebook');
  await form.getByLabel('Tag', { exact: true }).fill('cuda12-2024-05-01');
  await form.getByLabel('Memory limit').fill('16G');
  await form.getByLabel('Size', { exact: true }).fill('10Gi');
  const section = form.getByTestId('scheduling-section');
  // Empty lists say what they are and how to add a row.
  assert.match(await section.getByTestId('no-resources').innerText(), /No GPUs or other resources: .*Add a resource/);
  assert.match(await section.getByTestId('no-tolerations').innerText(), /No tolerations: .*Add one/);
  assert.match(await section.getByTestId('no-affinity').innerText(), /No required rules: .*Add a rule/);
  assert.match(await section.getByTestId('no-preferred').innerText(), /No preferences: .*Add one/);
  assert.match(await form.getByTestId('no-options').innerText(), /No choices: .*Add an option/);
  await section.getByTestId('add-resource').click();
  assert.equal(await section.getByTestId('no-resources').count(), 0);
  const resource = section.getByTestId('extra_resources-row').first();
  await resource.getByLabel('Resource', { exact: true }).fill('gpu');
  await resource.getByText('has no domain').waitFor();
  await resource.getByLabel('Resource', { exact: true }).fill('nvidia.com/gpu');
  await resource.getByLabel('Limit').fill('0.5');
  await resource.getByText('whole units').waitFor();
  await resource.getByLabel('Limit').fill('1');
  await section.getByTestId('add-toleration').click();
  const toleration = section.getByTestId('tolerations-row').first();
  await toleration.getByLabel('Taint key').fill('nvidia.com/gpu');
  // Seconds belong to NoExecute tolerations only.
  assert.ok(await toleration.getByLabel('Seconds').isDisabled());
  await toleration.getByLabel('Effect').selectOption('NoExecute');
  await toleration.getByLabel('Seconds').fill('soon');
  await toleration.getByText('not a whole number of seconds').waitFor();
  await toleration.getByLabel('Effect').selectOption('NoSchedule');
  assert.ok(await toleration.getByLabel('Seconds').isDisabled());
  assert.equal(await toleration.getByLabel('Seconds').inputValue(), '');
  await toleration.getByLabel('Operator').selectOption('Exists');
  assert.ok(await toleration.getByLabel('Value').isDisabled());
  await section.getByTestId('add-affinity').click();
  const rule = section.getByTestId('node_affinity-row').first();
  await rule.getByLabel('Node label key').fill('nvidia.com/gpu.product');
  await rule.getByLabel('Values').fill('NVIDIA-A100-SXM4-80GB, NVIDIA-H100-80GB-HBM3');
  assert.equal(await section.locator('.field-error:not(:empty)').count(), 0);
  // Two image choices: the first row comes with the option and is the default.
  const choices = form.getByTestId('choices-section');
  await choices.getByTestId('add-option').click();
  const option = choices.getByTestId('option-row').first();
  await option.locator('.row-fields-option').getByLabel('Key').fill('image');
  await option.locator('.row-fields-option').getByLabel('Shown as').fill('Image');
  const first = option.getByTestId('choice-row').nth(0);
  assert.ok(await first.getByLabel('Default').isChecked());
  await first.getByLabel('Key').fill('pytorch');
  await first.getByLabel('Shown as').fill('PyTorch');
  await first.getByLabel('Image').fill('quay.io/jupyter/pytorch-notebook');
  await first.getByText('has no tag').waitFor();
  await first.getByLabel('Image').fill('quay.io/jupyter/pytorch-notebook:cuda12-2024-05-01');
  await option.getByTestId('add-choice').click();
  const second = option.getByTestId('choice-row').nth(1);
  assert.ok(!(await second.getByLabel('Default').isChecked()));
  await second.getByLabel('Key').fill('Tensor Flow');
  await second.getByText('Write "tensor-flow"').waitFor();
  await second.getByLabel('Key').fill('tensorflow');
  await second.getByLabel('Shown as').fill('TensorFlow');
  await second.getByLabel('Image').fill('quay.io/jupyter/tensorflow-notebook:cuda-2024-05-01');
  // Ticking the second default unticks the first: one default per option.
  await second.getByLabel('Default').check();
  assert.ok(!(await first.getByLabel('Default').isChecked()));
  await first.getByLabel('Default').check();
  assert.ok(!(await second.getByLabel('Default').isChecked()));
  // A free-form value: its pattern is checked in the browser too.
  await option.getByLabel('Also accept a value typed by the user').check();
  await option.getByLabel('Label of the input').fill('Other image');
  await option.getByLabel('Image ({value} = what is typed)').fill('quay.io/jupyter/{value}');
  await option.getByLabel('Pattern').fill('pytorch-notebook:.+');
  await option.getByText('Start the pattern with ^ and end it with $').waitFor();
  await option.getByLabel('Pattern').fill('^pytorch-notebook:[a-z0-9.-]+$');
  await option.getByLabel('Message when it does not match').fill('pytorch-notebook:<tag>');
  assert.equal(await choices.locator('.field-error:not(:empty)').count(), 0);
  await option.screenshot({ path: 'end2end/screenshots/s03b-profile-choices.png' });
  await screenshot(page, 's03-profile-form-gpu');
  await form.getByRole('button', { name: 'Create profile' }).click();
  await page.waitForURL(/\/profiles\/\d+\?created=1$/);
  await page.getByTestId('saved').waitFor();
  await hydrated(page);
  assert.equal(await page.getByTestId('tolerations-row').count(), 1);
  assert.equal(await page.getByTestId('tolerations-row').getByLabel('Operator').inputValue(), 'Exists');
  assert.equal(await page.getByTestId('extra_resources-row').getByLabel('Limit').inputValue(), '1');
  assert.equal(await page.getByTestId('choice-row').count(), 2);
  assert.equal(await page.getByTestId('choice-row').nth(1).getByLabel('Key').inputValue(), 'tensorflow');
  assert.ok(await page.getByTestId('choice-row').nth(0).getByLabel('Default').isChecked());
  await screenshot(page, 's04-gpu-profile-saved');
  await page.close();
});

test('the values carry the GPU limit, the toleration and the culling settings', async () => {
  const page = watch(await context.newPage(), 'values');
  await open(page, `${hubUrl}/values`);
  await page.getByTestId('values-yaml').waitFor();
  await page.getByTestId('values-valid').waitFor();
  const yaml = await page.getByTestId('values-yaml').innerText();
  for (const expected of [
    'nvidia.com/gpu: "1"',
    'extraTolerations:',
    'operator: Exists',
    'effect: NoSchedule',
    'nvidia.com/gpu.product',
    'NVIDIA-H100-80GB-HBM3',
    'timeout: 7200',
    'startTimeout: 900',
    'activeServerLimit: 40',
    'profile_options:',
    'display_name: TensorFlow',
    'image: quay.io/jupyter/tensorflow-notebook:cuda-2024-05-01',
    'validation_regex: ^pytorch-notebook:[a-z0-9.-]+$',
    'validation_message: pytorch-notebook:&lt;tag&gt;',
  ]) {
    assert.ok(yaml.includes(expected), `${expected} missing from the values:\n${yaml}`);
  }
  await screenshot(page, 's05-gpu-values');
  await page.close();
});

test('a user sees the GPU on the card, and that no node of the cluster offers one', async () => {
  const userContext = await browser.newContext({ viewport: { width: 1366, height: 900 } });
  const page = watch(await userContext.newPage(), 'me');
  await signIn(page, USER_NAME, USER_PASSWORD);
  await page.getByRole('heading', { name: 'My environment' }).first().waitFor();
  const card = page.locator('article[data-profile="GPU"]');
  await card.waitFor();
  assert.equal(await card.getByTestId('devices').innerText(), '1 nvidia.com/gpu');
  assert.equal(await card.getByTestId('fit').innerText(), 'Never fits');
  assert.match(await card.innerText(), /no node of the cluster offers nvidia\.com\/gpu/);
  const image = card.locator('[data-testid="card-option"][data-option="Image"]');
  const listed = await image.getByTestId('card-choice').allInnerTexts();
  assert.equal(listed.length, 2);
  assert.match(listed[0], /PyTorch\s+default\s+quay\.io\/jupyter\/pytorch-notebook:cuda12-2024-05-01/);
  assert.match(listed[1], /TensorFlow\s+quay\.io\/jupyter\/tensorflow-notebook:cuda-2024-05-01/);
  assert.equal(await image.getByTestId('free-form').innerText(), 'or type your own (Other image)');
  await card.screenshot({ path: 'end2end/screenshots/s06-gpu-card.png' });
  await userContext.close();
});

test('no browser errors', () => {
  assert.deepEqual(problems, []);
});
