//! The browser console's files (brief §7), looked up by URL path.
//!
//! `build.rs` bundles `web/` and embeds the result, so one binary serves the
//! console with no network at run time. For working on the console itself,
//! [`Console::Dir`] reads the files from a directory on every request instead,
//! so that a rebuilt bundle shows without recompiling the server.
//!
//! The console is a flat directory: a path with a `/` or `..` inside never
//! names a file, so nothing outside the console can be served.

use std::borrow::Cow;
use std::path::PathBuf;
use std::sync::Arc;

include!(concat!(env!("OUT_DIR"), "/assets.rs"));

/// Where the console's files come from.
#[derive(Debug, Clone, Default)]
pub enum Console {
    /// The files built into this binary.
    #[default]
    Embedded,
    /// Files read from a directory at request time (development).
    Dir(Arc<PathBuf>),
}

/// One file of the console.
#[derive(Debug, Clone)]
pub struct Asset {
    pub bytes: Cow<'static, [u8]>,
    pub content_type: &'static str,
}

impl Console {
    /// The file that `url_path` names, if any; `/` is `index.html`.
    pub fn get(&self, url_path: &str) -> Option<Asset> {
        let name = file_name(url_path)?;
        let bytes = match self {
            Console::Embedded => Cow::Borrowed(embedded(name)?),
            Console::Dir(dir) => Cow::Owned(std::fs::read(dir.join(name)).ok()?),
        };
        Some(Asset { bytes, content_type: content_type(name) })
    }
}

fn embedded(name: &str) -> Option<&'static [u8]> {
    ASSETS.binary_search_by(|(n, _)| (*n).cmp(name)).ok().map(|i| ASSETS[i].1)
}

fn file_name(url_path: &str) -> Option<&str> {
    let name = url_path.strip_prefix('/')?;
    let name = if name.is_empty() { "index.html" } else { name };
    let flat = !name.contains('/') && !name.contains('\\') && !name.starts_with('.');
    flat.then_some(name)
}

fn content_type(name: &str) -> &'static str {
    match name.rsplit_once('.').map_or("", |(_, ext)| ext) {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_root_is_the_index_and_the_build_has_one() {
        let index = Console::Embedded.get("/").expect("index.html is embedded");
        assert_eq!(index.content_type, "text/html; charset=utf-8");
        assert!(String::from_utf8_lossy(&index.bytes).contains("<html"));
    }

    #[test]
    fn paths_outside_the_flat_directory_name_nothing() {
        for path in ["/../Cargo.toml", "/a/index.html", "/.hidden", "index.html", "/..", "/%2e%2e/x"] {
            assert!(Console::Embedded.get(path).is_none(), "{path}");
        }
    }

    #[test]
    fn a_directory_console_reads_files_at_request_time() {
        let dir = std::env::temp_dir().join(format!("corridor-console-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        std::fs::write(dir.join("app.js"), b"1").expect("write");
        let console = Console::Dir(Arc::new(dir.clone()));
        assert_eq!(console.get("/app.js").map(|a| a.bytes.into_owned()), Some(b"1".to_vec()));
        std::fs::write(dir.join("app.js"), b"2").expect("write");
        assert_eq!(console.get("/app.js").map(|a| a.bytes.into_owned()), Some(b"2".to_vec()));
        assert!(console.get("/missing.js").is_none());
        std::fs::remove_dir_all(&dir).expect("cleanup");
    }
}
