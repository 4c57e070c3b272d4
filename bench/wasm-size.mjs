// Records the size of the browser bundle in BENCHMARKS.md: every file sitebuild wrote (raw,
// gzip level 9 and brotli as served, from pkg/site.json), and what a browser fetches to show and
// hydrate the login page and the dashboard.
//
// Usage: node bench/wasm-size.mjs [SITE_ROOT]   (default target/site)
// Build first: `cargo run -p sitebuild -- --release` (or `--site-root DIR`).
import { readFileSync, existsSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { updateSection, machine } from './report.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const siteRoot = resolve(root, process.argv[2] ?? 'target/site');
const manifestPath = join(siteRoot, 'pkg/site.json');
if (!existsSync(manifestPath)) throw new Error(`no ${manifestPath}: run cargo run -p sitebuild -- --release first`);
const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
const kib = (b) => `${(b / 1024).toFixed(1)} KiB`;
const sum = (files, key) => files.reduce((n, f) => n + f[key], 0);
const files = manifest.files;
for (const f of files) console.log(`${f.file}: ${f.bytes} raw, ${f.gzip} gzip, ${f.brotli} brotli`);
// Without code splitting every page loads the whole bundle: the JS glue, the wasm module, the CSS.
const firstPage = files;
updateSection('wasm-size', [
  '## Browser bundle size',
  '',
  `Measured by \`node bench/wasm-size.mjs\` on ${machine()}; built by \`cargo run -p sitebuild${manifest.profile === 'wasm-release' ? ' -- --release' : ''}\` (profile \`${manifest.profile}\`${manifest.profile === 'wasm-release' ? ': opt-level z, LTO, wasm-opt -Oz' : ''}). gzip level 9; brotli is the precompressed file the server sends to browsers that accept it.`,
  '',
  '| file | raw | gzip | brotli (sent) |',
  '|---|---|---|---|',
  ...files.map((f) => `| ${f.file.replace(/\.[0-9a-f]{16}/, '.<hash>')} | ${kib(f.bytes)} | ${kib(f.gzip)} | ${kib(f.brotli)} |`),
  `| **total of all files** | ${kib(sum(files, 'bytes'))} | ${kib(sum(files, 'gzip'))} | ${kib(sum(files, 'brotli'))} |`,
  `| **fetched to show and hydrate the login page or the dashboard** | ${kib(sum(firstPage, 'bytes'))} | ${kib(sum(firstPage, 'gzip'))} | ${kib(sum(firstPage, 'brotli'))} |`,
]);
