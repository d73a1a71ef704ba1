//! The rules every Rust source file of the workspace follows:
//! - it opens with a `//!` comment saying what it is and why;
//! - only the binary (`crates/cli`) exits the process;
//! - the fold's domain types (`crates/state`, tests aside) carry no
//!   serialization: the API's data transfer types are the only JSON, and the
//!   state digest has its own canonical encoding.

use std::path::{Path, PathBuf};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Every `.rs` file under `crates/`, build outputs aside.
fn sources() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else { return };
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name();
            if path.is_dir() && name != "target" && name != "node_modules" {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let mut out = Vec::new();
    walk(&workspace().join("crates"), &mut out);
    out.sort();
    out
}

fn relative(path: &Path) -> String {
    path.strip_prefix(workspace()).unwrap_or(path).display().to_string()
}

#[test]
fn every_module_opens_with_its_doc() {
    let files = sources();
    assert!(files.len() > 50, "found the workspace's sources ({})", files.len());
    let undocumented: Vec<String> = files
        .iter()
        .filter(|f| {
            let text = std::fs::read_to_string(f).unwrap_or_default();
            !text.lines().find(|l| !l.trim().is_empty()).is_some_and(|l| l.trim_start().starts_with("//!"))
        })
        .map(|f| relative(f))
        .collect();
    assert!(undocumented.is_empty(), "modules without a //! doc: {undocumented:?}");
}

/// Whether Rust source exits or aborts the process, however it is named.
fn exits(text: &str) -> bool {
    let imports_it = text.contains("use std::process") && (text.contains("exit(") || text.contains("abort("));
    text.contains("process::exit") || text.contains("process::abort") || imports_it
}

#[test]
fn only_the_binary_exits_the_process() {
    assert!(exits("std::process::exit(70)") && exits("use std::process::exit;\nexit(1)"));
    assert!(exits("use std::process::{self, abort};\nabort()") && !exits("let exit = 1;"));
    let exits: Vec<String> = sources()
        .iter()
        .filter(|f| !relative(f).starts_with("crates/cli/src/") && !relative(f).starts_with("crates/tidy/"))
        .filter(|f| exits(&std::fs::read_to_string(f).unwrap_or_default()))
        .map(|f| relative(f))
        .collect();
    assert!(exits.is_empty(), "library code that exits the process: {exits:?}");
}

/// Whether `text` uses serde. The snapshot codec (borsh, `BorshSerialize`)
/// is allowed: it gives no record a JSON shape, so the DTOs stay the only one.
fn uses_serde(text: &str) -> bool {
    text.replace("BorshSerialize", "").contains("Serialize") || text.contains("serde")
}

#[test]
fn the_domain_derives_no_serialization() {
    assert!(uses_serde("#[derive(Serialize)]") && uses_serde("use serde::Deserialize;"));
    assert!(!uses_serde("#[derive(borsh::BorshSerialize, borsh::BorshDeserialize)]"));
    let serializing: Vec<String> = sources()
        .iter()
        .filter(|f| relative(f).starts_with("crates/state/src/") && !relative(f).ends_with("/tests.rs"))
        .filter(|f| uses_serde(&std::fs::read_to_string(f).unwrap_or_default()))
        .map(|f| relative(f))
        .collect();
    assert!(serializing.is_empty(), "state modules with serde: {serializing:?}");
}
