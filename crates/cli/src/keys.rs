//! Keys and signing on the party's side: `keygen`, `sign`, `party add`.
//! Private keys are read here and never sent anywhere.

use std::io::Read as _;
use std::path::Path;

use anyhow::{bail, Context, Result};
use corridor_note::SignerKey;
use corridor_statement::{sign, CanonicalEnvelope, Envelope, SignedEnvelope, Statement};
use serde_json::{json, Value};

use crate::client;
use crate::data::{generate_key, read_key, write_new, DataDir};

pub fn keygen(party: &str, out: &Path) -> Result<()> {
    if !corridor_statement::statement::valid_party_id(party) {
        bail!("{party:?} is not a party id: use [a-z0-9][a-z0-9.-]*, at most 64 characters");
    }
    let key = generate_key(party)?;
    write_new(out, format!("{}\n", key.to_private_text()).as_bytes(), true)?;
    println!("{}", key.verifier().to_vkey());
    Ok(())
}

/// The current time in microseconds (the CLI is a client: it may read the clock).
pub fn now_us() -> i64 {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    now.as_micros() as i64
}

/// The current time as RFC 3339 UTC, for `issued_at`.
pub fn now_rfc3339() -> String {
    corridor_statement::timefmt::format_ms(now_us())
}

/// POSIX seconds as RFC 3339 UTC, for people.
/// Whole seconds, as the times witnesses sign are: `YYYY-MM-DDTHH:MM:SSZ`.
/// Beyond the year 9999 (which RFC 3339 cannot write) it says the number.
pub fn posix_rfc3339(s: u64) -> String {
    const YEAR_10000_S: u64 = 253_402_300_800;
    if s >= YEAR_10000_S {
        return format!("{s} POSIX seconds (after the year 9999)");
    }
    let ms = corridor_statement::timefmt::format_ms(s as i64 * 1_000_000);
    ms.strip_suffix(".000Z").map_or(ms.clone(), |t| format!("{t}Z"))
}

/// A fresh random statement id.
pub fn random_id(prefix: &str) -> String {
    format!("{prefix}-{:016x}", rand::random::<u64>())
}

/// Builds, validates and signs a statement; refuses locally what the server would refuse.
pub fn sign_statement(key: &SignerKey, kind: &str, id: &str, body: Value) -> Result<Envelope> {
    sign_statement_by(&[key], kind, id, body)
}

/// The same, signed by several keys (a custody hand-off is signed by both
/// parties); the first key's party is the issuer.
pub fn sign_statement_by(keys: &[&SignerKey], kind: &str, id: &str, body: Value) -> Result<Envelope> {
    let issuer = keys.first().map(|k| k.name()).unwrap_or_default();
    let statement =
        json!({"type": kind, "issuer": issuer, "id": id, "issued_at": now_rfc3339(), "body": body});
    let bytes = serde_json::to_vec(&statement)?;
    Statement::from_json(&bytes).map_err(|e| anyhow::anyhow!("{} ({})", e, e.code()))?;
    let envelope = sign(&bytes, keys);
    let entry_len = CanonicalEnvelope::of(&envelope).entry_len();
    if entry_len > corridor_statement::MAX_ENTRY_BYTES {
        bail!("statement too large: the entry would be {entry_len} bytes (limit 65,535) (too_large)");
    }
    Ok(envelope)
}

fn read_body(arg: &str) -> Result<Value> {
    let text = match arg.strip_prefix('@') {
        Some(path) => std::fs::read_to_string(path).with_context(|| format!("reading {path}"))?,
        None => arg.to_owned(),
    };
    serde_json::from_str(&text).context("--body is not valid JSON (malformed_json)")
}

pub fn sign_cmd(key_path: &Path, kind: &str, body: &str, id: Option<&str>) -> Result<()> {
    let key = read_key(key_path)?;
    let id = id.map_or_else(|| random_id("s"), str::to_owned);
    let envelope = sign_statement(&key, kind, &id, read_body(body)?)?;
    println!("{}", serde_json::to_string(&envelope)?);
    Ok(())
}

/// Adds the key's signature to an envelope another party signed, and prints
/// it: a custody hand-off is logged only with the signatures of both its
/// sender and its receiver, and each signs with its own key, on its own
/// machine. The envelope (a file, or `-` for stdin) must parse as a
/// submission would. It is refused if this key already signed it.
pub fn countersign_cmd(key_path: &Path, envelope_path: &Path) -> Result<()> {
    use base64::Engine as _;
    let key = read_key(key_path)?;
    let bytes = if envelope_path == Path::new("-") {
        let mut buf = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin().take(MAX_ENVELOPE_BYTES), &mut buf)?;
        buf
    } else {
        std::fs::read(envelope_path).with_context(|| format!("reading {}", envelope_path.display()))?
    };
    let (signed, _) = SignedEnvelope::from_json(&bytes)
        .map_err(|e| anyhow::anyhow!("not an envelope this log would read: {e} ({})", e.code()))?;
    let mut envelope = Envelope::from_json(&bytes)?;
    let keyid = format!("{}+{:08x}", key.name(), key.key_id());
    if envelope.signatures.iter().any(|s| s.keyid == keyid) {
        bail!("{keyid} has already signed this envelope");
    }
    let payload = base64::engine::general_purpose::STANDARD.decode(&envelope.payload)?;
    let sig = key.sign(&corridor_statement::pae(&envelope.payload_type, &payload));
    envelope.signatures.push(corridor_statement::EnvelopeSignature {
        keyid,
        sig: base64::engine::general_purpose::STANDARD.encode(sig),
    });
    eprintln!(
        "countersigned {} ({}) as {}",
        signed.statement.reference,
        signed.statement.kind.as_str(),
        key.name()
    );
    println!("{}", serde_json::to_string(&envelope)?);
    Ok(())
}

/// The most an envelope read from stdin may be: a log entry's limit.
const MAX_ENVELOPE_BYTES: u64 = corridor_statement::MAX_ENTRY_BYTES as u64;

pub async fn party_add(
    data: &Path,
    id: &str,
    name: &str,
    kind: &str,
    vkeys: &[String],
    server: Option<&str>,
) -> Result<()> {
    let dir = DataDir::new(data);
    let operator = dir.operator_key()?;
    let body = json!({"id": id, "name": name, "kind": kind, "keys": vkeys});
    let envelope = sign_statement(&operator, "party.register", &random_id("register"), body)?;
    let receipt = match server {
        Some(url) => client::submit_one(&client::http()?, url, &envelope).await?,
        None => submit_direct(&dir, &envelope).await?,
    };
    println!("{}", serde_json::to_string(&receipt)?);
    Ok(())
}

/// Appends through an in-process service when no server runs on the directory.
pub async fn submit_direct(dir: &DataDir, envelope: &Envelope) -> Result<Value> {
    let (service, _lock) = dir.open_service()?;
    let bytes = serde_json::to_vec(envelope)?;
    SignedEnvelope::from_json(&bytes)?;
    let receipt = match service.submit(&bytes).await {
        Ok(corridor_service::Submitted::Created(r) | corridor_service::Submitted::Existing(r)) => r,
        Err(e) => bail!("refused: {e} ({})", e.code()),
    };
    Ok(serde_json::to_value(corridor_api::dto::log::Receipt::from(&receipt))?)
}
