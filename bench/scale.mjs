// The scale benchmark of issue 11: 10,000 users (pods + PVCs) in the simulated cluster,
// served in its own process (so the portal's RSS is its own), the portal's JSON API and
// server-rendered Servers page under load, and JupyterHub 5.5.0 (PyPI, SQLite) with 10,000
// users serving `GET /hub/api/users?limit=200` the same way. Load: wrk (Debian), 2 threads,
// 32 connections, 10 s per case, after a 2 s warm-up. Writes the "scale" section of
// BENCHMARKS.md.
//
// Usage (from the repository root):
//   scripts/setup.sh --test --bench                    # wrk, the Python env with JupyterHub
//   cargo build --release --locked -p server -p simcluster
//   node bench/scale.mjs [--users 10000] [--seconds 10] [--portal-only]
// --portal-only measures the portal alone and prints its figures without writing BENCHMARKS.md.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { machine, updateSection } from './report.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const USERS = Number(arg('users', '10000'));
const SECONDS = Number(arg('seconds', '10'));
const release = arg('bin-dir', join(root, 'target/release'));
const work = mkdtempSync(join(tmpdir(), 'hubfleet-scale-'));
const children = [];
process.on('exit', () => { for (const c of children) { try { c.kill('SIGKILL'); } catch { /* gone */ } } rmSync(work, { recursive: true, force: true }); });

function freePort() {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => ok(port)); });
  });
}

function start(cmd, args, opts = {}) {
  const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], ...opts });
  children.push(child);
  let out = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { out += d; });
  child.output = () => out;
  return child;
}

async function until(what, check, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try { if (await check()) return; } catch { /* not yet */ }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

function rssMiB(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = Number(/VmRSS:\s+(\d+) kB/.exec(status)[1]);
  return kib / 1024;
}

/// wrk's figures for one URL: requests/s, p50 and p99 in ms.
function load(url, headers) {
  const args = ['-t2', '-c32', `-d${SECONDS}s`, '--timeout', '10s', '--latency', ...headers.flatMap((h) => ['-H', h]), url];
  spawnSync('wrk', ['-t2', '-c32', '-d2s', ...headers.flatMap((h) => ['-H', h]), url]);
  const r = spawnSync('wrk', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`wrk failed: ${r.stderr}`);
  const ms = (label) => {
    const m = new RegExp(`\\s${label}%\\s+([\\d.]+)(us|ms|s)`).exec(r.stdout);
    const v = Number(m[1]);
    return m[2] === 'us' ? v / 1000 : m[2] === 's' ? v * 1000 : v;
  };
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(r.stdout)[1]);
  const errors = /Non-2xx or 3xx responses: (\d+)/.exec(r.stdout);
  if (errors) throw new Error(`${url}: ${errors[1]} error responses\n${r.stdout}`);
  return { rps, p50: ms('50'), p99: ms('99'), raw: r.stdout };
}

function fmt(n, digits = 1) { return n.toFixed(digits); }

// ---- the portal -----------------------------------------------------------------------
const kubeconfig = join(work, 'kubeconfig.yaml');
const sim = start(join(release, 'simcluster'), ['serve', '--listen', '127.0.0.1:0', '--kubeconfig', kubeconfig, '--users', String(USERS)]);
await until('the simulated cluster', () => sim.output().includes('kubeconfig'), 120_000);

const data = join(work, 'data');
const password = 'a long benchmark password';
const env = { ...process.env, HUBFLEET_DATA_DIR: data, KUBECONFIG: kubeconfig, HUBFLEET_LOG: 'warn' };
delete env.HUBFLEET_DATABASE_URL;
spawnSync(join(release, 'hubfleet'), ['admin', 'create', '--username', 'bench'], { input: `${password}\n`, env });
const port = await freePort();
const base = `http://127.0.0.1:${port}`;
const portal = start(join(release, 'hubfleet'), ['serve', '--cluster', 'kubeconfig', '--listen', `127.0.0.1:${port}`, '--seed-example=false'], { env, cwd: root });
await until('the portal', async () => (await fetch(`${base}/readyz`)).ok, 120_000);

// Sign in through the login form's server function.
const loginPage = await (await fetch(`${base}/login`)).text();
const loginPath = /action="(\/api\/login[^"]*)"/.exec(loginPage)[1];
const signIn = await fetch(`${base}${loginPath}`, {
  method: 'POST',
  redirect: 'manual',
  headers: { 'content-type': 'application/x-www-form-urlencoded', origin: base, 'sec-fetch-site': 'same-origin' },
  body: `username=bench&password=${encodeURIComponent(password)}`,
});
const cookie = signIn.headers.get('set-cookie').split(';')[0];
const session = [`Cookie: ${cookie}`];

// Every user's pod and PVC in the stores first.
let rows = 0;
await until('the stores', async () => {
  const page = await (await fetch(`${base}/api/v1/servers?per_page=1`, { headers: { cookie } })).json();
  rows = page.all;
  return rows >= USERS;
}, 300_000);
const whole = await fetch(`${base}/api/v1/servers?all=true`, { headers: { cookie } });
const wholeBytes = (await whole.arrayBuffer()).byteLength;

const idleRss = rssMiB(portal.pid);
const apiPage = load(`${base}/api/v1/servers?per_page=200&page=7`, session);
const apiAll = load(`${base}/api/v1/servers?all=true`, session);
const ssrPage = load(`${base}/servers?page=7`, session);
const portalRss = rssMiB(portal.pid);
const simRss = rssMiB(sim.pid);

if (process.argv.includes('--portal-only')) {
  for (const [name, r] of [['page of 200', apiPage], ['all=true', apiAll], ['SSR page', ssrPage]]) {
    console.log(`${name}: ${fmt(r.rps, 0)} req/s, p50 ${fmt(r.p50, 2)} ms, p99 ${fmt(r.p99, 2)} ms`);
  }
  console.log(`rows ${rows}, whole list ${fmt(wholeBytes / 2 ** 20)} MiB; portal RSS ${fmt(idleRss)} MiB before the load, ${fmt(portalRss)} MiB after; simulator ${fmt(simRss)} MiB`);
  process.exit(0);
}

// ---- JupyterHub -------------------------------------------------------------------------
const hubPort = await freePort();
const token = 'benchmark-service-token-0123456789';
const hubDir = mkdtempSync(join(work, 'hub-'));
const hub = start(join(root, 'target/pyenv/bin/jupyterhub'), ['-f', join(root, 'end2end/python/jupyterhub_rest_config.py')], {
  cwd: hubDir,
  env: { ...process.env, HUB_PORT: String(hubPort), SPAWN_LOG: join(hubDir, 'spawn.log'), HUBFLEET_TEST_TOKEN: token },
});
const hubApi = `http://127.0.0.1:${hubPort}/hub/api`;
await until('JupyterHub', async () => (await fetch(`${hubApi}/`)).ok, 120_000);
for (let i = 0; i < USERS; i += 500) {
  const usernames = Array.from({ length: Math.min(500, USERS - i) }, (_, k) => `user${String(i + k).padStart(5, '0')}`);
  const r = await fetch(`${hubApi}/users`, { method: 'POST', headers: { authorization: `token ${token}` }, body: JSON.stringify({ usernames }) });
  if (!r.ok) throw new Error(`creating users: ${r.status} ${await r.text()}`);
}
const hubHeaders = [`Authorization: token ${token}`, 'Accept: application/jupyterhub-pagination+json'];
const hubPage = load(`${hubApi}/users?limit=200&offset=1200`, hubHeaders);
const hubRss = rssMiB(hub.pid);

const ratio = apiPage.rps / hubPage.rps;
const row = (name, r, goal) => `| ${name} | ${fmt(r.rps, 0)} | ${fmt(r.p50, 2)} | ${fmt(r.p99, 2)} | ${goal} |`;
const lines = [
  '## Scale: 10,000 users (issue 11)',
  '',
  `Measured by \`node bench/scale.mjs\` on ${machine()}, release builds (\`cargo build --release -p server -p simcluster\`).`,
  `${USERS} synthetic users in the simulated cluster (\`simcluster serve --users ${USERS}\`, its own process, reached through a kubeconfig): ${rows} rows (servers and stopped servers' home volumes) in the portal's watch stores. Load: \`wrk -t2 -c32 -d${SECONDS}s --latency\` on loopback after a 2 s warm-up, signed in as an administrator (session cookie). JupyterHub 5.5.0 from PyPI (SQLite, \`end2end/python/jupyterhub_rest_config.py\`, ${USERS} users created through its API) called on the hub's own port with a service token and \`Accept: application/jupyterhub-pagination+json\`.`,
  '',
  '| case | requests/s | p50 ms | p99 ms | goal |',
  '|---|---|---|---|---|',
  row('portal `GET /api/v1/servers?per_page=200` (one page)', apiPage, 'p99 ≤ 25 ms; ≥ 100× JupyterHub'),
  row(`portal \`GET /api/v1/servers?all=true\` (all ${rows} rows, ${fmt(wholeBytes / 2 ** 20)} MiB JSON)`, apiAll, 'whole list ≤ 100 ms'),
  row('portal `GET /servers?page=7` (server-rendered page, 50 rows)', ssrPage, 'p99 ≤ 50 ms'),
  row('JupyterHub `GET /hub/api/users?limit=200`', hubPage, '—'),
  '',
  `- Throughput ratio, portal page of 200 / JupyterHub page of 200: **${fmt(ratio)}×** (goal ≥ 100×).`,
  `- RSS after the load: portal **${fmt(portalRss)} MiB** (goal ≤ 100 MB) with ${rows} rows cached (${fmt(idleRss)} MiB before the load, stores filled); the simulated cluster ${fmt(simRss)} MiB (separate process); JupyterHub ${fmt(hubRss)} MiB.`,
];
updateSection('scale', lines);
console.log(lines.join('\n'));
process.exit(0);
