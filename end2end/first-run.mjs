// The README's first command, as a newcomer meets it: runs `./run.sh` (setup, the same build,
// then `hubfleet serve`) on a free port with a fresh data directory, waits for /readyz, signs in
// in Chromium with the one-time bootstrap password the log prints (also in the data
// directory's `initial-admin-password`, owner-only), chooses a new password on the page that
// opens (the file is then removed), checks the dashboard hydrated from the hashed,
// precompressed bundle, then stops the portal. Exits non-zero on any failure.
//
// Usage: node end2end/first-run.mjs [-- extra run.sh arguments, e.g. --release]
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { changePassword, launch, hydrated } from './tests/browser.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const runArgs = process.argv.slice(2).filter((a) => a !== '--');

function freePort() {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });
}

function fail(message) {
  throw new Error(message);
}

const dataDir = mkdtempSync(join(tmpdir(), 'hubfleet-first-run-'));
const port = await freePort();
const baseUrl = `http://127.0.0.1:${port}`;
const env = { ...process.env, HUBFLEET_DATA_DIR: dataDir, HUBFLEET_LISTEN: `127.0.0.1:${port}` };
delete env.HUBFLEET_DATABASE_URL;
delete env.HUBFLEET_SITE_ROOT;
delete env.HUBFLEET_SEED_EXAMPLE;
// Its own process group, so stopping it also stops the portal that run.sh execs.
const portal = spawn(join(root, 'run.sh'), runArgs, {
  cwd: root,
  env,
  detached: true,
  stdio: ['ignore', 'pipe', 'pipe'],
});
const log = [];
let admin = null;
const onOutput = (chunk) => {
  const text = chunk.toString();
  log.push(text);
  // Matched against everything so far: the line may arrive in more than one chunk.
  if (!admin) {
    const m = log.join('').match(/created administrator "([^"]+)" with password: (\S+)\n/);
    if (m) admin = { user: m[1], password: m[2] };
  }
};
portal.stdout.on('data', onOutput);
portal.stderr.on('data', onOutput);
const exited = new Promise((ok) => portal.on('exit', (code) => ok(code)));

let code = 1;
const started = Date.now();
try {
  // run.sh may have to build first; it is ready when /readyz answers 200.
  for (;;) {
    if (portal.exitCode !== null) fail(`./run.sh exited with code ${portal.exitCode} before the portal was ready`);
    if (Date.now() - started > 45 * 60_000) fail('the portal did not become ready within 45 minutes');
    const ready = await fetch(`${baseUrl}/readyz`).then((r) => r.ok, () => false);
    if (ready) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  console.log(`first run: /readyz answered after ${((Date.now() - started) / 1000).toFixed(1)} s`);
  if (!admin) fail('the bootstrap administrator password was not printed on first run');
  const saved = join(dataDir, 'initial-admin-password');
  if (!existsSync(saved)) fail(`${saved} was not written`);
  if ((statSync(saved).mode & 0o777) !== 0o600) fail(`${saved} is not owner-only: ${(statSync(saved).mode & 0o777).toString(8)}`);
  if (readFileSync(saved, 'utf8').trim() !== admin.password) fail(`${saved} does not hold the printed password`);

  const browser = await launch();
  try {
    const page = await browser.newPage();
    const bundle = [];
    page.on('response', (r) => {
      if (new URL(r.url()).pathname.startsWith('/pkg/')) bundle.push(r);
    });
    await page.goto(`${baseUrl}/`);
    await page.waitForURL((u) => u.pathname.startsWith('/login'));
    await hydrated(page);
    await page.getByLabel('Username').fill(admin.user);
    await page.getByLabel('Password').fill(admin.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    // The password is one-time: the first sign-in leads to the password page only.
    await changePassword(page, admin.password, `${admin.password}-first-run`, { oneTime: true });
    if (existsSync(saved)) fail(`${saved} is still there after the password change`);
    await hydrated(page);
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    const wasm = bundle.find((r) => r.url().endsWith('.wasm'));
    if (!wasm) fail('the page loaded no wasm bundle');
    const headers = await wasm.allHeaders();
    if (!/^\/pkg\/[0-9a-f]{16}\/hubfleet\.wasm$/.test(new URL(wasm.url()).pathname)) {
      fail(`the wasm file is not in a content-hashed directory: ${wasm.url()}`);
    }
    if (!(headers['cache-control'] ?? '').includes('immutable')) fail(`wasm cache-control: ${headers['cache-control']}`);
    if (!['br', 'gzip'].includes(headers['content-encoding'])) fail(`wasm content-encoding: ${headers['content-encoding']}`);
    console.log(`first run: signed in as ${admin.user}, chose a new password (${saved} removed); dashboard hydrated from ${new URL(wasm.url()).pathname} (${headers['content-encoding']})`);
  } finally {
    await browser.close();
  }
  code = 0;
} catch (e) {
  console.error(`first run failed: ${e.message}`);
  console.error(log.join('').split('\n').slice(-80).join('\n'));
} finally {
  try {
    process.kill(-portal.pid, 'SIGTERM');
  } catch { /* already gone */ }
  const t = setTimeout(() => {
    try { process.kill(-portal.pid, 'SIGKILL'); } catch { /* gone */ }
  }, 10_000);
  await exited;
  clearTimeout(t);
  rmSync(dataDir, { recursive: true, force: true });
}
process.exit(code);
