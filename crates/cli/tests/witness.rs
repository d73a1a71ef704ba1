//! Witnesses, with the real binaries: a log and two witnesses as separate
//! processes; a split view built from a second data directory holding the
//! same log key; and two branches racing at one witness that is killed with
//! SIGKILL in the middle and restarted.
//!
//! The cosignatures the witnesses return are checked by a client written
//! from the C2SP tlog-cosignature and tlog-witness texts alone (`spec`
//! below: raw Ed25519, SHA-256 and base64, none of this project's code).

// A client's deadline for a condition it polls is its own clock's business.
#![allow(clippy::disallowed_methods)]

use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::Value;

mod support;

use support::{corridor, ok, start_with, Server, BIN};

async fn get_json(url: &str) -> Value {
    reqwest::get(url).await.expect("gets").json().await.expect("json")
}

/// Waits until `done` holds of `/v1/log`, polling it (no event announces a
/// cosignature or a witness's error) until a deadline; returns the answer.
async fn wait_log(url: &str, what: &str, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let log = get_json(&format!("{url}/v1/log")).await;
        if done(&log) {
            return log;
        }
        assert!(std::time::Instant::now() < deadline, "{what} never happened: {log}");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// Registers a party through the data directory (the server must not be running).
fn add_party(dir: &Path, data: &str, id: &str) {
    let vkey = ok(&["keygen", "--party", id, "--out", &format!("{id}.key")], dir);
    ok(
        &[
            "party",
            "add",
            "--data",
            data,
            "--id",
            id,
            "--name",
            id,
            "--kind",
            "agency",
            "--vkey",
            vkey.trim(),
        ],
        dir,
    );
}

/// A client of the witness protocol written from the specs alone.
mod spec {
    use base64::engine::general_purpose::STANDARD as B64;
    use base64::Engine as _;
    use ed25519_dalek::{Signature, VerifyingKey};
    use sha2::{Digest, Sha256};

    /// A witness vkey: `name+hex(keyID)+base64(0x04 || key)`, keyID =
    /// SHA-256(name || 0x0A || 0x04 || key)[:4] (c2sp.org/tlog-cosignature).
    pub struct Cosigner {
        pub name: String,
        pub id: [u8; 4],
        pub key: VerifyingKey,
    }

    pub fn parse_vkey(text: &str) -> Cosigner {
        let mut parts = text.trim().splitn(3, '+');
        let mut next = || parts.next().expect("a vkey has three fields");
        let (name, id_hex, data) = (next(), next(), next());
        let raw = B64.decode(data).expect("base64");
        assert_eq!(raw[0], 0x04, "a cosignature/v1 key");
        let key: [u8; 32] = raw[1..].try_into().expect("32 bytes");
        let digest = Sha256::new().chain_update(name).chain_update([0x0A, 0x04]).chain_update(key).finalize();
        let id: [u8; 4] = digest[..4].try_into().expect("4");
        assert_eq!(hex(&id), id_hex, "key ID");
        Cosigner { name: name.to_owned(), id, key: VerifyingKey::from_bytes(&key).expect("point") }
    }

    fn hex(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }

    /// Verifies a `— name base64(keyID || u64 timestamp || sig)` line over the
    /// checkpoint body; returns the timestamp.
    pub fn verify_line(c: &Cosigner, body: &str, line: &str) -> Option<u64> {
        let rest = line.strip_prefix("\u{2014} ")?.strip_suffix('\n')?;
        let (name, blob) = rest.split_once(' ')?;
        let blob = B64.decode(blob).ok()?;
        if name != c.name || blob.len() != 4 + 8 + 64 || blob[..4] != c.id {
            return None;
        }
        let timestamp = u64::from_be_bytes(blob[4..12].try_into().ok()?);
        let msg = format!("cosignature/v1\ntime {timestamp}\n{body}");
        let sig = Signature::from_slice(&blob[12..]).ok()?;
        c.key.verify_strict(msg.as_bytes(), &sig).ok()?;
        Some(timestamp)
    }

    /// The add-checkpoint body: `old N`, proof lines, a blank line, the note.
    pub fn request(old: u64, proof: &[[u8; 32]], note: &str) -> String {
        let mut out = format!("old {old}\n");
        for h in proof {
            out.push_str(&B64.encode(h));
            out.push('\n');
        }
        out.push('\n');
        out.push_str(note);
        out
    }
}

struct Witness {
    dir: String,
    vkey: String,
    server: Server,
}

/// A loopback test client is one address: lift the per-client limits so
/// that the races below race instead of queueing for 429s.
const UNLIMITED: [&str; 6] =
    ["--rate-per-client", "1000000", "--burst-per-client", "1000000", "--max-in-flight-per-client", "1000"];

fn serve_witness(dir: &str, tmp: &Path) -> Server {
    let args = [&["witness", "serve", "--data", dir, "--listen", "127.0.0.1:0"][..], &UNLIMITED[..]].concat();
    start_with(&args, tmp)
}

fn start_witness(tmp: &Path, name: &str, log_vkey: &str) -> Witness {
    let dir = format!("w-{name}");
    let vkey = ok(&["witness", "init", "--data", &dir, "--name", &format!("{name}.example/witness")], tmp);
    ok(&["witness", "add-log", "--data", &dir, "--vkey", log_vkey], tmp);
    let server = serve_witness(&dir, tmp);
    Witness { dir, vkey: vkey.trim().to_owned(), server }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read_dir").flatten() {
        let target = to.join(e.file_name());
        if e.file_type().expect("type").is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).expect("copy");
        }
    }
}

/// The split view: one log key, two histories. Both witnesses cosign the
/// first branch, refuse the second and keep it as evidence; a verifier
/// holding a checkpoint of one branch refuses the other; the audit of the
/// first branch reports the fork's checkpoint as a conflict.
#[tokio::test(flavor = "multi_thread")]
async fn a_split_view_is_caught() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let t = tmp.path();
    let log_vkey = ok(&["init", "--data", "a", "--origin", "split.example/log"], t).trim().to_owned();
    add_party(t, "a", "aid-one");
    // The fork: the same log, its key included, taken before the histories part.
    copy_dir(&t.join("a"), &t.join("b"));
    std::fs::remove_file(t.join("b/lock")).ok();
    add_party(t, "a", "aid-honest");
    add_party(t, "b", "aid-forged");

    let w1 = start_witness(t, "w1", &log_vkey);
    let w2 = start_witness(t, "w2", &log_vkey);
    // A second process on a serving witness's directory is refused.
    let mut second = Command::new(BIN)
        .args(["witness", "serve", "--data", &w1.dir, "--listen", "127.0.0.1:0"])
        .current_dir(t)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starts");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let exited = loop {
        if let Some(status) = second.try_wait().expect("waits") {
            break status;
        }
        if std::time::Instant::now() > deadline {
            let _ = second.kill();
            panic!("a second witness serve on {} kept running", w1.dir);
        }
        std::thread::yield_now();
    };
    let mut err = String::new();
    std::io::Read::read_to_string(&mut second.stderr.take().expect("stderr"), &mut err).expect("reads");
    assert!(!exited.success() && err.contains("in use by another witness process"), "{err}");
    let policy = format!(
        "log {log_vkey}\nwitness w1 {} {}\nwitness w2 {} {}\ngroup both all w1 w2\nquorum both\n",
        w1.vkey, w1.server.url, w2.vkey, w2.server.url
    );
    std::fs::write(t.join("policy.txt"), policy).expect("policy");

    // Branch A is witnessed; its cosigned checkpoint verifies under the policy.
    let a =
        start_with(&["serve", "--data", "a", "--listen", "127.0.0.1:0", "--witness-policy", "policy.txt"], t);
    let log = wait_log(&a.url, "branch A cosigned", |l| l["cosigned_size"] == l["size"]).await;
    let size = log["size"].as_u64().expect("size");
    let out = ok(
        &["verify", "--server", &a.url, "--vkey", &log_vkey, "--policy", "policy.txt", "--save", "a.cp"],
        t,
    );
    assert!(out.contains("cosignatures OK"), "{out}");
    let cosigned = std::fs::read_to_string(t.join("a.cp")).expect("saved");
    let body = cosigned.split_once("\n\n").expect("note").0.to_owned() + "\n";
    for w in [&w1, &w2] {
        let c = spec::parse_vkey(&w.vkey);
        let line = cosigned.lines().find(|l| l.contains(&c.name)).expect("a line per witness");
        assert!(spec::verify_line(&c, &body, &format!("{line}\n")).is_some(), "{line}");
    }

    // Branch B, shown to a client that does not ask for cosignatures: a
    // client holding A's checkpoint is told the two histories differ.
    let b = start_with(&["serve", "--data", "b", "--listen", "127.0.0.1:0"], t);
    assert_eq!(
        get_json(&format!("{}/v1/log", b.url)).await["size"].as_u64(),
        Some(size),
        "same size, other root"
    );
    let (passed, stdout, stderr) =
        corridor(&["verify", "--server", &b.url, "--vkey", &log_vkey, "--since", "a.cp"], t);
    assert!(!passed, "{stdout}");
    assert!(stderr.contains("INCONSISTENT") && stderr.contains("two histories"), "{stderr}");
    drop(b);

    // Branch B presented to the witnesses: both refuse it and keep it.
    let b =
        start_with(&["serve", "--data", "b", "--listen", "127.0.0.1:0", "--witness-policy", "policy.txt"], t);
    wait_log(&b.url, "both witnesses refusing branch B", |l| {
        l["witnesses"]["witnesses"].as_array().is_some_and(|ws| ws.iter().all(|w| !w["last_error"].is_null()))
    })
    .await;
    let served = reqwest::get(format!("{}/checkpoint", b.url)).await.expect("gets");
    assert_eq!(served.status(), 503, "branch B never reaches the quorum");
    for w in [&w1, &w2] {
        let forks = ok(&["witness", "forks", "--data", &w.dir], t);
        assert!(
            forks.contains("fork evidence 1 of") && forks.contains("PROVEN: the log signed two roots"),
            "{forks}"
        );
        assert!(forks.contains("split.example/log"), "{forks}");
        let logs = ok(&["witness", "list-logs", "--data", &w.dir], t);
        assert!(logs.contains(&format!("size {size}")), "{logs}");
    }
    // The audit of branch A, given branch B's checkpoint, reports the conflict.
    let b_cp = reqwest::get(format!("{}/v1/checkpoints/latest", b.url))
        .await
        .expect("gets")
        .text()
        .await
        .expect("text");
    std::fs::write(t.join("b.cp"), b_cp).expect("write");
    drop((a, b));
    let (passed, stdout, _) =
        corridor(&["audit", "--data", "a", "--checkpoint", "b.cp", "--checkpoint", "a.cp"], t);
    assert!(!passed, "{stdout}");
    assert!(stdout.contains("CONFLICT: b.cp (size"), "against the log's tree: {stdout}");
    assert!(stdout.contains("CONFLICT: b.cp and a.cp are both signed by the log for size"), "{stdout}");
    assert_eq!(stdout.matches("CONFLICT").count(), 2, "a.cp agrees with the log: {stdout}");
}

/// Two branches of one log raced at a witness, which is killed with SIGKILL
/// mid-way and restarted on its data: among every cosignature it ever
/// returned, no size has two roots, and all lie on one branch.
#[tokio::test(flavor = "multi_thread")]
async fn racing_branches_and_a_killed_witness_never_get_two_roots_for_one_size() {
    use corridor_tlog::{leaf_hash, Checkpoint, SignedCheckpoint, Tree};
    let tmp = tempfile::tempdir().expect("tempdir");
    let t = tmp.path();
    let key = corridor_note::SignerKey::from_seed("race.example/log", [42; 32]).expect("name");
    let log_vkey = key.verifier().to_vkey();
    let mut w = start_witness(t, "racer", &log_vkey);
    let cosigner = spec::parse_vkey(&w.vkey);
    let branches: Vec<Tree> = (0..2u8)
        .map(|salt| {
            let mut tree = Tree::new();
            (0..200u16).for_each(|i| tree.push(leaf_hash(&[salt, i as u8, (i >> 8) as u8])));
            tree
        })
        .collect();
    let note = |b: &Tree, size: u64| {
        let cp = Checkpoint { origin: "race.example/log".into(), size, root: b.root(size).expect("root") };
        SignedCheckpoint::sign(cp, &key).expect("signs").note
    };
    let client = reqwest::Client::new();
    let mut cosigned: Vec<(u64, [u8; 32])> = Vec::new();
    for phase in 0..2 {
        let url = format!("{}/add-checkpoint", w.server.url);
        let mut tasks = tokio::task::JoinSet::new();
        for task in 0..8u64 {
            let (client, url, branches) = (client.clone(), url.clone(), branches.clone());
            let notes: Vec<(u64, usize, String)> = (1..=100u64)
                .map(|size| (size + 100 * phase, ((task + size) % 2) as usize))
                .map(|(size, b)| (size, b, note(&branches[b], size)))
                .collect();
            tasks.spawn(async move {
                let mut won = Vec::new();
                let mut old = 0;
                for (size, b, note) in notes {
                    let proof = if old == 0 || old > size {
                        vec![]
                    } else {
                        branches[b].consistency_proof(old, size).expect("proof")
                    };
                    let body = spec::request(if old > size { 0 } else { old }, &proof, &note);
                    let Ok(resp) = client.post(&url).body(body).send().await else { break };
                    let status = resp.status().as_u16();
                    let text = resp.text().await.unwrap_or_default();
                    match status {
                        200 => won.push((size, b, note, text)),
                        409 => old = text.trim().parse().unwrap_or(0),
                        _ => {}
                    }
                }
                won
            });
        }
        if phase == 0 {
            // Mid-burst (once the witness has cosigned past size 10): SIGKILL,
            // then a restart on the same data.
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
            let cosigned_size = |listing: String| {
                let size = listing.split_whitespace().skip_while(|s| *s != "size").nth(1).map(str::to_owned);
                size.and_then(|s| s.parse::<u64>().ok()).unwrap_or(0)
            };
            while cosigned_size(ok(&["witness", "list-logs", "--data", &w.dir], t)) <= 10 {
                assert!(std::time::Instant::now() < deadline, "the witness never got past size 10");
            }
            w.server.kill9();
            w.server = serve_witness(&w.dir, t);
        }
        while let Some(won) = tasks.join_next().await {
            for (size, b, note, line) in won.expect("task") {
                let body = note.split_once("\n\n").expect("note").0.to_owned() + "\n";
                assert!(spec::verify_line(&cosigner, &body, &line).is_some(), "a valid cosignature: {line}");
                cosigned.push((size, branches[b].root(size).expect("root")));
            }
        }
    }
    assert!(cosigned.len() >= 2, "some requests were cosigned");
    let mut by_size = std::collections::BTreeMap::new();
    for (size, root) in &cosigned {
        assert_eq!(*by_size.entry(*size).or_insert(*root), *root, "two roots cosigned for size {size}");
    }
    assert!(
        branches.iter().any(|b| cosigned.iter().all(|(s, r)| b.root(*s).expect("root") == *r)),
        "everything cosigned lies on one branch"
    );
}

/// A "witness" answering 200 with an endless body, or 409 with a size beyond
/// the log: the log reads no more than its cap, records the error, keeps
/// giving receipts, and the honest witness alone meets an any-of quorum.
#[tokio::test(flavor = "multi_thread")]
async fn a_hostile_witness_costs_the_log_nothing() {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let tmp = tempfile::tempdir().expect("tempdir");
    let t = tmp.path();
    let log_vkey = ok(&["init", "--data", "l", "--origin", "hostile.example/log"], t).trim().to_owned();
    let honest = start_witness(t, "honest", &log_vkey);
    let mut addrs = Vec::new();
    for answer in [
        "HTTP/1.1 200 OK\r\nContent-Length: 10000000000\r\n\r\n",
        "HTTP/1.1 409 Conflict\r\nContent-Type: text/x.tlog.size\r\nContent-Length: 8\r\n\r\n9999999\n",
    ] {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("binds");
        addrs.push(listener.local_addr().expect("addr"));
        tokio::spawn(async move {
            while let Ok((mut conn, _)) = listener.accept().await {
                tokio::spawn(async move {
                    let mut buf = [0u8; 65536];
                    let _ = conn.read(&mut buf).await;
                    let _ = conn.write_all(answer.as_bytes()).await;
                    // An endless body for the 200: zeros until the client goes.
                    while answer.contains("200") && conn.write_all(&[b'a'; 65536]).await.is_ok() {}
                });
            }
        });
    }
    let fake = |i: u8| {
        corridor_note::cosignature::CosignerSigner::from_seed(&format!("fake{i}.example/w"), [i; 32])
            .expect("name")
            .verifier()
            .to_vkey()
    };
    let policy = format!(
        "log {log_vkey}\nwitness honest {} {}\nwitness huge {} http://{}\nwitness ahead {} http://{}\ngroup g any honest huge ahead\nquorum g\n",
        honest.vkey, honest.server.url, fake(1), addrs[0], fake(2), addrs[1]
    );
    std::fs::write(t.join("policy.txt"), policy).expect("policy");
    let log =
        start_with(&["serve", "--data", "l", "--listen", "127.0.0.1:0", "--witness-policy", "policy.txt"], t);
    let seen = wait_log(&log.url, "the honest witness cosigning and both fakes failing", |l| {
        let ws = l["witnesses"]["witnesses"].as_array().cloned().unwrap_or_default();
        l["cosigned_size"] == l["size"]
            && ws.len() == 3
            && !ws[1]["last_error"].is_null()
            && !ws[2]["last_error"].is_null()
    })
    .await;
    let ws = &seen["witnesses"]["witnesses"];
    assert!(ws[1]["last_error"].as_str().expect("error").contains("longer than"), "{ws}");
    assert!(ws[2]["last_error"].as_str().expect("error").contains("beyond this log"), "{ws}");
    let out = ok(&["verify", "--server", &log.url, "--vkey", &log_vkey, "--policy", "policy.txt"], t);
    assert!(out.contains("cosignatures OK"), "{out}");
}
