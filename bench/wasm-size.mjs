// Records the size of the browser bundle in BENCHMARKS.md: every file sitebuild wrote (raw,
// gzip level 9 and brotli as served, from pkg/site.json), and what a real browser (Chromium)
// fetches to show and hydrate the login page and the dashboard, and then to open a lazily
// loaded page (the audit page) from the dashboard.
//
// Usage: node bench/wasm-size.mjs [SITE_ROOT]   (default target/site-release)
// Build first: `cargo run -p sitebuild -- --release --site-root target/site-release` and the
// server (`cargo build -p server --bin hubfleet`).
import { spawnSync } from 'node:child_process';
import { readFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { updateSection, machine } from './report.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const siteRoot = resolve(root, process.argv[2] ?? 'target/site-release');
const manifestPath = join(siteRoot, 'pkg/site.json');
if (!existsSync(manifestPath)) throw new Error(`no ${manifestPath}: run cargo run -p sitebuild -- --release --site-root ${siteRoot} first`);
const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
const bySize = new Map(manifest.files.map((f) => [`/${manifest.pkg_dir}/${f.file}`, f]));

const scratch = mkdtempSync(join(tmpdir(), 'hubfleet-wasm-size-'));
const out = join(scratch, 'fetched.json');
const run = spawnSync(process.execPath, [join(root, 'end2end/run.mjs'), join(root, 'bench/fetched.mjs')], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, HUBFLEET_SITE_ROOT: siteRoot, FETCHED_OUT: out },
});
if (run.status !== 0) throw new Error('the browser run failed');
const steps = JSON.parse(readFileSync(out, 'utf8'));
rmSync(scratch, { recursive: true, force: true });

const kib = (b) => `${(b / 1024).toFixed(1)} KiB`;
const sum = (files, key) => files.reduce((n, f) => n + f[key], 0);
const filesOf = (paths) => [...new Set(paths)].map((p) => {
  const f = bySize.get(p);
  if (!f) throw new Error(`the browser fetched ${p}, which site.json does not list`);
  return f;
});
const all = manifest.files.filter((f) => !f.file.endsWith('.json'));
const login = filesOf(steps.login);
const dashboard = filesOf(steps.dashboard);
const audit = filesOf(steps.auditAfterDashboard);
const row = (label, files) => `| ${label} | ${files.length} | ${kib(sum(files, 'bytes'))} | ${kib(sum(files, 'gzip'))} | ${kib(sum(files, 'brotli'))} |`;
const wasm = all.filter((f) => f.file.endsWith('.wasm'));
const pages = wasm.filter((f) => f.file.startsWith('split_'));
const chunks = wasm.filter((f) => f.file.startsWith('chunk_'));
for (const [name, files] of Object.entries({ login, dashboard, audit })) {
  console.log(`${name}: ${files.map((f) => f.file).join(', ')}`);
}
const pageName = (f) => f.file.replace(/^split___/, '').replace(/_view_\d+\.wasm$/, '');
updateSection('wasm-size', [
  '## Browser bundle size',
  '',
  `Measured by \`node bench/wasm-size.mjs\` on ${machine()}; built by \`cargo run -p sitebuild${manifest.profile === 'wasm-release' ? ' -- --release' : ''}\` (profile \`${manifest.profile}\`${manifest.profile === 'wasm-release' ? ': opt-level z, LTO, wasm-opt -Oz' : ''}). Every page except the login page and the dashboard is a lazy route: wasm-split cuts it into its own module (plus chunks shared between pages), fetched when the page is first shown. "Fetched" rows list what Chromium requested under \`/pkg/\` (recorded by \`bench/fetched.mjs\`, empty cache). gzip level 9; brotli is the precompressed file the server sends to browsers that accept it.`,
  '',
  '| what | files | raw | gzip | brotli (sent) |',
  '|---|---|---|---|---|',
  row('**fetched to show and hydrate the login page**', login),
  row('**fetched to show and hydrate the dashboard** (full load, signed in)', dashboard),
  row('then opening the audit page from the dashboard (its modules)', audit),
  row('main module `hubfleet.wasm`', all.filter((f) => f.file === 'hubfleet.wasm')),
  row('JS glue, split loader, CSS', all.filter((f) => !f.file.endsWith('.wasm'))),
  row(`page modules (${pages.length})`, pages),
  row(`shared chunks (${chunks.length})`, chunks),
  row('**total of all files**', all),
  '',
  'Per page (its own module; the shared chunks it needs come on top):',
  '',
  '| page module | raw | gzip | brotli |',
  '|---|---|---|---|',
  ...pages.sort((a, b) => b.bytes - a.bytes).map((f) => `| ${pageName(f)} | ${kib(f.bytes)} | ${kib(f.gzip)} | ${kib(f.brotli)} |`),
]);
