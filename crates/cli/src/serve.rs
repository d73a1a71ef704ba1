//! `init` and `serve`.

use anyhow::{bail, Context, Result};
use serde_json::json;
use std::path::Path;

use crate::data::{generate_key, write_new, Config, DataDir};
use crate::keys::{sign_statement, submit_direct};

pub async fn init(data: &Path, origin: &str, operator: &str, operator_name: &str) -> Result<()> {
    let dir = DataDir::new(data);
    if dir.exists() {
        bail!("{} already holds a Corridor log", data.display());
    }
    if !corridor_statement::statement::valid_party_id(operator) {
        bail!("operator {operator:?} is not a party id ([a-z0-9][a-z0-9.-]*)");
    }
    corridor_note::validate_name(origin).map_err(|e| anyhow::anyhow!("origin {origin:?}: {e}"))?;
    std::fs::create_dir_all(dir.keys()).with_context(|| format!("creating {}", dir.keys().display()))?;
    let log_key = generate_key(origin)?;
    write_new(&dir.log_key_path(), format!("{}\n", log_key.to_private_text()).as_bytes(), true)?;
    let operator_key = generate_key(operator)?;
    write_new(
        &dir.party_key_path(operator),
        format!("{}\n", operator_key.to_private_text()).as_bytes(),
        true,
    )?;
    dir.write_config(&Config { origin: origin.to_owned(), operator: operator.to_owned() })?;
    // Genesis: the operator registers itself, so any replayer learns who the operator is.
    let body = json!({"id": operator, "name": operator_name, "kind": "coordination", "keys": [operator_key.verifier().to_vkey()]});
    let genesis = sign_statement(&operator_key, "party.register", "genesis", body)?;
    submit_direct(&dir, &genesis).await?;
    eprintln!("initialised {} (origin {origin}, operator {operator})", data.display());
    eprintln!("operator key: {}", dir.party_key_path(operator).display());
    println!("{}", log_key.verifier().to_vkey());
    Ok(())
}

pub async fn serve(data: &Path, listen: &str) -> Result<()> {
    let dir = DataDir::new(data);
    let config = dir.config()?;
    let (service, _lock) = dir.open_service().context("recovering the log")?;
    let limits = corridor_api::HttpLimits::default();
    let router = corridor_api::router(service.clone(), &limits, console());
    let listener =
        tokio::net::TcpListener::bind(listen).await.with_context(|| format!("binding {listen}"))?;
    let addr = listener.local_addr()?;
    let info = service.log_info().await?;
    eprintln!("corridor: log {} ({} entries), vkey {}", config.origin, info.size, info.vkey);
    println!("listening on http://{addr}");
    tokio::select! {
        served = corridor_api::serve(listener, router, &limits, shutdown_signal()) => Ok(served?),
        fatal = service.failed() => {
            // Memory may be ahead of disk: exit now, and let the restart
            // recover exactly what is durable (see ARCHITECTURE.md, Durability).
            eprintln!("corridor: {fatal}; exiting so that a restart recovers the durable log");
            std::process::exit(EXIT_FATAL)
        }
    }
}

/// The exit code after the sequencer stopped on a failed commit (EX_SOFTWARE).
pub const EXIT_FATAL: i32 = 70;

/// The console's files: built into the binary, or read from
/// `CORRIDOR_CONSOLE_DIR` at request time while working on the console.
fn console() -> corridor_console::Console {
    match std::env::var_os("CORRIDOR_CONSOLE_DIR") {
        Some(dir) => {
            eprintln!("corridor: serving the console from {}", std::path::Path::new(&dir).display());
            corridor_console::Console::Dir(std::sync::Arc::new(dir.into()))
        }
        None => corridor_console::Console::Embedded,
    }
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(s) => s,
            Err(_) => return std::future::pending().await,
        };
        tokio::select! { _ = ctrl_c => {}, _ = term.recv() => {} }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}
