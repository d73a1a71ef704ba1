//! `corridor intake` end to end: bad text is refused with a message and a
//! non-zero exit; a drafted claim goes through review, `sign --draft` and
//! `submit`, and the logged claim names the article's SHA-256; `POST
//! /v1/intake` answers the same drafts, and problem+json for bad text.

mod support;

use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::Value;
use sha2::{Digest, Sha256};
use support::{corridor, ok, Server, BIN};

const ARTICLE: &str = "IDLIB, Syria (Test Wire) — An air strike hit a bakery in the town of Maarat al-Numan on \
Wednesday, killing at least nine people, including three children, rescuers said.\n\n\
Khaled Yassin, a spokesman for the Syria Civil Defence, said teams had pulled 14 wounded people from the rubble.\n\n\
The Syrian Observatory for Human Rights said the strike was carried out by either Russian or Syrian government \
aircraft.\n";

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

fn intake_stdin(input: &[u8], cwd: &Path) -> (bool, String, String) {
    let mut child = Command::new(BIN)
        .args(["intake", "-"])
        .current_dir(cwd)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starts");
    // A refusal may come before the whole input is read; a broken pipe is then expected.
    let _ = child.stdin.take().expect("stdin").write_all(input);
    let out = child.wait_with_output().expect("runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn bad_text_is_refused_and_a_text_without_claims_drafts_nothing() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let cases: [(&str, Vec<u8>, &str); 5] = [
        ("empty", Vec::new(), "empty"),
        ("blank", b" \n\t\n".to_vec(), "empty"),
        ("binary", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec(), "binary"),
        ("latin1", b"Caf\xe9 owners said the road was shut.".to_vec(), "not UTF-8"),
        ("huge", vec![b'a'; corridor_intake::MAX_TEXT_BYTES + 1], "limit"),
    ];
    for (name, bytes, expect) in &cases {
        let path = dir.join(name);
        std::fs::write(&path, bytes).expect("writes");
        let (success, stdout, stderr) = corridor(&["intake", path.to_str().expect("utf8")], dir);
        assert!(!success, "{name}: accepted");
        assert!(stdout.is_empty(), "{name}: printed drafts: {stdout}");
        assert!(stderr.contains(expect), "{name}: {stderr}");
        let (success, _, stderr) = intake_stdin(bytes, dir);
        assert!(!success && stderr.contains(expect), "{name} on stdin: {stderr}");
    }
    let plain =
        b"The road between Homs and Palmyra will be resurfaced in the spring. Work starts in April.\n";
    let (success, stdout, stderr) = intake_stdin(plain, dir);
    assert!(success, "{stderr}");
    let out: Value = serde_json::from_str(&stdout).expect("json");
    assert_eq!(out["drafts"], Value::Array(Vec::new()));
    assert_eq!(out["source"]["sha256"], sha256_hex(plain));
    let (success, _, stderr) = corridor(&["intake", "-", "--published", "last Tuesday"], dir);
    assert!(!success && stderr.contains("--published"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_reviewed_draft_is_signed_submitted_and_names_its_article() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let data = dir.join("data");
    let d = data.to_str().expect("utf8");
    ok(&["init", "--data", d, "--origin", "intake.corridor/log"], dir);
    let server = Server::start(&data);
    let vkey = ok(&["keygen", "--party", "monitor", "--out", "monitor.key"], dir).trim().to_owned();
    let add = ["party", "add", "--data", d, "--id", "monitor", "--name", "Monitor", "--kind", "monitor"];
    ok(&[&add[..], &["--vkey", &vkey, "--server", &server.url]].concat(), dir);
    std::fs::write(dir.join("article.txt"), ARTICLE).expect("writes");
    ok(
        &[
            "intake",
            "article.txt",
            "--published",
            "2026-01-15T09:00:00+01:00",
            "--outlet",
            "Test Wire",
            "--out",
            "drafts.json",
        ],
        dir,
    );
    let drafts: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("drafts.json")).expect("reads"))
            .expect("json");
    let sha = sha256_hex(ARTICLE.as_bytes());
    assert_eq!(drafts["source"]["sha256"], sha);
    assert_eq!(drafts["source"]["published"], "2026-01-15T08:00:00.000Z");
    let list = drafts["drafts"].as_array().expect("drafts");
    let incident = list.iter().position(|d| d["type"] == "incident.report").expect("an incident");
    assert_eq!(list[incident]["body"]["casualties"]["killed"]["min"], 9);
    assert_eq!(list[incident]["body"]["sources"][0]["sha256"], sha);
    let claim = list
        .iter()
        .position(|d| d["type"] == "claim.record" && d["body"]["speaker"] == "Khaled Yassin")
        .expect("Yassin's claim");
    assert_eq!(list[claim]["body"]["affiliation"], "Syria Civil Defence");
    // The incident names alternative perpetrators: it must be reviewed before it can be signed.
    assert!(!list[incident]["needs_review"].as_array().expect("list").is_empty());
    let spec = format!("drafts.json#{incident}");
    let (signed, _, stderr) = corridor(&["sign", "--key", "monitor.key", "--draft", &spec], dir);
    assert!(!signed && stderr.contains("still needs review"), "{stderr}");
    // The claim is reviewed as drafted.
    let env =
        ok(&["sign", "--key", "monitor.key", "--draft", &format!("drafts.json#{claim}"), "--id", "c1"], dir);
    std::fs::write(dir.join("c1.json"), env).expect("writes");
    ok(&["submit", "--server", &server.url, "c1.json"], dir);
    let claims: Value =
        reqwest::get(format!("{}/v1/claims", server.url)).await.expect("gets").json().await.expect("json");
    let logged = &claims["claims"][0]["claim"]["record"];
    assert_eq!(logged["speaker"], "Khaled Yassin");
    assert_eq!(logged["source_sha256"], sha, "{claims}");

    // The API drafts the same text alike, and refuses bad text as problem+json.
    let client = reqwest::Client::new();
    let url = format!("{}/v1/intake?published=2026-01-15T08:00:00Z&outlet=Test%20Wire", server.url);
    let resp = client.post(&url).body(ARTICLE).send().await.expect("posts");
    assert_eq!(resp.status(), 200);
    let api: Value = resp.json().await.expect("json");
    assert_eq!(api["drafts"], drafts["drafts"]);
    for (body, status, code) in [(Vec::new(), 400, "empty_text"), (b"\0\x01".to_vec(), 400, "binary_text")] {
        let resp = client.post(&url).body(body).send().await.expect("posts");
        assert_eq!(resp.status(), status);
        let problem: Value = resp.json().await.expect("json");
        assert_eq!(problem["code"], code);
    }
    // Over 1 MB is refused on the declared length, before the body is read (so
    // the head alone is sent: the server answers and closes at once).
    let head = format!(
        "POST /v1/intake HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\r\n",
        corridor_intake::MAX_TEXT_BYTES + 1
    );
    let addr = server.url.trim_start_matches("http://").to_owned();
    let answer = tokio::task::spawn_blocking(move || {
        use std::io::{Read as _, Write as _};
        let mut conn = std::net::TcpStream::connect(addr).expect("connects");
        conn.write_all(head.as_bytes()).expect("writes the head");
        let mut answer = String::new();
        let _ = conn.read_to_string(&mut answer);
        answer
    })
    .await
    .expect("joins");
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("too_large"), "{answer}");
    drop(server);
}
