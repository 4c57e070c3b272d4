// Records the size of the browser bundle (raw and gzip) in BENCHMARKS.md.
// Run after `cargo leptos build --release` (or --frontend-only) so target/site holds the
// release bundle; the script says which profile it measured from the file size it sees.
import { readFileSync, existsSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { updateSection, machine } from './report.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = join(root, 'target/site/pkg');
const files = ['hubfleet.wasm', 'hubfleet.js', 'hubfleet.css'].filter((f) => existsSync(join(pkg, f)));
if (!files.length) throw new Error('no bundle in target/site/pkg: run cargo leptos build --release first');
const label = process.argv[2] ?? 'release (`cargo leptos build --release`: wasm-release profile, opt-level z, LTO, wasm-opt)';
const rows = files.map((f) => {
  const bytes = readFileSync(join(pkg, f));
  const gz = gzipSync(bytes, { level: 9 }).length;
  console.log(`${f}: ${bytes.length} bytes raw, ${gz} bytes gzip`);
  return `| ${f} | ${(bytes.length / 1024).toFixed(1)} KiB | ${(gz / 1024).toFixed(1)} KiB |`;
});
updateSection('wasm-size', [
  '## Browser bundle size',
  '',
  `Measured by \`node bench/wasm-size.mjs\` on ${machine()}; build: ${label}. gzip level 9.`,
  '',
  '| file | raw | gzip |',
  '|---|---|---|',
  ...rows,
]);
