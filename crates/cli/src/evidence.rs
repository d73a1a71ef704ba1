//! `corridor evidence` writes a self-contained, offline-verifiable bundle about
//! an incident; `corridor verify --bundle` checks it with no server.
//!
//! Layout of a bundle directory:
//! - `log.vkey`: the log's verifier key (C2SP signed-note);
//! - `evidence.json`: the server's evidence view (notified sites and movements
//!   within reach, when they were notified, who acknowledged them);
//! - `entries/<index>.entry`: the exact log entry bytes;
//! - `proofs/<index>.tlog-proof`: a C2SP tlog-proof for each entry (with its checkpoint);
//! - `proofs/<index>.cosigned.tlog-proof`: when the log collects witness
//!   cosignatures, the same proof against the earliest checkpoint the
//!   witnesses' quorum cosigned that covers the entry (its note carries the
//!   `cosignature/v1` lines, each with the witness's timestamp);
//! - `README.md`: how to check it with any C2SP-compatible tool.
//!
//! Besides the incident, its notifications and acknowledgements, the bundle holds
//! the registration entries of every key that signed them, so the signatures can
//! be checked from the log alone.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use anyhow::{bail, Context, Result};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use corridor_note::VerifierKey;
use corridor_statement::body::Body;
use corridor_statement::{parse_entry, KeyRef, SignedEnvelope};
use corridor_tlog::policy::Policy;
use corridor_tlog::{leaf_hash, parse_tlog_proof};
use serde_json::Value;

use crate::client;

const README: &str = "# Evidence bundle\n\n\
Each `entries/N.entry` is the exact bytes of log entry N. Its leaf hash is\n\
SHA-256(0x00 || entry bytes) (RFC 6962). `proofs/N.tlog-proof` is a C2SP\n\
tlog-proof (c2sp.org/tlog-proof@v1) of that leaf at index N, ending with a\n\
checkpoint signed by the log key in `log.vkey` (C2SP signed-note, Ed25519).\n\n\
To verify with any C2SP-compatible tool: check the checkpoint's signature with\n\
`log.vkey`, then the inclusion proof of the leaf hash at index N against the\n\
checkpoint's root. Each entry is JSON `{\"sequenced_at\", \"envelope\"}`; the envelope is\n\
DSSE v1 and its signatures are checked with the keys registered by the\n\
`party.register` / `party.key.add` entries that are also in this bundle.\n\n\
`proofs/N.cosigned.tlog-proof`, when present, proves the same leaf against a\n\
checkpoint that witnesses cosigned (C2SP tlog-cosignature): each witness's\n\
timestamp shows that the entry was in the log by then, on the witness's clock\n\
rather than the operator's.\n\n\
With Corridor: `corridor verify --bundle DIR --vkey \"$(cat DIR/log.vkey)\" --policy POLICY`\n\
(`--policy`: a C2SP tlog-policy naming the witnesses you trust and the quorum).\n";

/// Entry indexes the evidence view refers to: the incident, notifications, acknowledgements.
fn referenced_entries(evidence: &Value) -> BTreeSet<u64> {
    let mut out = BTreeSet::new();
    out.extend(evidence["incident_entry"].as_u64());
    for list in ["notified_sites", "notified_movements"] {
        for item in evidence[list].as_array().into_iter().flatten() {
            out.extend(item["entry"].as_u64());
            for ack in item["acknowledged_by"].as_array().into_iter().flatten() {
                out.extend(ack["index"].as_u64());
            }
        }
    }
    out
}

/// The entry that registered each key, from `/v1/parties`.
fn key_entries(parties: &Value) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    for p in parties["parties"].as_array().into_iter().flatten() {
        for k in p["keys"].as_array().into_iter().flatten() {
            if let (Some(vkey), Some(index)) = (k["vkey"].as_str(), k["added_at_index"].as_u64()) {
                if let Ok(key) = VerifierKey::parse(vkey) {
                    out.insert(key.key_ref(), index);
                }
            }
        }
    }
    out
}

pub async fn write_bundle(server: &str, incident: &str, out: &Path) -> Result<()> {
    let http = client::http()?;
    let evidence = client::get_json(&http, server, &format!("/v1/incidents/{incident}/evidence")).await?;
    let log = client::get_json(&http, server, "/v1/log").await?;
    let parties = client::get_json(&http, server, "/v1/parties").await?;
    if out.exists() {
        bail!("{} already exists", out.display());
    }
    std::fs::create_dir_all(out.join("entries"))?;
    std::fs::create_dir_all(out.join("proofs"))?;
    let mut wanted = referenced_entries(&evidence);
    let signers = key_entries(&parties);
    let mut done = BTreeSet::new();
    let collects_cosignatures = !log["witnesses"].is_null();
    let mut cosigned = 0;
    while let Some(index) = wanted.pop_first() {
        if !done.insert(index) {
            continue;
        }
        let entry = client::get_json(&http, server, &format!("/v1/entries/{index}")).await?;
        let bytes = B64.decode(entry["entry"].as_str().context("entry bytes")?)?;
        for sig in entry["envelope"]["signatures"].as_array().into_iter().flatten() {
            wanted.extend(sig["keyid"].as_str().and_then(|k| signers.get(k)).filter(|i| !done.contains(i)));
        }
        let receipt = client::get_json(&http, server, &format!("/v1/receipts/{index}")).await?;
        std::fs::write(out.join(format!("entries/{index}.entry")), &bytes)?;
        std::fs::write(
            out.join(format!("proofs/{index}.tlog-proof")),
            receipt["tlog_proof"].as_str().context("proof")?,
        )?;
        if collects_cosignatures {
            cosigned += write_cosigned_proof(&http, server, index, out).await? as usize;
        }
    }
    if collects_cosignatures {
        println!("{cosigned} of {} entries have a proof against a cosigned checkpoint", done.len());
    }
    std::fs::write(out.join("log.vkey"), format!("{}\n", log["vkey"].as_str().context("vkey")?))?;
    std::fs::write(out.join("evidence.json"), serde_json::to_string_pretty(&evidence)?)?;
    std::fs::write(out.join("README.md"), README)?;
    println!("wrote {} entries with proofs to {}", done.len(), out.display());
    Ok(())
}

/// Writes entry `index`'s proof against the earliest cosigned checkpoint
/// covering it; false when none covers it yet (404).
async fn write_cosigned_proof(http: &reqwest::Client, server: &str, index: u64, out: &Path) -> Result<bool> {
    let resp = http
        .get(client::url(server, &format!("/v1/receipts/{index}/cosigned")))
        .send()
        .await
        .with_context(|| format!("connecting to {server}"))?;
    if resp.status() == reqwest::StatusCode::NOT_FOUND {
        eprintln!("note: no cosigned checkpoint covers entry {index} yet");
        return Ok(false);
    }
    let receipt: Value = client::check(resp).await?.json().await?;
    let proof = receipt["tlog_proof"].as_str().context("proof")?;
    std::fs::write(out.join(format!("proofs/{index}.cosigned.tlog-proof")), proof)?;
    Ok(true)
}

/// Checks `proofs/<name>.tlog-proof`: a tlog-proof of `leaf` at `index`,
/// against a checkpoint signed by `vkey`, which it returns.
fn proven_in(
    dir: &Path,
    name: &str,
    index: u64,
    leaf: &corridor_tlog::Hash,
    vkey: &VerifierKey,
) -> Result<corridor_tlog::SignedCheckpoint> {
    let path = dir.join(format!("proofs/{name}.tlog-proof"));
    let text = std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let proof = parse_tlog_proof(&text)?;
    if proof.index != index {
        bail!("{} names index {}", path.display(), proof.index);
    }
    Ok(proof.verify(leaf, vkey)?)
}

/// With a policy: entry `index`'s proof against a cosigned checkpoint, its
/// quorum checked; returns the time by which the quorum had cosigned.
fn witnessed_by(
    dir: &Path,
    index: u64,
    leaf: &corridor_tlog::Hash,
    vkey: &VerifierKey,
    policy: &Policy,
) -> Result<u64> {
    let cp = proven_in(dir, &format!("{index}.cosigned"), index, leaf, vkey)
        .with_context(|| format!("entry {index}: no valid proof against a cosigned checkpoint"))?;
    let (by, who) = crate::verify::require_quorum(policy, vkey, &cp.note)
        .with_context(|| format!("entry {index}'s cosigned checkpoint"))?;
    let by = by.with_context(|| format!("entry {index}: the policy requires no cosignature"))?;
    println!(
        "entry {index}: in the log before {} (witnessed at size {}: {who})",
        crate::verify::witnessed_before(by),
        cp.checkpoint.size
    );
    Ok(by)
}

/// Checks every entry's inclusion proof and checkpoint signature, then every
/// envelope signature with keys registered by entries in the bundle; with a
/// policy, also every entry's proof against a cosigned checkpoint, reporting
/// the earliest witness time that proves it was in the log.
pub fn verify_bundle(dir: &Path, vkey: &VerifierKey, policy: Option<&Policy>) -> Result<()> {
    let mut entries: BTreeMap<u64, Vec<u8>> = BTreeMap::new();
    for f in std::fs::read_dir(dir.join("entries")).context("bundle has no entries/")? {
        let path = f?.path();
        let index: u64 = path
            .file_stem()
            .and_then(|s| s.to_str())
            .and_then(|s| s.parse().ok())
            .context("entry file name")?;
        entries.insert(index, std::fs::read(&path)?);
    }
    let mut keys: BTreeMap<KeyRef, VerifierKey> = BTreeMap::new();
    let mut parsed = Vec::new();
    for (index, bytes) in &entries {
        proven_in(dir, &index.to_string(), *index, &leaf_hash(bytes), vkey)
            .with_context(|| format!("entry {index} is not proven in the log"))?;
        if let Some(policy) = policy {
            witnessed_by(dir, *index, &leaf_hash(bytes), vkey, policy)?;
        }
        let signed = parse_entry(bytes)?.signed;
        for k in registered_keys(&signed) {
            keys.insert(KeyRef::of(&k), k);
        }
        parsed.push((*index, signed));
    }
    for (index, signed) in &parsed {
        signed
            .verify(|r| keys.get(r).cloned())
            .with_context(|| format!("entry {index}: signature check failed"))?;
    }
    let witnessed = if policy.is_some() { ", each witnessed by the policy's quorum" } else { "" };
    println!("bundle OK: {} entries proven in the log{witnessed} and their signatures checked", parsed.len());
    if policy.is_none()
        && std::fs::read_dir(dir.join("proofs"))?
            .flatten()
            .any(|f| f.file_name().to_string_lossy().contains(".cosigned."))
    {
        println!("note: the bundle holds proofs against cosigned checkpoints; give --policy FILE to check the witnesses and learn when each entry was witnessed");
    }
    Ok(())
}

/// Keys an entry registers (party.register, party.key.add).
fn registered_keys(signed: &SignedEnvelope) -> Vec<VerifierKey> {
    match &signed.statement.body {
        Body::PartyRegister(r) => r.keys.clone(),
        Body::PartyKeyAdd(k) => vec![k.vkey.clone()],
        _ => vec![],
    }
}
