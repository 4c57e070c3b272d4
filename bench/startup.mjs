// Measures Hubfleet's cold start: from spawning the binary on an empty SQLite database (fresh
// data directory: migrations, session table, first admin, example seed) until /readyz answers
// 200. Prints the figures and updates the "Cold start" section of BENCHMARKS.md.
//   node bench/startup.mjs [runs]      (binary: HUBFLEET_BIN, else target/release, else target/debug)
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { updateSection, machine } from './report.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const runs = Number(process.argv[2] ?? 10);
const bin = process.env.HUBFLEET_BIN
  ?? [join(root, 'target/release/hubfleet'), join(root, 'target/debug/hubfleet')].find(existsSync);
if (!bin) throw new Error('build hubfleet first (cargo build -p server --bin hubfleet)');

const freePort = () => new Promise((ok) => {
  const s = createServer();
  s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => ok(port)); });
});

async function once() {
  const dir = mkdtempSync(join(tmpdir(), 'hubfleet-bench-'));
  const port = await freePort();
  const t0 = process.hrtime.bigint();
  const child = spawn(bin, ['serve'], {
    env: { ...process.env, HUBFLEET_DATA_DIR: dir, HUBFLEET_LISTEN: `127.0.0.1:${port}`, HUBFLEET_LOG: 'warn', HUBFLEET_CLUSTER: 'demo' },
    stdio: 'ignore',
  });
  let ms = null;
  for (let i = 0; i < 6000 && ms === null; i++) {
    try {
      const r = await fetch(`http://127.0.0.1:${port}/readyz`);
      if (r.ok) ms = Number(process.hrtime.bigint() - t0) / 1e6;
    } catch { await new Promise((r) => setTimeout(r, 2)); }
  }
  child.kill('SIGTERM');
  await new Promise((r) => child.on('exit', r));
  rmSync(dir, { recursive: true, force: true });
  if (ms === null) throw new Error('not ready within the polling budget');
  return ms;
}

const times = [];
for (let i = 0; i < runs; i++) times.push(await once());
times.sort((a, b) => a - b);
const fmt = (x) => `${x.toFixed(0)} ms`;
const median = times[Math.floor(times.length / 2)];
const profile = bin.includes('/release/') ? 'release' : 'debug';
console.log(`cold start (${profile} build, ${runs} runs): min ${fmt(times[0])}, median ${fmt(median)}, max ${fmt(times.at(-1))}`);
updateSection('cold-start', [
  '## Cold start (empty database → /readyz 200)',
  '',
  `Measured by \`node bench/startup.mjs ${runs}\` on ${machine()}, ${profile} build of \`hubfleet serve\`,`,
  'a fresh data directory each run (migrations, session table, first administrator with an',
  'Argon2id hash, first-run example, connecting to the simulated cluster: discovery, permission',
  'checks, watch stores started), timed from process spawn to the first 200 from /readyz.',
  '',
  '| runs | min | median | max |',
  '|---|---|---|---|',
  `| ${runs} | ${fmt(times[0])} | ${fmt(median)} | ${fmt(times.at(-1))} |`,
]);
