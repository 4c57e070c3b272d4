//! `sitebuild`: builds Hubfleet's browser bundle into the site root, the job cargo-leptos does
//! for `cargo leptos build --split`, without having to compile cargo-leptos and
//! wasm-bindgen-cli on every fresh machine.
//!
//! 1. `cargo build -p app --lib --target wasm32-unknown-unknown --features hydrate`
//!    (profile `wasm-dev`, or `wasm-release` with `--release`; `.cargo/config.toml` makes the
//!    linker keep relocations for the next step);
//! 2. wasm-split (the `wasm_split_cli_support` crate) cuts every lazy route (`ui::lazy_page`)
//!    out of the main module: one module per page, chunks shared between pages, a JS loader and
//!    `__wasm_split_manifest.json` (which modules a page needs, for Leptos' preload links);
//! 3. wasm-bindgen (the same library the CLI uses, pinned to the `wasm-bindgen` version in
//!    Cargo.lock) generates the JS glue of the main module for `--target web`;
//! 4. with `--release`, `wasm-opt -Oz` (npm package `binaryen`) shrinks every module;
//! 5. the stylesheet is copied, `public/` is copied to the site root;
//! 6. all of it goes into `pkg/<hash>/`, named after a hash of everything in it, so browsers
//!    may cache every file forever while the files keep the names they refer to each other by;
//!    `pkg/site.json` tells the server the directory (the wasm file has no `_bg` suffix, as with
//!    cargo-leptos: `.cargo/config.toml` sets `LEPTOS_OUTPUT_NAME`, which makes the hydration
//!    script ask for `<name>.wasm`);
//! 7. every file gets precompressed `.br` and `.gz` siblings the server sends to browsers that
//!    accept them.
//!
//! Usage: `cargo run -p sitebuild -- [--release] [--site-root target/site]`

use sha2::{Digest, Sha256};
use std::error::Error;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

type Result<T> = std::result::Result<T, Box<dyn Error>>;

/// The base name of the main bundle files: `LEPTOS_OUTPUT_NAME` from `.cargo/config.toml`, the
/// one place it is set (the hydration script and the server read the same variable).
const OUTPUT_NAME: &str = env!("LEPTOS_OUTPUT_NAME");
/// The stylesheet of the whole site.
const STYLE_FILE: &str = "style/main.css";
/// Static files copied to the site root as they are.
const ASSETS_DIR: &str = "public";
/// Sub-directory of the site root that holds the bundle.
const PKG_DIR: &str = "pkg";
/// The JS module wasm-split writes to load split-off modules, under the name Leptos'
/// `HydrationScripts` expects when file hashing is off (the directory carries the hash).
const SPLIT_LOADER: &str = "./__wasm_split.______________________.js";
/// Which modules each split point needs (read by `HydrationScripts` to preload a page's).
const SPLIT_MANIFEST: &str = "__wasm_split_manifest.json";

struct Options {
    release: bool,
    site_root: PathBuf,
}

fn main() {
    if let Err(e) = run() {
        eprintln!("sitebuild: error: {e}");
        std::process::exit(1);
    }
}

fn parse_args() -> Result<Options> {
    let mut options = Options {
        release: false,
        site_root: PathBuf::from("target/site"),
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--release" => options.release = true,
            "--site-root" => {
                options.site_root = args.next().ok_or("--site-root needs a directory")?.into();
            }
            "-h" | "--help" => {
                println!("usage: sitebuild [--release] [--site-root DIR]");
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument {other:?} (see --help)").into()),
        }
    }
    Ok(options)
}

fn run() -> Result<()> {
    let options = parse_args()?;
    let workspace = workspace_root()?;
    std::env::set_current_dir(&workspace)?;
    let profile = if options.release {
        "wasm-release"
    } else {
        "wasm-dev"
    };

    let wasm = build_wasm(&workspace, profile)?;
    let staging = options.site_root.join(".sitebuild");
    if staging.exists() {
        fs::remove_dir_all(&staging)?;
    }
    fs::create_dir_all(&staging)?;
    let main_wasm = split(&wasm, &staging)?;
    bindgen(&main_wasm, &staging, options.release)?;
    fs::remove_file(&main_wasm)?;
    fs::rename(
        staging.join(format!("{OUTPUT_NAME}_bg.wasm")),
        staging.join(format!("{OUTPUT_NAME}.wasm")),
    )?;
    if options.release {
        let modules: Vec<PathBuf> = list_files(&staging)?
            .into_iter()
            .filter(|f| f.extension().is_some_and(|e| e == "wasm"))
            .map(|f| staging.join(f))
            .collect();
        optimize_all(&modules)?;
    }
    fs::copy(STYLE_FILE, staging.join(format!("{OUTPUT_NAME}.css")))?;

    // The directory is named after the content of everything in it, so every file keeps the
    // name the JS glue and the split loader refer to and may still be cached forever.
    let built = list_files(&staging)?;
    let hash = content_hash(&staging, &built)?;
    let pkg = options.site_root.join(PKG_DIR);
    if pkg.exists() {
        fs::remove_dir_all(&pkg)?;
    }
    fs::create_dir_all(&pkg)?;
    let bundle = pkg.join(&hash);
    fs::rename(&staging, &bundle)?;

    copy_dir(Path::new(ASSETS_DIR), &options.site_root)?;

    let quality = if options.release { 11 } else { 5 };
    let mut files = Vec::new();
    for file in &built {
        let sizes = precompress(&bundle.join(file), quality)?;
        files.push(serde_json::json!({
            "file": file.to_string_lossy(),
            "bytes": sizes.0,
            "gzip": sizes.1,
            "brotli": sizes.2,
        }));
    }
    let prefetch: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(bundle.join(SPLIT_MANIFEST))?)?;
    let manifest = serde_json::json!({
        "pkg_dir": format!("{PKG_DIR}/{hash}"),
        "output_name": OUTPUT_NAME,
        "profile": profile,
        "files": files,
        "split_prefetch": prefetch,
    });
    fs::write(
        pkg.join("site.json"),
        serde_json::to_string_pretty(&manifest)? + "\n",
    )?;
    let total = |key: &str| {
        files
            .iter()
            .map(|f| f[key].as_u64().unwrap_or_default())
            .sum::<u64>()
    };
    println!(
        "sitebuild: wrote {} ({profile}): {} files, {} KiB (gzip {} KiB, brotli {} KiB)",
        bundle.display(),
        files.len(),
        kib(total("bytes")),
        kib(total("gzip")),
        kib(total("brotli")),
    );
    Ok(())
}

fn kib(bytes: u64) -> String {
    format!("{:.1}", bytes as f64 / 1024.0)
}

/// The root of the workspace cargo is working in (`cargo run -p sitebuild` from anywhere in the
/// checkout). Asked of cargo at run time: a path compiled into this binary would point at
/// whichever checkout built it last when several share one target directory.
fn workspace_root() -> Result<PathBuf> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let out = Command::new(cargo)
        .args(["locate-project", "--workspace", "--message-format", "plain"])
        .output()?;
    if !out.status.success() {
        return Err(format!(
            "cargo locate-project failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )
        .into());
    }
    let manifest = PathBuf::from(String::from_utf8(out.stdout)?.trim());
    Ok(manifest
        .parent()
        .map(Path::to_path_buf)
        .ok_or("cargo named no workspace manifest")?)
}

fn target_dir(workspace: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map(|p| {
            if p.is_absolute() {
                p
            } else {
                workspace.join(p)
            }
        })
        .unwrap_or_else(|| workspace.join("target"))
}

/// Compiles the app's browser build and returns the path of the raw wasm module.
fn build_wasm(workspace: &Path, profile: &str) -> Result<PathBuf> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        .args([
            "build",
            "-p",
            "app",
            "--lib",
            "--target",
            "wasm32-unknown-unknown",
            "--no-default-features",
            "--features",
            "hydrate",
            "--locked",
            "--profile",
            profile,
        ])
        .status()?;
    if !status.success() {
        return Err(format!("cargo build of the browser bundle failed ({status})").into());
    }
    let wasm = target_dir(workspace)
        .join("wasm32-unknown-unknown")
        .join(profile)
        .join("app.wasm");
    if !wasm.is_file() {
        return Err(format!("{} was not produced", wasm.display()).into());
    }
    Ok(wasm)
}

/// Generates the JS glue and the final wasm module (`--target web`, no TypeScript).
fn bindgen(wasm: &Path, out_dir: &Path, release: bool) -> Result<()> {
    let mut bindgen = wasm_bindgen_cli_support::Bindgen::new();
    bindgen
        .input_path(wasm)
        .out_name(OUTPUT_NAME)
        .web(true)?
        .typescript(false)
        .debug(!release)
        .keep_debug(false)
        .remove_name_section(release)
        .remove_producers_section(true)
        // The split-off modules call into the main one through the linker's exports, by their
        // mangled names.
        .keep_lld_exports(true)
        .demangle(false);
    bindgen
        .generate(out_dir)
        .map_err(|e| format!("wasm-bindgen: {e:#}"))?;
    Ok(())
}

/// Modules smaller than this are left as wasm-split wrote them: more than half of the split
/// chunks are a few hundred bytes that `wasm-opt` cannot shrink, and starting it (binaryen
/// compiled to wasm, run by Node) takes about two seconds per module.
const WASM_OPT_MIN_BYTES: u64 = 1024;

/// Runs `wasm-opt` on every module worth it, on as many threads as there are cores.
fn optimize_all(modules: &[PathBuf]) -> Result<()> {
    let worth: Vec<&PathBuf> = modules
        .iter()
        .filter(|m| {
            fs::metadata(m)
                .map(|md| md.len() >= WASM_OPT_MIN_BYTES)
                .unwrap_or(true)
        })
        .collect();
    let next = std::sync::atomic::AtomicUsize::new(0);
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    let failures: Vec<String> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads.min(worth.len()).max(1))
            .map(|_| {
                scope.spawn(|| {
                    let mut failed = Vec::new();
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(module) = worth.get(i) else { break };
                        if let Err(e) = wasm_opt(module) {
                            failed.push(format!("{}: {e}", module.display()));
                        }
                    }
                    failed
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| {
                w.join()
                    .unwrap_or_else(|_| vec!["a wasm-opt worker panicked".into()])
            })
            .collect()
    });
    if failures.is_empty() {
        Ok(())
    } else {
        Err(failures.join("; ").into())
    }
}

/// Shrinks the module in place with binaryen's `wasm-opt` (installed by `scripts/setup.sh
/// --release` from npm).
fn wasm_opt(wasm: &Path) -> Result<()> {
    let status = Command::new("wasm-opt")
        .arg("-Oz")
        .arg("--enable-bulk-memory")
        .arg("--enable-nontrapping-float-to-int")
        .arg("--enable-sign-ext")
        .arg("--enable-mutable-globals")
        .arg("--enable-reference-types")
        .arg("--enable-multivalue")
        .arg(wasm)
        .arg("-o")
        .arg(wasm)
        .status()
        .map_err(|e| {
            format!("wasm-opt could not be started ({e}): run scripts/setup.sh --release")
        })?;
    if !status.success() {
        return Err(format!("wasm-opt failed ({status})").into());
    }
    Ok(())
}

/// The first 16 hex digits of the SHA-256 of the files (relative paths and contents, in order).
fn content_hash(dir: &Path, files: &[PathBuf]) -> Result<String> {
    let mut hasher = Sha256::new();
    for file in files {
        let bytes = fs::read(dir.join(file))?;
        let name = file.to_string_lossy();
        hasher.update((name.len() as u64).to_le_bytes());
        hasher.update(name.as_bytes());
        hasher.update((bytes.len() as u64).to_le_bytes());
        hasher.update(&bytes);
    }
    let digest = hasher.finalize();
    Ok(digest.iter().take(8).map(|b| format!("{b:02x}")).collect())
}

/// Every file under `dir` (recursively), as paths relative to it, sorted.
fn list_files(dir: &Path) -> Result<Vec<PathBuf>> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
        for entry in fs::read_dir(dir)? {
            let path = entry?.path();
            if path.is_dir() {
                walk(root, &path, out)?;
            } else {
                out.push(path.strip_prefix(root)?.to_path_buf());
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out)?;
    out.sort();
    Ok(out)
}

/// Cuts the pages marked lazy (`#[lazy_route]`) out of the main module with wasm-split: writes
/// one module per split point (plus shared chunks) and the JS loader that fetches them into
/// `out_dir`, and the manifest Leptos reads to preload a page's modules
/// (`__wasm_split_manifest.json`). Returns the path of the main module, still to go through
/// wasm-bindgen.
fn split(wasm: &Path, out_dir: &Path) -> Result<PathBuf> {
    let input = fs::read(wasm)?;
    let main_out = out_dir.join(format!("{OUTPUT_NAME}_main.wasm"));
    let main_module = format!("./{OUTPUT_NAME}.js");
    let mut opts = wasm_split_cli_support::Options::new(&input);
    opts.output_dir = out_dir;
    opts.main_out_path = &main_out;
    opts.main_module = &main_module;
    opts.link_name = SPLIT_LOADER;
    let result =
        wasm_split_cli_support::transform(opts).map_err(|e| format!("wasm-split: {e:#}"))?;
    fs::write(
        out_dir.join(SPLIT_MANIFEST),
        serde_json::to_string_pretty(&result.prefetch_map)? + "\n",
    )?;
    Ok(main_out)
}

/// Writes `file.br` and `file.gz`; returns the sizes (raw, gzip, brotli).
fn precompress(file: &Path, brotli_quality: u32) -> Result<(u64, u64, u64)> {
    let raw = fs::read(file)?;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(&raw)?;
    let gz = gz.finish()?;
    let mut br = Vec::new();
    {
        let mut writer = brotli::CompressorWriter::new(&mut br, 64 * 1024, brotli_quality, 22);
        writer.write_all(&raw)?;
        writer.flush()?;
    }
    let path = |ext: &str| {
        let mut name = file.as_os_str().to_owned();
        name.push(ext);
        PathBuf::from(name)
    };
    fs::write(path(".gz"), &gz)?;
    fs::write(path(".br"), &br)?;
    Ok((raw.len() as u64, gz.len() as u64, br.len() as u64))
}

/// Copies a directory tree into another (files overwrite, nothing is removed).
fn copy_dir(from: &Path, to: &Path) -> Result<()> {
    fs::create_dir_all(to)?;
    for entry in fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            fs::copy(entry.path(), target)?;
        }
    }
    Ok(())
}
