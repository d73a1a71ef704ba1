//! The HTTP client side of the CLI: submitting envelopes, fetching the read API.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use corridor_statement::Envelope;
use serde_json::Value;

/// Requests that take longer than this fail rather than hang.
const TIMEOUT_S: u64 = 30;

pub fn http() -> Result<reqwest::Client> {
    Ok(reqwest::Client::builder().timeout(Duration::from_secs(TIMEOUT_S)).build()?)
}

pub fn url(server: &str, path: &str) -> String {
    format!("{}{path}", server.trim_end_matches('/'))
}

/// Turns a non-success response into an error carrying the problem's code and detail.
pub async fn check(resp: reqwest::Response) -> Result<reqwest::Response> {
    if resp.status().is_success() {
        return Ok(resp);
    }
    let status = resp.status();
    let body = resp.text().await.unwrap_or_default();
    match serde_json::from_str::<Value>(&body) {
        Ok(p) if p.get("code").is_some() => {
            bail!("{status}: {} ({})", p["detail"].as_str().unwrap_or(""), p["code"].as_str().unwrap_or(""))
        }
        _ => bail!("{status}: {body}"),
    }
}

/// Attempts at one submission while the server answers 503 (busy, or a
/// cluster between leaders); each waits the answer's `Retry-After`.
const SUBMIT_ATTEMPTS: u32 = 15;
/// The longest `Retry-After` a submission waits, in seconds.
const RETRY_AFTER_MAX_S: u64 = 5;

/// Submits one envelope; retries while the server pushes back (503), which
/// is safe because a resubmission returns the original receipt.
pub async fn submit_one(client: &reqwest::Client, server: &str, envelope: &Envelope) -> Result<Value> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        let resp = client
            .post(url(server, "/v1/statements"))
            .json(envelope)
            .send()
            .await
            .with_context(|| format!("connecting to {server}"))?;
        if resp.status() != reqwest::StatusCode::SERVICE_UNAVAILABLE || attempt == SUBMIT_ATTEMPTS {
            let tried = if attempt > 1 { format!(" (after {attempt} attempts)") } else { String::new() };
            return Ok(check(resp).await.with_context(|| format!("not logged{tried}"))?.json().await?);
        }
        let wait_s = resp
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok()?.parse::<u64>().ok())
            .unwrap_or(1)
            .clamp(1, RETRY_AFTER_MAX_S);
        tokio::time::sleep(std::time::Duration::from_secs(wait_s)).await;
    }
}

pub async fn get_text(client: &reqwest::Client, server: &str, path: &str) -> Result<String> {
    let resp =
        client.get(url(server, path)).send().await.with_context(|| format!("connecting to {server}"))?;
    Ok(check(resp).await?.text().await?)
}

pub async fn get_bytes(client: &reqwest::Client, server: &str, path: &str) -> Result<Vec<u8>> {
    let resp =
        client.get(url(server, path)).send().await.with_context(|| format!("connecting to {server}"))?;
    Ok(check(resp).await?.bytes().await?.to_vec())
}

pub async fn get_json(client: &reqwest::Client, server: &str, path: &str) -> Result<Value> {
    let resp =
        client.get(url(server, path)).send().await.with_context(|| format!("connecting to {server}"))?;
    Ok(check(resp).await?.json().await?)
}

/// Reads envelopes from a file: one JSON envelope, a JSON array of them, or one per line.
fn read_envelopes(path: &PathBuf) -> Result<Vec<Envelope>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    if let Ok(v) = serde_json::from_str::<Value>(&text) {
        return match v {
            Value::Array(items) => items.into_iter().map(|i| Ok(serde_json::from_value(i)?)).collect(),
            other => Ok(vec![serde_json::from_value(other)
                .with_context(|| format!("{} is not an envelope", path.display()))?]),
        };
    }
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .enumerate()
        .map(|(n, l)| {
            serde_json::from_str(l)
                .with_context(|| format!("{} line {}: not an envelope", path.display(), n + 1))
        })
        .collect()
}

/// Submits every envelope; prints one line per result; fails if any was refused.
pub async fn submit_files(server: &str, files: &[PathBuf]) -> Result<()> {
    let client = http()?;
    let mut refused = 0;
    for path in files {
        let envelopes = read_envelopes(path)?;
        if envelopes.is_empty() {
            // An empty file is most often the output of a `sign` that was refused.
            bail!("{} holds no envelope", path.display());
        }
        for envelope in envelopes {
            match submit_one(&client, server, &envelope).await {
                Ok(receipt) => println!("{}", serde_json::to_string(&receipt)?),
                Err(e) => {
                    refused += 1;
                    // A refusal's error already says "not logged"; a failed connection does not.
                    let why = format!("{e:#}");
                    match why.starts_with("not logged") {
                        true => eprintln!("{why}"),
                        false => eprintln!("not logged: {why}"),
                    }
                }
            }
        }
    }
    if refused > 0 {
        bail!("{refused} submission(s) not logged");
    }
    Ok(())
}

/// `corridor export`: fetches `/v1/export/<kind>.<format>` and writes it out.
pub async fn export(server: &str, kind: &str, format: &str, out: Option<&std::path::Path>) -> Result<()> {
    if !["csv", "geojson"].contains(&format) {
        bail!("--format is csv or geojson");
    }
    let body = get_text(&http()?, server, &format!("/v1/export/{kind}.{format}")).await?;
    match out {
        Some(path) => std::fs::write(path, body).with_context(|| format!("writing {}", path.display()))?,
        None => print!("{body}"),
    }
    Ok(())
}
