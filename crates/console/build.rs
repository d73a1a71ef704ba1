//! Builds the browser console (`web/`) and embeds its files.
//!
//! The console is JavaScript bundled by `web/build.mjs`; this script runs it so
//! that `cargo build` (and so the README's run command) produces a binary that
//! serves a console matching its sources. `npm ci` runs only when
//! `web/node_modules` is missing or older than `web/package-lock.json`.
//!
//! `CORRIDOR_CONSOLE_DIST=<dir>` embeds an already built directory instead, for
//! machines without Node.js.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    let web = manifest.join("../../web");
    println!("cargo:rerun-if-env-changed=CORRIDOR_CONSOLE_DIST");
    for input in ["src", "build.mjs", "package.json", "package-lock.json"] {
        println!("cargo:rerun-if-changed={}", web.join(input).display());
    }
    let dist = match std::env::var_os("CORRIDOR_CONSOLE_DIST") {
        Some(dir) => PathBuf::from(dir),
        None => {
            let dist = out_dir.join("console");
            build_console(&web, &dist);
            dist
        }
    };
    let listing = asset_table(&dist);
    std::fs::write(out_dir.join("assets.rs"), listing).expect("writing assets.rs");
}

fn build_console(web: &Path, dist: &Path) {
    let lock = web.join("package-lock.json");
    let installed = web.join("node_modules/.package-lock.json");
    if modified(&installed) < modified(&lock) {
        run(web, "npm", &["ci", "--no-audit", "--no-fund"]);
    }
    if dist.exists() {
        std::fs::remove_dir_all(dist).expect("clearing the previous console build");
    }
    let out = dist.to_str().expect("OUT_DIR is UTF-8");
    run(web, "node", &["build.mjs", "--out", out]);
}

fn modified(path: &Path) -> Option<std::time::SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// Runs a build tool with its output on stderr: cargo reads a build script's
/// stdout for directives.
fn run(dir: &Path, program: &str, args: &[&str]) {
    let status = Command::new(program)
        .args(args)
        .current_dir(dir)
        .stdout(Stdio::from(std::io::stderr()))
        .status()
        .unwrap_or_else(|e| {
            panic!(
                "the console is built with Node.js 18+ and npm, and `{program}` could not run ({e}); \
                 install them, or set CORRIDOR_CONSOLE_DIST to an already built console directory"
            )
        });
    assert!(status.success(), "`{program} {}` in {} failed ({status})", args.join(" "), dir.display());
}

/// `pub static ASSETS: &[(&str, &[u8])]`, sorted by name, for every file in `dist`.
fn asset_table(dist: &Path) -> String {
    let mut names: Vec<String> = std::fs::read_dir(dist)
        .unwrap_or_else(|e| panic!("reading the console build {}: {e}", dist.display()))
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .filter_map(|e| e.file_name().into_string().ok())
        .collect();
    names.sort();
    assert!(
        names.iter().any(|n| n == "index.html"),
        "the console build in {} has no index.html",
        dist.display()
    );
    let mut table = String::from("pub static ASSETS: &[(&str, &[u8])] = &[\n");
    for name in names {
        let path = dist.join(&name);
        table.push_str(&format!("    ({name:?}, include_bytes!({:?})),\n", path.display().to_string()));
    }
    table.push_str("];\n");
    table
}
