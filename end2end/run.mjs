// Starts the real hubfleet binary on a fresh temporary database, waits until it is ready,
// runs the browser tests with node's test runner, then stops the server.
//
// Usage: node end2end/run.mjs   (from the repository root, after `cargo leptos build`)
// Environment: HUBFLEET_BIN (default target/debug/hubfleet), HUBFLEET_SITE_ROOT (target/site).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { changePassword, launch, signIn } from './tests/browser.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..');
const bin = process.env.HUBFLEET_BIN ?? join(root, 'target/debug/hubfleet');
const siteRoot = process.env.HUBFLEET_SITE_ROOT ?? join(root, 'target/site');

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

async function waitReady(url, server, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (server.exitCode !== null) throw new Error(`hubfleet exited early with code ${server.exitCode}`);
    try {
      const r = await fetch(`${url}/readyz`);
      if (r.ok) return;
    } catch { /* not listening yet */ }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`hubfleet was not ready within ${timeoutMs} ms`);
}

const dataDir = mkdtempSync(join(tmpdir(), 'hubfleet-e2e-'));
const port = await freePort();
const baseUrl = `http://127.0.0.1:${port}`;
const startedAt = Date.now();
const env = { ...process.env };
delete env.HUBFLEET_DATABASE_URL; // always the fresh database in dataDir
const server = spawn(bin, ['serve'], {
  cwd: root,
  env: {
    ...env,
    HUBFLEET_DATA_DIR: dataDir,
    HUBFLEET_LISTEN: `127.0.0.1:${port}`,
    HUBFLEET_SITE_ROOT: siteRoot,
    HUBFLEET_CLUSTER: 'demo',
    // Start empty: the tests create what they need through the forms.
    HUBFLEET_SEED_EXAMPLE: process.env.HUBFLEET_SEED_EXAMPLE ?? 'false',
    HUBFLEET_LOG: 'info,tower_http=warn',
  },
  stdio: ['ignore', 'pipe', 'pipe'],
});

let admin = null;
const log = [];
function onOutput(chunk) {
  const text = chunk.toString();
  log.push(text);
  // Matched against everything so far: the line may arrive in more than one chunk.
  if (!admin) {
    const m = log.join('').match(/created administrator "([^"]+)" with password: (\S+)\n/);
    if (m) admin = { user: m[1], password: m[2] };
  }
}
server.stdout.on('data', onOutput);
server.stderr.on('data', onOutput);

let code = 1;
try {
  await waitReady(baseUrl, server, 120_000);
  console.log(`hubfleet ready on ${baseUrl} after ${Date.now() - startedAt} ms`);
  if (!admin) throw new Error('the bootstrap administrator password was not printed on first run');
  // The printed password is one-time: the first sign-in leads to the password page, where
  // the administrator chooses the password the tests use.
  const chosen = `${admin.password}-e2e-own`;
  const browser = await launch();
  try {
    const page = await browser.newPage();
    await signIn(page, admin.user, admin.password, { baseUrl, lands: '/account/password' });
    await changePassword(page, admin.password, chosen, { oneTime: true });
  } finally {
    await browser.close();
  }
  admin.password = chosen;
  const files = process.argv.slice(2);
  const tests = spawn(
    process.execPath,
    ['--test', '--test-concurrency=1', '--test-reporter=spec', ...(files.length ? files : [join(here, 'tests')])],
    {
      cwd: root,
      stdio: 'inherit',
      env: { ...process.env, BASE_URL: baseUrl, ADMIN_USER: admin.user, ADMIN_PASSWORD: admin.password },
    },
  );
  code = await new Promise((ok) => tests.on('exit', (c) => ok(c ?? 1)));
} catch (e) {
  console.error(`end-to-end setup failed: ${e.message}`);
  console.error(log.join(''));
} finally {
  server.kill('SIGTERM');
  await new Promise((ok) => {
    if (server.exitCode !== null) return ok();
    const t = setTimeout(() => { server.kill('SIGKILL'); ok(); }, 10_000);
    server.on('exit', () => { clearTimeout(t); ok(); });
  });
  rmSync(dataDir, { recursive: true, force: true });
}
if (code !== 0) {
  console.error('--- server log ---');
  console.error(log.join('').split('\n').slice(-60).join('\n'));
}
process.exit(code);
