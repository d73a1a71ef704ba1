//! End-to-end tests: the real `corridor` binary, on port 0, in a temporary
//! directory, driven the way a user or an outside client would drive it.

// A client's deadline for an awaited event is its own clock's business.
#![allow(clippy::disallowed_methods)]

use std::path::{Path, PathBuf};

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use corridor_note::{SignerKey, VerifierKey};
use corridor_statement::sign;
use corridor_tlog::{parse_tlog_proof, verify_consistency, SignedCheckpoint};
use serde_json::{json, Value};

mod support;

use support::{corridor, ok, start_with, Server};

struct Log {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
    data: PathBuf,
    vkey: String,
}

fn init() -> Log {
    init_with(&[])
}

/// `corridor init` with more arguments (`--store`).
fn init_with(more: &[&str]) -> Log {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().to_owned();
    let data = dir.join("data");
    let mut args = vec!["init", "--data", data.to_str().expect("utf8"), "--origin", "e2e.corridor/log"];
    args.extend_from_slice(more);
    let vkey = ok(&args, &dir).trim().to_owned();
    Log { _tmp: tmp, dir, data, vkey }
}

fn ops_key(log: &Log) -> SignerKey {
    let text = std::fs::read_to_string(log.data.join("keys/ops.key")).expect("operator key");
    SignerKey::parse(text.trim()).expect("parses")
}

fn envelope(key: &SignerKey, kind: &str, id: &str, body: Value) -> Value {
    let st = json!({"type": kind, "issuer": key.name(), "id": id, "issued_at": "2026-11-22T10:00:00.000Z", "body": body});
    serde_json::to_value(sign(st.to_string().as_bytes(), &[key])).expect("json")
}

fn message(key: &SignerKey, id: &str) -> Value {
    envelope(key, "message.send", id, json!({"to": ["ops"], "subject": "e2e", "text": id}))
}

async fn post(client: &reqwest::Client, url: &str, body: Vec<u8>) -> (u16, Value, Option<String>) {
    let resp = client.post(format!("{url}/v1/statements")).body(body).send().await.expect("posts");
    let status = resp.status().as_u16();
    let ctype = resp.headers().get("content-type").map(|v| v.to_str().unwrap_or("").to_owned());
    (status, resp.json().await.unwrap_or(Value::Null), ctype)
}

async fn get_text(url: &str) -> String {
    reqwest::get(url).await.expect("gets").text().await.expect("text")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_user_registers_signs_submits_and_verifies() {
    let log = init();
    let d = log.data.to_str().expect("utf8");
    let server = Server::start(&log.data);
    let aid_vkey = ok(&["keygen", "--party", "aid-one", "--out", "aid.key"], &log.dir).trim().to_owned();
    ok(
        &[
            "party",
            "add",
            "--data",
            d,
            "--id",
            "aid-one",
            "--name",
            "Aid One",
            "--kind",
            "agency",
            "--vkey",
            &aid_vkey,
            "--server",
            &server.url,
        ],
        &log.dir,
    );
    let env = ok(
        &[
            "sign",
            "--key",
            "aid.key",
            "--type",
            "message.send",
            "--body",
            r#"{"to":["ops"],"subject":"convoy","text":"request"}"#,
            "--id",
            "m1",
        ],
        &log.dir,
    );
    std::fs::write(log.dir.join("m1.json"), &env).expect("writes");
    let receipt = ok(&["submit", "--server", &server.url, "m1.json"], &log.dir);
    std::fs::write(log.dir.join("receipt.json"), &receipt).expect("writes");
    let again = ok(&["submit", "--server", &server.url, "m1.json"], &log.dir);
    assert_eq!(receipt, again, "a resubmission returns the original receipt");
    ok(&["verify", "--server", &server.url, "--vkey", &log.vkey, "--full", "--save", "cp1"], &log.dir);
    ok(&["verify", "--vkey", &log.vkey, "--proof", "receipt.json"], &log.dir);
    // The log grows; the new checkpoint must be consistent with the saved one.
    std::fs::write(
        log.dir.join("m2.json"),
        ok(
            &[
                "sign",
                "--key",
                "aid.key",
                "--type",
                "message.send",
                "--body",
                r#"{"to":["ops"],"subject":"s","text":"t"}"#,
            ],
            &log.dir,
        ),
    )
    .expect("writes");
    ok(&["submit", "--server", &server.url, "m2.json"], &log.dir);
    let out = ok(&["verify", "--server", &server.url, "--vkey", &log.vkey, "--since", "cp1"], &log.dir);
    assert!(out.contains("consistency OK: size 3 -> 4"), "{out}");
    // A different log key must not verify.
    let other = SignerKey::from_seed("e2e.corridor/log", [9; 32]).expect("name").verifier().to_vkey();
    assert!(!corridor(&["verify", "--server", &server.url, "--vkey", &other], &log.dir).0);
    let messages: Value =
        serde_json::from_str(&get_text(&format!("{}/v1/messages?to=ops", server.url)).await).expect("json");
    assert_eq!(messages["messages"].as_array().map(Vec::len), Some(2));
    drop(server);
    let audit = ok(&["audit", "--data", d], &log.dir);
    assert!(audit.contains("audit OK: 4 entries, 4 signatures, 4 checkpoints"), "{audit}");
}

#[tokio::test(flavor = "multi_thread")]
async fn each_kind_of_bad_input_is_refused_and_changes_nothing() {
    let log = init();
    let server = Server::start(&log.data);
    let client = reqwest::Client::new();
    let ops = ops_key(&log);
    let (status, first, _) =
        post(&client, &server.url, serde_json::to_vec(&message(&ops, "m1")).expect("json")).await;
    assert_eq!(status, 201);
    let register = async |id: &str, kind: &str, seed: u8| {
        let key = SignerKey::from_seed(id, [seed; 32]).expect("name");
        let body = json!({"id": id, "name": id, "kind": kind, "keys": [key.verifier().to_vkey()]});
        let reg = envelope(&ops, "party.register", &format!("r-{id}"), body);
        assert_eq!(post(&client, &server.url, serde_json::to_vec(&reg).expect("json")).await.0, 201);
        key
    };
    let aid = register("aid-one", "agency", 3).await;
    let mil = register("mil", "armed_force", 5).await;
    let revoke = envelope(&aid, "party.key.revoke", "k1", json!({"vkey": aid.verifier().to_vkey()}));
    assert_eq!(post(&client, &server.url, serde_json::to_vec(&revoke).expect("json")).await.0, 201);
    let before = get_text(&format!("{}/checkpoint", server.url)).await;

    let mut bad_b64 = message(&ops, "x1");
    bad_b64["payload"] = json!("not base64!");
    let mut bad_sig = message(&ops, "x2");
    bad_sig["signatures"][0]["sig"] = json!(B64.encode([7u8; 64]));
    let stranger = SignerKey::from_seed("stranger", [4; 32]).expect("name");
    let unknown_type = envelope(&ops, "message.shout", "x3", json!({}));
    let invalid_body = envelope(&ops, "message.send", "x4", json!({"to": [], "subject": "s", "text": ""}));
    let unauthorized = envelope(
        &mil,
        "party.register",
        "x5",
        json!({"id": "stranger", "name": "S", "kind": "agency", "keys": [stranger.verifier().to_vkey()]}),
    );
    let mut forged_issuer = message(&stranger, "x6");
    forged_issuer["signatures"] = message(&ops, "x6")["signatures"].clone();
    let dup =
        envelope(&ops, "message.send", "m1", json!({"to": ["ops"], "subject": "different", "text": ""}));
    let huge = json!({"payloadType": "application/vnd.corridor.statement.v1+json", "payload": B64.encode(vec![b'a'; 70_000]), "signatures": [{"keyid": "ops+00000000", "sig": ""}]});
    let cases: Vec<(Vec<u8>, u16, &str)> = vec![
        (b"{\"payloadType\":".to_vec(), 400, "malformed_json"),
        (serde_json::to_vec(&bad_b64).expect("json"), 400, "bad_base64"),
        (serde_json::to_vec(&message(&stranger, "x0")).expect("json"), 403, "unknown_key"),
        (serde_json::to_vec(&bad_sig).expect("json"), 403, "bad_signature"),
        (serde_json::to_vec(&message(&aid, "x7")).expect("json"), 403, "revoked_key"),
        (serde_json::to_vec(&forged_issuer).expect("json"), 403, "bad_signature"),
        (serde_json::to_vec(&unauthorized).expect("json"), 403, "unauthorized"),
        (serde_json::to_vec(&dup).expect("json"), 409, "duplicate_id"),
        (serde_json::to_vec(&huge).expect("json"), 413, "too_large"),
        (serde_json::to_vec(&unknown_type).expect("json"), 400, "unknown_type"),
        (serde_json::to_vec(&invalid_body).expect("json"), 400, "invalid_body"),
    ];
    for (body, want_status, want_code) in cases {
        let (status, problem, ctype) = post(&client, &server.url, body).await;
        let code = problem["code"].as_str().unwrap_or_default().to_owned();
        assert_eq!((code.as_str(), status), (want_code, want_status), "{problem}");
        assert_eq!(ctype.as_deref(), Some("application/problem+json"));
        assert_eq!(problem["status"], json!(status));
    }
    assert_eq!(get_text(&format!("{}/checkpoint", server.url)).await, before, "nothing changed");
    // The original is still there, with the same receipt.
    let (status, again, _) =
        post(&client, &server.url, serde_json::to_vec(&message(&ops, "m1")).expect("json")).await;
    assert_eq!((status, again), (200, first));
}

#[tokio::test(flavor = "multi_thread")]
async fn sigkill_mid_burst_loses_no_acknowledged_statement() {
    sigkill_mid_burst(&init()).await;
}

/// The same on a log kept in PostgreSQL (`init --store postgres://…`), in a
/// schema of its own; the directory's config names the store, so `serve`
/// and `audit` need no `--store`.
#[tokio::test(flavor = "multi_thread")]
async fn a_log_in_postgres_survives_sigkill_and_audits() {
    let schema = support::PgSchema::new("e2e");
    let log = init_with(&["--store", &schema.url()]);
    sigkill_mid_burst(&log).await;
    assert!(!log.data.join("corridor.db").exists(), "nothing was written to SQLite");
    // A second directory cannot init over the same log.
    let other = log.dir.join("other");
    let (done, _, stderr) = corridor(
        &[
            "init",
            "--data",
            other.to_str().expect("utf8"),
            "--origin",
            "x.corridor/log",
            "--store",
            &schema.url(),
        ],
        &log.dir,
    );
    assert!(!done && stderr.contains("already holds a log"), "{stderr}");
    assert!(!other.join("config.json").exists(), "nothing of the refused directory was written");
}

/// Two nodes serving one database: the later one follows the log, serves
/// what the first logged with the same checkpoint, and forwards
/// submissions to it, so a client gets the leader's receipt through either.
#[tokio::test(flavor = "multi_thread")]
async fn a_second_node_on_one_database_follows_and_forwards() {
    let schema = support::PgSchema::new("follow");
    let log = init_with(&["--store", &schema.url()]);
    let second = another_node(&log, "second");
    let ops = ops_key(&log);
    let client = reqwest::Client::new();
    let first = Server::start(&log.data);
    let body = |id: &str| serde_json::to_vec(&message(&ops, id)).expect("json");
    let (status, kept, _) = post(&client, &first.url, body("before")).await;
    assert_eq!(status, 201, "{kept}");
    let later = Server::start(&second);
    let (status, forwarded, _) = post(&client, &later.url, body("through-the-follower")).await;
    assert_eq!(status, 201, "{forwarded}");
    assert_eq!(
        forwarded["index"].as_u64(),
        Some(kept["index"].as_u64().expect("index") + 1),
        "no gap, no fork"
    );
    let read_back =
        reqwest::get(format!("{}/v1/entries/{}", later.url, forwarded["index"])).await.expect("gets");
    assert_eq!(read_back.status(), 200, "the follower serves what it forwarded as soon as it answers");
    let (status, again, _) = post(&client, &later.url, body("before")).await;
    assert_eq!((status, &again), (200, &kept), "the first server's receipt, through the second");
    let leader: Value =
        reqwest::get(format!("{}/v1/log", first.url)).await.expect("log").json().await.expect("json");
    assert_eq!(leader["node"]["role"], "leader");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let info: Value =
            reqwest::get(format!("{}/v1/log", later.url)).await.expect("log").json().await.expect("json");
        assert_eq!(info["node"]["role"], "follower");
        assert_eq!(info["node"]["leader"].as_str(), Some(first.url.as_str()));
        if info["size"] == leader["size"] {
            assert_eq!(info["checkpoint"], leader["checkpoint"], "the leader's checkpoint, on the follower");
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the follower never caught up: {info}");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    drop(later);
    ok(&["audit", "--data", second.to_str().expect("utf8")], &log.dir);
}

/// A leader asked to stop gives up its lease at once: its open event
/// streams may hold the process through the drain's grace period, and the
/// cluster must not go without a writer meanwhile.
#[tokio::test(flavor = "multi_thread")]
async fn a_leader_shutting_down_hands_over_before_it_exits() {
    let schema = support::PgSchema::new("resign");
    let log = init_with(&["--store", &schema.url()]);
    // A lease far longer than the wait below: only giving it up hands over.
    let node = |data: &Path| {
        let data = data.to_str().expect("utf8").to_owned();
        start_with(&["serve", "--data", &data, "--listen", "127.0.0.1:0", "--lease-ms", "120000"], &log.dir)
    };
    let mut first = node(&log.data);
    let second = node(&another_node(&log, "second"));
    // An open event stream keeps the first process draining after SIGTERM.
    let stream = reqwest::get(format!("{}/v1/events", first.url)).await.expect("subscribes");
    assert_eq!(stream.status(), 200);
    let pid = first.child.id().to_string();
    assert!(std::process::Command::new("kill").args(["-TERM", &pid]).status().expect("kill").success());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let info: Value =
            reqwest::get(format!("{}/v1/log", second.url)).await.expect("log").json().await.expect("json");
        if info["node"]["role"] == "leader" {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the second node never led: {info}");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(
        first.child.try_wait().expect("waits").is_none(),
        "handed over while still draining, not on exit"
    );
    let body = serde_json::to_vec(&message(&ops_key(&log), "after-handover")).expect("json");
    let (status, receipt, _) = post(&reqwest::Client::new(), &second.url, body).await;
    assert_eq!(status, 201, "{receipt}");
    drop(stream);
}

/// A single server asked to stop ends its open event streams, cleanly,
/// rather than hold the shutdown until its grace period cuts them.
#[tokio::test(flavor = "multi_thread")]
async fn shutting_down_ends_open_event_streams() {
    let log = init();
    let mut server = Server::start(&log.data);
    let stream = reqwest::get(format!("{}/v1/events", server.url)).await.expect("subscribes");
    assert_eq!(stream.status(), 200);
    let pid = server.child.id().to_string();
    assert!(std::process::Command::new("kill").args(["-INT", &pid]).status().expect("kill").success());
    // A stream cut at the grace period's end fails to read to its end.
    stream.bytes().await.expect("the stream ends cleanly");
    let exit = tokio::task::block_in_place(|| server.child.wait()).expect("exits");
    assert!(exit.success(), "{exit:?}");
}

/// A node whose advertised URL reaches another node (or none) would have
/// every follower forward to the wrong place while it leads: it exits.
#[tokio::test(flavor = "multi_thread")]
async fn a_node_advertising_another_nodes_url_exits() {
    let schema = support::PgSchema::new("advertise");
    let log = init_with(&["--store", &schema.url()]);
    let first = Server::start(&log.data);
    let second = another_node(&log, "second");
    let data = second.to_str().expect("utf8");
    let args = ["serve", "--data", data, "--listen", "127.0.0.1:0", "--advertise", &first.url];
    let mut wrong = start_with(&args, &log.dir);
    let exit = tokio::task::block_in_place(|| wrong.child.wait()).expect("exits");
    assert_eq!(exit.code(), Some(78), "EX_CONFIG");
    let info: Value =
        reqwest::get(format!("{}/v1/log", first.url)).await.expect("log").json().await.expect("json");
    assert_eq!(info["node"]["role"], "leader", "the first node was not disturbed: {info}");
}

/// Another node's data directory for the same log: its config and log key.
fn another_node(log: &Log, name: &str) -> PathBuf {
    let node = log.dir.join(name);
    std::fs::create_dir_all(node.join("keys")).expect("mkdir");
    for file in ["config.json", "keys/log.key"] {
        std::fs::copy(log.data.join(file), node.join(file)).expect("copies the node's files");
    }
    node
}

/// A node pointed at the wrong store (a mistyped schema, another log) is
/// refused before it opens the writer, so the server that holds the log
/// keeps writing; an audit of a store with no log fails.
#[tokio::test(flavor = "multi_thread")]
async fn a_server_pointed_at_the_wrong_log_refuses_and_fences_no_one() {
    let (ours, theirs, empty) =
        (support::PgSchema::new("ours"), support::PgSchema::new("theirs"), support::PgSchema::new("empty"));
    let log = init_with(&["--store", &ours.url()]);
    let other = log.dir.join("other");
    let other_data = other.to_str().expect("utf8");
    ok(&["init", "--data", other_data, "--origin", "other.corridor/log", "--store", &theirs.url()], &log.dir);
    let server = Server::start(&log.data);
    let node = another_node(&log, "node2");
    let data = node.to_str().expect("utf8");
    for (args, why) in [
        (vec!["serve", "--data", data, "--store", &empty.url()], "holds no Corridor log"),
        (
            vec!["serve", "--data", other_data, "--store", &ours.url()],
            "not signed by this directory's log key",
        ),
        (vec!["audit", "--data", data, "--store", &empty.url()], "holds no Corridor log"),
    ] {
        let (done, _, stderr) = corridor(&args, &log.dir);
        assert!(!done && stderr.contains(why), "{args:?}: {stderr}");
    }
    let client = reqwest::Client::new();
    let body = serde_json::to_vec(&message(&ops_key(&log), "still-writing")).expect("json");
    let (status, receipt, _) = post(&client, &server.url, body).await;
    assert_eq!(status, 201, "the serving node was not fenced: {receipt}");
}

async fn sigkill_mid_burst(log: &Log) {
    let ops = ops_key(log);
    let mut server = Server::start(&log.data);
    let client = reqwest::Client::new();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Value>();
    let mut tasks = vec![];
    for worker in 0..16 {
        let (client, url, tx, ops) = (client.clone(), server.url.clone(), tx.clone(), ops.clone());
        tasks.push(tokio::spawn(async move {
            for i in 0..1_000 {
                let body = serde_json::to_vec(&message(&ops, &format!("w{worker}-{i}"))).expect("json");
                match client.post(format!("{url}/v1/statements")).body(body).send().await {
                    Ok(resp) if resp.status() == 201 => {
                        let _ = tx.send(resp.json().await.unwrap_or(Value::Null));
                    }
                    _ => return,
                }
            }
        }));
    }
    drop(tx);
    // Kill once a good number of receipts are in, while the burst is going on.
    let mut receipts = vec![];
    while receipts.len() < 500 {
        receipts.push(rx.recv().await.expect("receipts keep coming"));
    }
    server.kill9();
    for t in tasks {
        let _ = t.await;
    }
    while let Ok(r) = rx.try_recv() {
        receipts.push(r);
    }
    let receipts: Vec<Value> = receipts.into_iter().filter(|r| !r.is_null()).collect();
    let vkey = VerifierKey::parse(&log.vkey).expect("vkey");
    let last_seen = receipts
        .iter()
        .map(|r| SignedCheckpoint::open(r["checkpoint"].as_str().expect("note"), &vkey).expect("signed"))
        .max_by_key(|c| c.checkpoint.size)
        .expect("some receipts");

    let server = Server::start(&log.data);
    assert!(!receipts.is_empty());
    for r in &receipts {
        let index = r["index"].as_u64().expect("index");
        let entry: Value =
            serde_json::from_str(&get_text(&format!("{}/v1/entries/{index}", server.url)).await)
                .expect("json");
        assert_eq!(entry["leaf_hash"], r["leaf_hash"], "entry {index} survived with the same leaf hash");
        let proof = parse_tlog_proof(r["tlog_proof"].as_str().expect("proof")).expect("parses");
        let leaf: [u8; 32] =
            B64.decode(r["leaf_hash"].as_str().expect("b64")).expect("b64").try_into().expect("32");
        proof.verify(&leaf, &vkey).expect("receipt verifies");
    }
    let now = SignedCheckpoint::open(&get_text(&format!("{}/checkpoint", server.url)).await, &vkey)
        .expect("signed");
    let (from, to) = (last_seen.checkpoint.size, now.checkpoint.size);
    assert!(to >= from);
    let resp: Value = serde_json::from_str(
        &get_text(&format!("{}/v1/proofs/consistency?from={from}&to={to}", server.url)).await,
    )
    .expect("json");
    let proof: Vec<[u8; 32]> = resp["proof"]
        .as_array()
        .expect("proof")
        .iter()
        .map(|h| B64.decode(h.as_str().expect("str")).expect("b64").try_into().expect("32"))
        .collect();
    verify_consistency(from, to, &proof, &last_seen.checkpoint.root, &now.checkpoint.root)
        .expect("consistent across the crash");
    drop(server);
    ok(&["audit", "--data", log.data.to_str().expect("utf8")], &log.dir);
}

/// Tiles fetched over HTTP from the server, for an independent tlog implementation.
struct HttpTiles {
    url: String,
    handle: tokio::runtime::Handle,
}

impl tlog_tiles::TileReader for HttpTiles {
    fn height(&self) -> u8 {
        8
    }

    fn read_tiles(&self, tiles: &[tlog_tiles::Tile]) -> Result<Vec<Vec<u8>>, tlog_tiles::Error> {
        tiles
            .iter()
            .map(|t| {
                let width = if t.width() == 256 { String::new() } else { format!(".p/{}", t.width()) };
                let path =
                    corridor_tlog::TilePath { level: Some(t.level()), index: t.level_index(), width: None }
                        .render();
                let url = format!("{}/tile/{path}{width}", self.url);
                let bytes = tokio::task::block_in_place(|| {
                    self.handle
                        .block_on(async { reqwest::get(&url).await?.error_for_status()?.bytes().await })
                });
                bytes
                    .map(|b| b.to_vec())
                    .map_err(|_| tlog_tiles::Error::InvalidInput("tile fetch failed".into()))
            })
            .collect()
    }

    fn save_tiles(&self, _tiles: &[tlog_tiles::Tile], _data: &[Vec<u8>]) {}
}

/// Checks the log with independent implementations of C2SP signed notes,
/// checkpoints and tiles and of RFC 6962 proofs, that this project did not write.
#[tokio::test(flavor = "multi_thread")]
async fn an_independent_verifier_accepts_checkpoints_tiles_and_proofs() {
    let log = init();
    let server = Server::start(&log.data);
    let client = reqwest::Client::new();
    let ops = ops_key(&log);
    let mut receipts = vec![];
    for i in 0..700 {
        let (status, receipt, _) =
            post(&client, &server.url, serde_json::to_vec(&message(&ops, &format!("i{i}"))).expect("json"))
                .await;
        assert_eq!(status, 201);
        receipts.push(receipt);
    }
    let verifiers = signed_note::VerifierList::new(vec![Box::new(
        signed_note::StandardVerifier::new(&log.vkey).expect("their parser reads our vkey"),
    )]);
    let open = |text: &str| {
        let note = signed_note::Note::from_bytes(text.as_bytes()).expect("their parser reads our note");
        let (verified, _) = note.verify(&verifiers).expect("their verifier accepts our signature");
        assert_eq!(verified.len(), 1);
        tlog_tiles::Checkpoint::from_bytes(note.text()).expect("their parser reads our checkpoint")
    };
    let now = open(&get_text(&format!("{}/checkpoint", server.url)).await);
    assert_eq!((now.origin(), now.size()), ("e2e.corridor/log", 701));
    let reader = HttpTiles { url: server.url.clone(), handle: tokio::runtime::Handle::current() };
    let hashes = tlog_tiles::TileHashReader::new(now.size(), *now.hash(), &reader);
    let root = tokio::task::block_in_place(|| tlog_tiles::tree_hash(now.size(), &hashes))
        .expect("tiles authenticate against the checkpoint");
    assert_eq!(&root, now.hash());
    for r in receipts.iter().step_by(37) {
        let index = r["index"].as_u64().expect("index");
        let cp = open(r["checkpoint"].as_str().expect("note"));
        let proof: Vec<tlog_tiles::Hash> = r["inclusion_proof"]
            .as_array()
            .expect("proof")
            .iter()
            .map(|h| {
                tlog_tiles::Hash(B64.decode(h.as_str().expect("str")).expect("b64").try_into().expect("32"))
            })
            .collect();
        let leaf = tlog_tiles::Hash(
            B64.decode(r["leaf_hash"].as_str().expect("b64")).expect("b64").try_into().expect("32"),
        );
        tlog_tiles::check_record(&proof, cp.size(), *cp.hash(), index, leaf)
            .expect("their verifier accepts our inclusion proof");
        let entry: Value =
            serde_json::from_str(&get_text(&format!("{}/v1/entries/{index}", server.url)).await)
                .expect("json");
        let bytes = B64.decode(entry["entry"].as_str().expect("b64")).expect("b64");
        assert_eq!(tlog_tiles::record_hash(&bytes), leaf, "their leaf hash of our entry bytes");
        let theirs = tokio::task::block_in_place(|| tlog_tiles::prove_record(now.size(), index, &hashes))
            .expect("proves");
        tlog_tiles::check_record(&theirs, now.size(), *now.hash(), index, leaf)
            .expect("their proof from our tiles");
        // Our consistency proof from the receipt's checkpoint to now, checked by them.
        let resp: Value = serde_json::from_str(
            &get_text(&format!("{}/v1/proofs/consistency?from={}&to={}", server.url, cp.size(), now.size()))
                .await,
        )
        .expect("json");
        let consistency: Vec<tlog_tiles::Hash> = resp["proof"]
            .as_array()
            .expect("proof")
            .iter()
            .map(|h| {
                tlog_tiles::Hash(B64.decode(h.as_str().expect("str")).expect("b64").try_into().expect("32"))
            })
            .collect();
        tlog_tiles::check_tree(&consistency, now.size(), *now.hash(), cp.size(), *cp.hash())
            .expect("their verifier accepts our consistency proof");
    }
}

/// Registers `id` (kind `kind`) with a key from `seed`, as the operator, over HTTP.
async fn register_party(
    client: &reqwest::Client,
    url: &str,
    ops: &SignerKey,
    id: &str,
    kind: &str,
    seed: u8,
) -> SignerKey {
    let key = SignerKey::from_seed(id, [seed; 32]).expect("name");
    let body = json!({"id": id, "name": id, "kind": kind, "keys": [key.verifier().to_vkey()]});
    let reg = envelope(ops, "party.register", &format!("r-{id}"), body);
    assert_eq!(post(client, url, serde_json::to_vec(&reg).expect("json")).await.0, 201);
    key
}

async fn file(
    client: &reqwest::Client,
    url: &str,
    key: &SignerKey,
    kind: &str,
    id: &str,
    body: Value,
) -> (u16, Value) {
    let (status, v, _) =
        post(client, url, serde_json::to_vec(&envelope(key, kind, id, body)).expect("json")).await;
    (status, v)
}

async fn get_json(url: &str) -> Value {
    serde_json::from_str(&get_text(url).await).expect("json")
}

/// Waits until the witnesses' quorum has cosigned the log's current size,
/// polling `/v1/log` (no event announces a cosignature) until a deadline;
/// returns that size.
async fn wait_cosigned(url: &str) -> u64 {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let log = get_json(&format!("{url}/v1/log")).await;
        if log["cosigned_size"].as_u64().is_some_and(|c| Some(c) == log["size"].as_u64()) {
            return log["size"].as_u64().expect("size");
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the witnesses never cosigned the latest checkpoint: {log}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// Reads server-sent events until one of `kind` arrives, or fails after `limit`.
async fn next_event(resp: &mut reqwest::Response, kind: &str, limit: std::time::Duration) -> Value {
    let mut buf = String::new();
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        while let Some(end) = buf.find("\n\n") {
            let block: String = buf.drain(..end + 2).collect();
            let event = block.lines().find_map(|l| l.strip_prefix("event: ")).unwrap_or("");
            let data = block.lines().find_map(|l| l.strip_prefix("data: ")).unwrap_or("null");
            if event == kind {
                return serde_json::from_str(data).expect("event data is JSON");
            }
        }
        let chunk = tokio::time::timeout_at(deadline, resp.chunk()).await;
        let chunk =
            chunk.unwrap_or_else(|_| panic!("no {kind} event in time")).expect("stream").expect("open");
        buf.push_str(&String::from_utf8_lossy(&chunk));
    }
}

/// The access scenario over HTTP, as an outside client drives it: zones decide
/// who must clear a convoy; only they may answer; bad geometry is refused; an
/// operation over a notified site raises a conflict pushed to its operator.
#[tokio::test(flavor = "multi_thread")]
async fn clearance_and_conflicts_over_http() {
    let log = init();
    let server = Server::start(&log.data);
    let (client, url) = (reqwest::Client::new(), server.url.clone());
    let ops = ops_key(&log);
    let authority = register_party(&client, &url, &ops, "authority", "authority", 11).await;
    let force = register_party(&client, &url, &ops, "force", "armed_force", 12).await;
    let agency = register_party(&client, &url, &ops, "agency", "agency", 13).await;
    let square = |x0: f64, y0: f64, x1: f64, y1: f64| json!({"type": "Polygon", "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]});
    let window = json!({"from": "2026-01-01T00:00:00.000Z"});
    assert_eq!(
        file(
            &client,
            &url,
            &authority,
            "zone.declare",
            "west",
            json!({"name": "west", "geometry": square(36.0, 33.0, 37.0, 34.0), "window": window})
        )
        .await
        .0,
        201
    );
    assert_eq!(
        file(
            &client,
            &url,
            &force,
            "zone.declare",
            "east",
            json!({"name": "east", "geometry": square(38.0, 33.0, 39.0, 34.0), "window": window})
        )
        .await
        .0,
        201
    );
    // An agency cannot declare a zone of control.
    assert_eq!(
        file(
            &client,
            &url,
            &agency,
            "zone.declare",
            "z",
            json!({"name": "z", "geometry": square(40.0, 33.0, 41.0, 34.0), "window": window})
        )
        .await
        .1["code"],
        "unauthorized"
    );

    let before = get_text(&format!("{url}/checkpoint")).await;
    let unclosed =
        json!({"type": "Polygon", "coordinates": [[[36.0, 33.0], [37.0, 33.0], [37.0, 34.0], [36.0, 34.0]]]});
    let (status, problem) = file(
        &client,
        &url,
        &authority,
        "zone.declare",
        "bad",
        json!({"name": "bad", "geometry": unclosed, "window": window}),
    )
    .await;
    assert_eq!((status, problem["code"].as_str()), (400, Some("unclosed_ring")), "{problem}");
    let bowtie = json!({"type": "Polygon", "coordinates": [[[36.0, 33.0], [37.0, 34.0], [37.0, 33.0], [36.0, 34.0], [36.0, 33.0]]]});
    let (status, problem) = file(
        &client,
        &url,
        &authority,
        "zone.declare",
        "bad2",
        json!({"name": "bad", "geometry": bowtie, "window": window}),
    )
    .await;
    assert_eq!((status, problem["code"].as_str()), (400, Some("self_intersecting_ring")), "{problem}");
    assert_eq!(get_text(&format!("{url}/checkpoint")).await, before, "refusals changed nothing");

    let route = json!({"type": "LineString", "coordinates": [[36.5, 33.5], [38.5, 33.5]]});
    let plan = json!({"purpose": "aid_delivery", "route": route, "corridor_m": 500, "window": {"from": "2026-12-01T00:00:00.000Z", "to": "2026-12-02T00:00:00.000Z"},
        "origin": "A", "destination": "B", "vehicles": 10, "people": 20, "escort_from": [], "manifest": []});
    assert_eq!(file(&client, &url, &agency, "movement.request", "convoy", plan).await.0, 201);
    let m = get_json(&format!("{url}/v1/movements/agency/convoy")).await;
    let approvers: Vec<&str> = m["required_approvers"]
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|a| a["party"].as_str())
        .collect();
    assert_eq!(approvers, vec!["authority", "force"], "both zones the route crosses");
    assert_eq!(m["status"], "pending");

    // Only a required approver answers.
    let outsider = file(
        &client,
        &url,
        &ops,
        "movement.respond",
        "x",
        json!({"movement": "agency/convoy", "decision": "approve"}),
    )
    .await;
    assert_eq!(outsider.1["code"], "unauthorized");
    assert_eq!(
        file(
            &client,
            &url,
            &authority,
            "movement.respond",
            "ok",
            json!({"movement": "agency/convoy", "decision": "approve"})
        )
        .await
        .0,
        201
    );
    assert_eq!(get_json(&format!("{url}/v1/movements/agency/convoy")).await["status"], "pending");
    assert_eq!(file(&client, &url, &force, "movement.respond", "ok", json!({"movement": "agency/convoy", "decision": "approve_with_conditions", "conditions": ["escort"]})).await.0, 201);
    assert_eq!(
        get_json(&format!("{url}/v1/movements/agency/convoy")).await["status"],
        "cleared_with_conditions"
    );
    // An amendment resets the responses.
    assert_eq!(
        file(
            &client,
            &url,
            &agency,
            "movement.amend",
            "a1",
            json!({"movement": "agency/convoy", "corridor_m": 800})
        )
        .await
        .0,
        201
    );
    let m = get_json(&format!("{url}/v1/movements/agency/convoy")).await;
    assert_eq!(m["status"], "pending");
    assert!(m["required_approvers"].as_array().expect("list").iter().all(|a| a["response"].is_null()));

    // A site, then an operation over it: the site's operator hears of it at once.
    assert_eq!(
        file(
            &client,
            &url,
            &agency,
            "site.notify",
            "clinic",
            json!({"name": "clinic", "category": "clinic",
        "geometry": {"type": "Point", "coordinates": [38.5, 33.8]}, "buffer_m": 200, "window": window})
        )
        .await
        .0,
        201
    );
    let mut events = client.get(format!("{url}/v1/events?party=agency")).send().await.expect("subscribes");
    let op = json!({"name": "op", "geometry": square(38.49, 33.79, 38.6, 33.9), "window": {"from": "2026-06-01T00:00:00.000Z", "to": "2026-06-02T00:00:00.000Z"}, "standoff_m": 100, "notified": []});
    assert_eq!(file(&client, &url, &force, "operation.notify", "op1", op).await.0, 201);
    let event = next_event(&mut events, "conflict", std::time::Duration::from_secs(1)).await;
    assert_eq!(event["detail"]["with"]["site"], "agency/clinic");
    let conflicts = get_json(&format!("{url}/v1/conflicts?party=agency")).await;
    assert_eq!(conflicts["conflicts"].as_array().map(Vec::len), Some(1));
    assert_eq!(conflicts["conflicts"][0]["distance_m"], 0.0);
    let sites = get_json(&format!("{url}/v1/sites?bbox=38,33,39,34")).await;
    assert_eq!(sites["features"][0]["id"], "agency/clinic");
}

/// The demo: every view has something in it, and replaying the log after a
/// restart yields a byte-identical state digest.
#[tokio::test(flavor = "multi_thread")]
async fn the_demo_fills_every_view_and_replays_identically() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut demo = start_with(&["demo", "--data", "d", "--listen", "127.0.0.1:0"], tmp.path());
    let url = demo.url.clone();
    let convoy = get_json(&format!("{url}/v1/movements/relief-consortium/convoy-rukban")).await;
    assert_eq!(convoy["status"], "pending");
    let answered: Vec<bool> = convoy["required_approvers"]
        .as_array()
        .expect("list")
        .iter()
        .map(|a| !a["response"].is_null())
        .collect();
    assert_eq!(answered, vec![true, false], "one approver answered, the other has not");
    let conflicts = get_json(&format!("{url}/v1/conflicts")).await;
    assert!(conflicts["conflicts"].as_array().expect("list").iter().any(|c| c["with"]["kind"] == "site"));
    let agreements = get_json(&format!("{url}/v1/agreements")).await;
    assert!(!agreements["features"][0]["properties"]["corridors"].as_array().expect("corridors").is_empty());
    let movements = get_json(&format!("{url}/v1/movements")).await;
    assert!(movements["features"]
        .as_array()
        .expect("list")
        .iter()
        .any(|f| f["properties"]["purpose"] == "relocation"));
    // Every collection pages with after=: one at a time reaches exactly the whole list.
    for view in ["zones", "sites", "movements", "operations", "agreements", "incidents"] {
        let all = get_json(&format!("{url}/v1/{view}")).await["features"].clone();
        let mut paged = Vec::new();
        let mut next = format!("{url}/v1/{view}?limit=1");
        loop {
            let page = get_json(&next).await;
            paged.extend(page["features"].as_array().expect("features").iter().map(|f| f["id"].clone()));
            let Some(after) = page["next_after"].as_str() else { break };
            next = format!("{url}/v1/{view}?limit=1&after={after}");
        }
        let ids: Vec<Value> = all.as_array().expect("features").iter().map(|f| f["id"].clone()).collect();
        assert_eq!(paged, ids, "{view}");
    }
    for view in ["zones", "sites", "operations"] {
        assert!(
            !get_json(&format!("{url}/v1/{view}")).await["features"].as_array().expect("list").is_empty(),
            "{view}"
        );
    }
    // Accountability views, checked against the scenario's own arithmetic.
    let c = get_json(&format!("{url}/v1/consignments/EX-RUKBAN-01")).await;
    let item = &c["items"][0];
    // 30,000 dispatched; 29,100 released; 15,000 + 12,000 distributed.
    assert_eq!((item["dispatched"].as_f64(), item["distributed"].as_f64()), (Some(30_000.0), Some(27_000.0)));
    assert_eq!((item["in_stock"].as_f64(), item["unaccounted"].as_f64()), (Some(2_100.0), Some(900.0)));
    assert_eq!(c["flagged"], true, "3 % unaccounted is beyond the 2 % default");
    let listed = get_json(&format!("{url}/v1/consignments")).await;
    assert_eq!(listed["consignments"][0]["consignment"], "EX-RUKBAN-01");
    assert_eq!(listed["consignments"][0]["hand_offs"], c["hand_offs"].as_array().map(Vec::len).unwrap_or(0));
    // Claims page by reference: one at a time reaches the same list as one page.
    let all = get_json(&format!("{url}/v1/claims")).await["claims"].clone();
    let mut paged = Vec::new();
    let mut next = format!("{url}/v1/claims?limit=1");
    loop {
        let page = get_json(&next).await;
        paged.extend(page["claims"].as_array().expect("claims").iter().cloned());
        let Some(after) = page["next_after"].as_str() else { break };
        next = format!("{url}/v1/claims?limit=1&after={after}");
    }
    assert!(paged.len() >= 2, "the demo records contradicting claims");
    assert_eq!(Value::Array(paged), all);
    let c5 = get_json(&format!("{url}/v1/consignments/EX-RUKBAN-01?tolerance=0.05")).await;
    assert_eq!(c5["flagged"], false);
    let d = get_json(&format!("{url}/v1/distributions?round=R1")).await;
    assert_eq!(d["rounds"][0]["items"][0]["below_plan"], json!(["relief-consortium/site-rukban-north"]));
    let incidents = get_json(&format!("{url}/v1/incidents")).await;
    assert_eq!(incidents["totals"]["killed"], json!({"min": 2, "max": 5}), "ranges add: 2..4 + 0..1");
    let v = get_json(&format!("{url}/v1/agreements/ops/pause-rukban/violations")).await;
    assert_eq!(v["by_alleged_perpetrator"]["southern-task-force"]["likely"], 1);
    let e = get_json(&format!("{url}/v1/incidents/health-alliance/inc-clinic-shelling/evidence")).await;
    let clinic = e["notified_sites"]
        .as_array()
        .expect("list")
        .iter()
        .find(|s| s["site"] == "health-alliance/site-rukban-clinic")
        .cloned()
        .expect("the struck clinic was notified");
    assert_eq!(clinic["relative_to_incident"], "before");
    assert_eq!(clinic["acknowledged_by"][0]["party"], "southern-task-force");
    let claim = get_json(&format!("{url}/v1/claims/ops/claim-no-request")).await;
    assert_eq!(claim["contradicts"].as_array().map(Vec::len), Some(1));
    // A hand-off signed by one side only is refused, and changes nothing.
    let key = |p: &str| {
        SignerKey::parse(
            std::fs::read_to_string(tmp.path().join(format!("d/keys/{p}.key"))).expect("key").trim(),
        )
        .expect("parses")
    };
    let client = reqwest::Client::new();
    let one_sided = envelope(
        &key("relief-consortium"),
        "custody.transfer",
        "h9",
        json!({"consignment": "EX-RUKBAN-01",
        "from": "relief-consortium", "to": "health-alliance", "items": [{"item": "food parcels", "unit": "parcel", "quantity": 10}]}),
    );
    let (status, problem, _) = post(&client, &url, serde_json::to_vec(&one_sided).expect("json")).await;
    assert_eq!((status, problem["code"].as_str()), (403, Some("unauthorized")), "{problem}");
    // Bad accountability input, each with its code.
    let bad = [
        (
            envelope(
                &key("health-alliance"),
                "incident.report",
                "b1",
                json!({"kind": "shelling", "window": {"from": "2026-01-01T00:00:00.000Z"},
            "geometry": {"type": "Point", "coordinates": [38.6, 33.3]}, "precision_m": 100, "casualties": {"killed": {"min": 5, "max": 2}}}),
            ),
            "invalid_body",
        ),
        (
            envelope(
                &key("relief-consortium"),
                "distribution.report",
                "b2",
                json!({"site": "relief-consortium/nowhere", "round": "R1",
            "period": {"from": "2026-01-01T00:00:00.000Z"}, "items": [{"item": "x", "unit": "kg", "quantity": 1}], "households": 1, "people": 1}),
            ),
            "unknown_ref",
        ),
        (
            envelope(
                &key("ops"),
                "claim.link",
                "b3",
                json!({"claim": "ops/claim-no-request", "evidence": 999_999, "relation": "supports"}),
            ),
            "unknown_ref",
        ),
        (
            envelope(
                &key("ops"),
                "claim.record",
                "b4",
                json!({"speaker": "s", "outlet": "o", "published": "yesterday", "text": "t", "stance": "denial"}),
            ),
            "invalid_body",
        ),
    ];
    for (e, code) in bad {
        assert_eq!(post(&client, &url, serde_json::to_vec(&e).expect("json")).await.1["code"], code);
    }
    // Only monitors assess.
    let grade = envelope(
        &key("relief-consortium"),
        "incident.assess",
        "g9",
        json!({"incident": "health-alliance/inc-clinic-shelling",
        "occurrence": "confirmed", "attribution": "unknown", "rationale": "x"}),
    );
    assert_eq!(
        post(&client, &url, serde_json::to_vec(&grade).expect("json")).await.1["code"],
        "unauthorized"
    );

    // Exports: CSV with an HXL hashtag row, values from the records.
    let csv = ok(&["export", "incidents", "--server", &url], tmp.path());
    let lines: Vec<&str> = csv.lines().collect();
    assert!(lines[0].starts_with("ref,kind,from,to,lat,lon"), "{}", lines[0]);
    assert!(
        lines[1].starts_with("#event+code,#event+type,#date+start,#date+end,#geo+lat,#geo+lon"),
        "{}",
        lines[1]
    );
    let clinic =
        lines.iter().find(|l| l.starts_with("health-alliance/inc-clinic-shelling,")).expect("clinic row");
    let cells: Vec<&str> = clinic.split(',').collect();
    assert_eq!((cells[4], cells[5], cells[7], cells[8]), ("33.3021", "38.6812", "2", "4"), "{clinic}");
    for kind in ["sites", "movements", "distributions"] {
        assert!(ok(&["export", kind, "--server", &url], tmp.path()).lines().count() > 2, "{kind}");
    }
    // Every GeoJSON export is an RFC 7946 FeatureCollection of Features.
    for kind in ["sites", "movements", "incidents", "distributions"] {
        let text = ok(&["export", kind, "--format", "geojson", "--server", &url], tmp.path());
        let gj: Value = serde_json::from_str(&text).expect("geojson");
        assert_eq!(gj["type"], "FeatureCollection", "{kind}");
        let features = gj["features"].as_array().expect("features");
        assert!(!features.is_empty(), "{kind}: the demo has some");
        for f in features {
            assert_eq!(f["type"], "Feature", "{kind}");
            assert!(f["properties"].is_object(), "{kind}");
            let geometry = &f["geometry"];
            assert!(geometry.is_null() || geometry["type"].is_string(), "{kind}: {geometry}");
        }
    }

    // An evidence bundle, verified after the server is gone; tampering is caught.
    // The demo's witnesses cosign; the bundle carries their cosignatures, and
    // with the policy the verifier learns when each entry was witnessed.
    let log_vkey = get_json(&format!("{url}/v1/log")).await["vkey"].as_str().expect("vkey").to_owned();
    wait_cosigned(&url).await;
    ok(&["evidence", "health-alliance/inc-clinic-shelling", "--server", &url, "--out", "bundle"], tmp.path());

    let digest = get_json(&format!("{url}/v1/state/digest")).await;
    demo.kill9();
    let verified = ok(&["verify", "--bundle", "bundle", "--vkey", &log_vkey], tmp.path());
    assert!(verified.contains("bundle OK"), "{verified}");
    let policy = "d/witness-policy.txt";
    let witnessed =
        ok(&["verify", "--bundle", "bundle", "--vkey", &log_vkey, "--policy", policy], tmp.path());
    assert!(witnessed.contains("each witnessed by the policy's quorum"), "{witnessed}");
    let times = witnessed.lines().filter(|l| l.contains(": in the log before ")).count();
    assert!(times >= 4, "every entry has its witness time: {witnessed}");
    // A policy whose witnesses did not cosign is not met.
    let stranger = ok(&["witness", "init", "--data", "stranger", "--name", "stranger.example/w"], tmp.path());
    let text = std::fs::read_to_string(tmp.path().join(policy)).expect("policy");
    let lines: Vec<&str> = text.lines().filter(|l| l.starts_with("log ")).collect();
    let other = format!("{}\nwitness s {}\nquorum s\n", lines.join("\n"), stranger.trim());
    std::fs::write(tmp.path().join("other-policy.txt"), other).expect("write");
    let (passed, out, err) = corridor(
        &["verify", "--bundle", "bundle", "--vkey", &log_vkey, "--policy", "other-policy.txt"],
        tmp.path(),
    );
    assert!(!passed && err.contains("NOT cosigned by the policy's quorum"), "{out}{err}");
    let entries: Vec<_> = std::fs::read_dir(tmp.path().join("bundle/entries")).expect("entries").collect();
    assert!(entries.len() >= 4, "incident, notification, acknowledgement and the keys that signed them");
    let first = entries[0].as_ref().expect("entry").path();
    let mut bytes = std::fs::read(&first).expect("read");
    bytes[10] ^= 1;
    std::fs::write(&first, bytes).expect("write");
    assert!(
        !corridor(&["verify", "--bundle", "bundle", "--vkey", &log_vkey], tmp.path()).0,
        "a changed entry fails"
    );
    let again = start_with(&["serve", "--data", "d", "--listen", "127.0.0.1:0"], tmp.path());
    assert_eq!(get_json(&format!("{}/v1/state/digest", again.url)).await, digest);
}

/// The console is served at `/` with its scripts and styles, under a policy
/// that lets it talk to this origin only; API paths keep their answers.
#[tokio::test(flavor = "multi_thread")]
async fn the_console_is_served_beside_the_api() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let demo = start_with(&["demo", "--data", "d", "--listen", "127.0.0.1:0"], tmp.path());
    let url = demo.url.clone();
    let client = reqwest::Client::new();
    let index = client.get(format!("{url}/")).send().await.expect("GET /");
    assert_eq!(index.status(), 200);
    let header = |r: &reqwest::Response, name: &str| {
        r.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned()
    };
    assert!(header(&index, "content-type").starts_with("text/html"));
    assert!(header(&index, "content-security-policy").contains("default-src 'self'"));
    let html = index.text().await.expect("body");
    // Every file the page loads is served, with a type the browser will run.
    let linked: Vec<&str> = html
        .split(['"', '\''])
        .filter(|s| s.ends_with(".js") || s.ends_with(".css"))
        .map(|s| s.trim_start_matches("./").trim_start_matches('/'))
        .collect();
    assert!(linked.iter().any(|l| l.ends_with(".js")), "the page loads a script: {html}");
    for file in linked {
        let r = client.get(format!("{url}/{file}")).send().await.expect("GET asset");
        assert_eq!(r.status(), 200, "{file}");
        let expected = if file.ends_with(".js") { "text/javascript" } else { "text/css" };
        assert!(header(&r, "content-type").starts_with(expected), "{file}");
    }
    // Clients that ask get gzip, except for tiles (hashes do not compress).
    let gzip = |path: String| client.get(path).header("accept-encoding", "gzip").send();
    let script = gzip(format!("{url}/app.js")).await.expect("GET app.js");
    assert_eq!(header(&script, "content-encoding"), "gzip");
    let tile = gzip(format!("{url}/tile/0/000.p/3")).await.expect("GET tile");
    assert_eq!((tile.status().as_u16(), header(&tile, "content-encoding")), (200, String::new()));
    // API paths are never shadowed; unknown ones stay problem+json.
    wait_cosigned(&url).await;
    assert!(get_text(&format!("{url}/checkpoint"))
        .await
        .lines()
        .nth(1)
        .is_some_and(|l| l.parse::<u64>().is_ok()));
    for (method, path) in [("GET", "/v1/nope"), ("GET", "/../Cargo.toml"), ("GET", "/nope.js"), ("POST", "/")]
    {
        let r = client
            .request(method.parse().expect("method"), format!("{url}{path}"))
            .send()
            .await
            .expect("request");
        assert_eq!(r.status(), 404, "{method} {path}");
        assert_eq!(header(&r, "content-type"), "application/problem+json", "{method} {path}");
    }
}

/// Signs `payload` (statement JSON, spelled exactly as given) with `keys`.
fn signed_text(payload: &str, keys: &[&SignerKey]) -> Value {
    serde_json::to_value(sign(payload.as_bytes(), keys)).expect("json")
}

fn demo_key(dir: &Path, party: &str) -> SignerKey {
    let text = std::fs::read_to_string(dir.join(format!("d/keys/{party}.key"))).expect("key");
    SignerKey::parse(text.trim()).expect("parses")
}

#[tokio::test(flavor = "multi_thread")]
async fn every_spelling_another_reader_could_read_differently_is_refused() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let demo = start_with(&["demo", "--data", "d", "--listen", "127.0.0.1:0"], tmp.path());
    let client = reqwest::Client::new();
    let aid = demo_key(tmp.path(), "relief-consortium");
    let authority = demo_key(tmp.path(), "central-authority");
    let statement = |kind: &str, id: &str, time: &str, body: &str| {
        format!(
            r#"{{"type":"{kind}","issuer":"relief-consortium","id":"{id}","issued_at":"{time}","body":{body}}}"#
        )
    };
    const T: &str = "2026-11-22T10:00:00.000Z";
    let message = |id: &str, time: &str| {
        statement("message.send", id, time, r#"{"to":["ops"],"subject":"s","text":"t"}"#)
    };
    let movement = |id: &str, quantity: &str, escort: &str| {
        let body = format!(
            r#"{{"purpose":"aid_delivery","route":{{"type":"LineString","coordinates":[[36.3,33.5],[36.4,33.6]]}},"corridor_m":500,"window":{{"from":"2027-01-01T00:00:00.000Z","to":"2027-01-02T00:00:00.000Z"}},"origin":"A","destination":"B","vehicles":2,"people":4,"escort_from":[{escort}],"manifest":[{{"item":"food parcels","unit":"parcel","quantity":{quantity}}}]}}"#
        );
        statement("movement.request", id, T, &body)
    };
    let site = |id: &str, geometry: &str| {
        let body = format!(
            r#"{{"name":"n","category":"clinic","geometry":{geometry},"buffer_m":100,"window":{{"from":"2027-01-01T00:00:00.000Z"}}}}"#
        );
        statement("site.notify", id, T, &body)
    };
    let handoff = |id: &str, quantity: &str| {
        let body = format!(
            r#"{{"consignment":"EX-RUKBAN-01","from":"relief-consortium","to":"central-authority","items":[{{"item":"food parcels","unit":"parcel","quantity":{quantity}}}]}}"#
        );
        statement("custody.transfer", id, T, &body)
    };
    let distribution = |id: &str, consignment: &str| {
        let body = format!(
            r#"{{"site":"relief-consortium/site-rukban-north","consignment":"{consignment}","round":"R9","period":{{"from":"2026-11-20T00:00:00.000Z","to":"2026-11-21T00:00:00.000Z"}},"items":[{{"item":"food parcels","unit":"parcel","quantity":10}}],"households":2,"people":10,"planned_per_person":[]}}"#
        );
        statement("distribution.report", id, T, &body)
    };
    let point = |coordinates: &str| format!(r#"{{"type":"Point","coordinates":{coordinates}}}"#);
    let polygon = |ring: &str| format!(r#"{{"type":"Polygon","coordinates":[{ring}]}}"#);
    let square = |last: &str| format!("[[36,33,0],[36.1,33,0],[36.1,33.1,0],[36,33.1,0],{last}]");

    let upper_key_id = {
        // A key whose id holds a hex letter, so that upper case spells it
        // otherwise (one random id in 43 is all digits); the envelope is
        // refused as it is read, before its key is looked up.
        let lettered = (0u8..=255)
            .map(|i| SignerKey::from_seed("aid", [i; 32]).expect("a key"))
            .find(|k| has_hex_letter(k.key_id()))
            .expect("a key id with a letter");
        let mut env = signed_text(&message("h-key", T), &[&lettered]);
        let key_id = env["signatures"][0]["keyid"].as_str().expect("keyid").to_owned();
        let (name, hex) = key_id.split_once('+').expect("name+hex");
        env["signatures"][0]["keyid"] = json!(format!("{name}+{}", hex.to_uppercase()));
        env
    };
    let repeated_in_envelope = {
        let env = signed_text(&message("h-dup-env", T), &[&aid]);
        let text = env.to_string();
        text.replacen("{", &format!("{{\"payload\":{},", env["payload"]), 1)
    };
    // (what, envelope, the code it must be refused with)
    let mut cases: Vec<(String, String, &str)> = vec![
        ("upper-case key id".into(), upper_key_id.to_string(), "noncanonical_key_id"),
        ("a repeated envelope member".into(), repeated_in_envelope, "duplicate_member"),
    ];
    let mut case = |what: &str, payload: String, keys: &[&SignerKey], code: &'static str| {
        cases.push((what.to_owned(), signed_text(&payload, keys).to_string(), code));
    };
    let dup_payload = message("h-dup", T).replacen(r#""subject":"s""#, r#""subject":"s","subject":"t""#, 1);
    case("a repeated payload member", dup_payload, &[&aid], "duplicate_member");
    for (i, time) in [
        "2026-11-22X10:00:00.000Z",
        "2026-11-22_10:00:00.000Z",
        "2026-11-22\\t10:00:00.000Z",
        "2026-11-22 10:00:00.000Z",
        "2026-11-22t10:00:00.000Z",
        "2026-11-22T10:00:00.000z",
        "2026-11-22T10:00:00.000+00:00",
        "2026-11-22T10:00:00Z",
        "2026-11-22T10:00:00.5Z",
        "2026-11-22T10:00:00.000000Z",
        "2026-11-22T12:00:00.000+02:00",
    ]
    .iter()
    .enumerate()
    {
        case(&format!("time {time}"), message(&format!("h-time-{i}"), time), &[&aid], "noncanonical_time");
    }
    for (i, time) in
        ["2026-11-22T10:00:60.000Z", "2026-02-30T10:00:00.000Z", "+02026-11-22T10:00:00.000Z", "today"]
            .iter()
            .enumerate()
    {
        case(&format!("time {time}"), message(&format!("h-nt-{i}"), time), &[&aid], "invalid_statement");
    }
    for (i, quantity) in
        ["18446744073709551616", "100000000000000000000000", "9007199254740993"].iter().enumerate()
    {
        let payload = movement(&format!("h-q-{i}"), quantity, "");
        case(&format!("quantity {quantity}"), payload, &[&aid], "noncanonical_number");
    }
    for (i, quantity) in ["1e23", "9007199254740992.5", "1.8e19"].iter().enumerate() {
        let payload = movement(&format!("h-qf-{i}"), quantity, "");
        case(&format!("quantity {quantity}"), payload, &[&aid], "quantity_out_of_range");
    }
    for (i, vehicles) in ["2.0", "2e0", "20E-1", "18446744073709551616"].iter().enumerate() {
        let payload = movement(&format!("h-v-{i}"), "5", "")
            .replace(r#""vehicles":2"#, &format!(r#""vehicles":{vehicles}"#));
        case(&format!("vehicles {vehicles}"), payload, &[&aid], "noncanonical_number");
    }
    case("quantity 0 in a manifest", movement("h-q-zero", "0", ""), &[&aid], "nonpositive_quantity");
    case("its own escort", movement("h-escort", "5", r#""relief-consortium""#), &[&aid], "own_movement");
    case(
        "a position with a string",
        site("h-pos", &point(r#"[36.3,33.5,"high"]"#)),
        &[&aid],
        "invalid_position",
    );
    case("a position of one number", site("h-pos1", &point("[36.3]")), &[&aid], "invalid_position");
    case(
        "a position of four numbers",
        site("h-pos4", &point("[36.3,33.5,1,2]")),
        &[&aid],
        "invalid_position",
    );
    let unclosed = polygon(&square("[36,33,999]"));
    case("a ring closed in two dimensions only", site("h-ring", &unclosed), &[&aid], "unclosed_ring");
    case("custody of quantity 0", handoff("h-custody", "0"), &[&aid, &authority], "nonpositive_quantity");
    let with_crs = r#"{"type":"Point","coordinates":[36.3,33.5],"crs":{"type":"name","properties":{"name":"EPSG:3857"}}}"#;
    case("a geometry with a crs", site("h-crs", with_crs), &[&aid], "foreign_member");
    let far_hole = format!("[{},[[37,34],[37.1,34],[37.1,34.1],[37,34.1],[37,34]]]", square("[36,33,0]"));
    case(
        "a hole outside its shell",
        site("h-hole", &format!(r#"{{"type":"Polygon","coordinates":{far_hole}}}"#)),
        &[&aid],
        "hole_outside_shell",
    );
    let twin = {
        // The authority's public key under the consortium's name.
        let public = authority.verifier().public_bytes();
        let id = corridor_note::key_id("relief-consortium", &public);
        let raw = [&[1u8][..], &public].concat();
        format!(r#"{{"vkey":"relief-consortium+{id:08x}+{}"}}"#, B64.encode(raw))
    };
    case("another party's public key", statement("party.key.add", "h-twin", T, &twin), &[&aid], "key_in_use");
    case("an unknown consignment", distribution("h-dist", "EX-NOWHERE"), &[&aid], "unknown_ref");

    let before = get_text(&format!("{}/v1/checkpoints/latest", demo.url)).await;
    for (what, body, code) in &cases {
        let (status, problem, ctype) = post(&client, &demo.url, body.clone().into_bytes()).await;
        assert_eq!(problem["code"].as_str(), Some(*code), "{what}: {status} {problem}");
        assert!((400..500).contains(&status), "{what}: {status}");
        assert_eq!(ctype.as_deref(), Some("application/problem+json"), "{what}");
    }
    assert_eq!(get_text(&format!("{}/v1/checkpoints/latest", demo.url)).await, before, "nothing was logged");

    // The same statements, spelled canonically and making sense, are logged:
    // each refusal above was for its one difference.
    let good: Vec<(String, Vec<&SignerKey>)> = vec![
        (message("h-key", T), vec![&aid]),
        (movement("h-q-0", "9007199254740991", ""), vec![&aid]),
        (movement("h-escort", "5", r#""southern-task-force""#), vec![&aid]),
        (site("h-pos", &point("[36.3,33.5,120.5]")), vec![&aid]),
        (site("h-ring", &polygon(&square("[36,33,0]"))), vec![&aid]),
        (handoff("h-custody", "1"), vec![&aid, &authority]),
        (distribution("h-dist", "EX-RUKBAN-01"), vec![&aid]),
    ];
    for (payload, keys) in good {
        let (status, body, _) =
            post(&client, &demo.url, signed_text(&payload, &keys).to_string().into_bytes()).await;
        assert_eq!(status, 201, "{payload}: {body}");
    }
}

/// Whether a key id's 8 hex digits hold a letter (upper case changes them).
fn has_hex_letter(key_id: u32) -> bool {
    format!("{key_id:08x}").bytes().any(|b| b.is_ascii_alphabetic())
}

/// Appends `payloads` (statement JSON, signed by `key`) to the log in `data`
/// as an older release would have logged them, with a checkpoint signed by
/// the log key: the store is written directly, as no server would today.
fn append_as_logged_before(data: &Path, key: &SignerKey, payloads: &[(&str, bool)]) {
    use corridor_statement::{build_entry, CanonicalEnvelope};
    use corridor_store::{LogReader as _, LogWriter as _, NewEntry, StoredCheckpoint};
    use corridor_tlog::{leaf_hash, Checkpoint, Tree};
    let (mut writer, reader) = corridor_store_sqlite::open(&data.join("corridor.db")).expect("opens the log");
    let size = reader.size().expect("size");
    let mut tree = Tree::new();
    for e in reader.entries(0, size).expect("entries") {
        tree.push(e.leaf_hash);
    }
    let mut batch = Vec::new();
    for (i, (payload, upper_key_id)) in payloads.iter().enumerate() {
        let mut envelope = sign(payload.as_bytes(), &[key]);
        if *upper_key_id {
            let (name, hex) = envelope.signatures[0].keyid.split_once('+').expect("name+hex");
            envelope.signatures[0].keyid = format!("{name}+{}", hex.to_uppercase());
        }
        let index = size + i as u64;
        let bytes =
            build_entry(1_763_805_600_000_000 + index as i64 * 1_000, &CanonicalEnvelope::of(&envelope))
                .expect("fits");
        let leaf = leaf_hash(&bytes);
        tree.push(leaf);
        batch.push(NewEntry { index, leaf_hash: leaf, bytes });
    }
    let log_key =
        SignerKey::parse(std::fs::read_to_string(data.join("keys/log.key")).expect("log key").trim())
            .expect("parses");
    let size = tree.size();
    let checkpoint =
        Checkpoint { origin: log_key.name().to_owned(), size, root: tree.root(size).expect("root") };
    let note = corridor_tlog::SignedCheckpoint::sign(checkpoint, &log_key).expect("signs").note;
    writer.append(&batch, &StoredCheckpoint { size, note }).expect("appends");
}

#[tokio::test(flavor = "multi_thread")]
async fn audit_and_full_verify_name_logged_entries_a_submission_would_be_refused_for() {
    // The operator's key id must hold a hex letter for upper case to spell
    // it otherwise: one random id in 43 is all digits, so such a log is
    // set aside for another.
    let log = std::iter::repeat_with(init).find(|l| has_hex_letter(ops_key(l).key_id())).expect("a log");
    let ops = ops_key(&log);
    let lax = [
        // A time without milliseconds, as releases before one reading accepted.
        (
            r#"{"type":"message.send","issuer":"ops","id":"old-1","issued_at":"2026-11-22T10:00:00Z","body":{"to":["ops"],"subject":"s","text":"t"}}"#,
            false,
        ),
        // An upper-case key id.
        (
            r#"{"type":"message.send","issuer":"ops","id":"old-2","issued_at":"2026-11-22T10:00:00.000Z","body":{"to":["ops"],"subject":"s","text":"t"}}"#,
            true,
        ),
        // A repeated member.
        (
            r#"{"type":"message.send","issuer":"ops","id":"old-3","issued_at":"2026-11-22T10:00:00.000Z","body":{"to":["ops"],"subject":"s","subject":"s","text":"t"}}"#,
            false,
        ),
        // Canonical: not listed.
        (
            r#"{"type":"message.send","issuer":"ops","id":"new-4","issued_at":"2026-11-22T10:00:00.000Z","body":{"to":["ops"],"subject":"s","text":"t"}}"#,
            false,
        ),
    ];
    append_as_logged_before(&log.data, &ops, &lax);
    let data = log.data.to_str().expect("utf8");

    let (passed, stdout, stderr) = corridor(&["audit", "--data", data], &log.dir);
    assert!(!passed, "audit fails on entries read two ways: {stdout}");
    for (index, code) in [(1, "noncanonical_time"), (2, "noncanonical_key_id"), (3, "duplicate_member")] {
        assert!(stdout.contains(&format!("entry {index}: would be refused today")), "{stdout}");
        assert!(stdout.contains(code), "entry {index}: {code}\n{stdout}");
    }
    assert!(!stdout.contains("entry 4:"), "a canonical entry is not listed\n{stdout}");
    assert!(stderr.contains("3 logged entries"), "{stderr}");

    // The server still replays the log it has, and a verifier says the same.
    let server = Server::start(&log.data);
    let (passed, stdout, _) =
        corridor(&["verify", "--server", &server.url, "--vkey", &log.vkey, "--full"], &log.dir);
    assert!(!passed, "verify --full fails too: {stdout}");
    for index in 1..=3 {
        assert!(stdout.contains(&format!("entry {index}: would be refused today")), "{stdout}");
    }
}

/// A custody hand-off signed on two machines: the sender signs, the
/// receiver countersigns the envelope with `sign --countersign`, and the
/// log takes it; half-signed, or signed twice by one key, it is refused.
#[tokio::test(flavor = "multi_thread")]
async fn a_custody_hand_off_is_countersigned_from_the_command_line() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let data = dir.join("data");
    let d = data.to_str().expect("utf8");
    ok(&["init", "--data", d, "--origin", "custody.corridor/log"], dir);
    let server = Server::start(&data);
    for (party, kind) in [("sender", "agency"), ("receiver", "agency")] {
        let vkey = ok(&["keygen", "--party", party, "--out", &format!("{party}.key")], dir).trim().to_owned();
        let add = ["party", "add", "--data", d, "--id", party, "--name", party, "--kind", kind];
        ok(&[&add[..], &["--vkey", &vkey, "--server", &server.url]].concat(), dir);
    }
    let body = r#"{"consignment":"C-1","from":"sender","to":"receiver","items":[{"item":"flour","unit":"sack","quantity":40}]}"#;
    let half =
        ok(&["sign", "--key", "sender.key", "--type", "custody.transfer", "--body", body, "--id", "h1"], dir);
    std::fs::write(dir.join("half.json"), &half).expect("writes");
    let (submitted, _, stderr) = corridor(&["submit", "--server", &server.url, "half.json"], dir);
    assert!(!submitted && stderr.contains("unauthorized"), "half-signed is refused: {stderr}");
    let (again, _, stderr) = corridor(&["sign", "--key", "sender.key", "--countersign", "half.json"], dir);
    assert!(!again && stderr.contains("already signed"), "{stderr}");
    let (garbage, _, stderr) =
        corridor(&["sign", "--key", "receiver.key", "--countersign", "missing.json"], dir);
    assert!(!garbage && stderr.contains("missing.json"), "{stderr}");
    let both = ok(&["sign", "--key", "receiver.key", "--countersign", "half.json"], dir);
    let envelope: Value = serde_json::from_str(&both).expect("json");
    let half: Value = serde_json::from_str(&half).expect("json");
    assert_eq!(envelope["payload"], half["payload"], "the same statement");
    assert_eq!(envelope["signatures"].as_array().map(Vec::len), Some(2));
    std::fs::write(dir.join("both.json"), &both).expect("writes");
    ok(&["submit", "--server", &server.url, "both.json"], dir);
    let c: Value = reqwest::get(format!("{}/v1/consignments/C-1", server.url))
        .await
        .expect("gets")
        .json()
        .await
        .expect("json");
    assert_eq!(c["hand_offs"][0]["transfer"]["from"], "sender", "{c}");
    assert_eq!(c["hand_offs"][0]["transfer"]["to"], "receiver", "{c}");
}

/// Starts `corridor serve` on `data` with `more` arguments, and returns it
/// with what it wrote to stderr before it listened.
fn serve_reporting(data: &Path, more: &[&str]) -> (Server, String) {
    use std::io::{BufRead as _, BufReader};
    let mut args = vec!["serve", "--data", data.to_str().expect("utf8"), "--listen", "127.0.0.1:0"];
    args.extend_from_slice(more);
    let mut child = std::process::Command::new(support::BIN)
        .args(&args)
        .env("RUST_LOG", "info")
        .env("NO_COLOR", "1")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("starts");
    let mut err = BufReader::new(child.stderr.take().expect("stderr"));
    let mut said = String::new();
    let mut line = String::new();
    // The server writes its log line ("corridor: log ...") to stderr just before it listens.
    while !line.starts_with("corridor: log ") {
        line.clear();
        assert!(err.read_line(&mut line).expect("reads") > 0, "exited before listening: {said}");
        said.push_str(&line);
    }
    let mut out = BufReader::new(child.stdout.take().expect("stdout"));
    let mut listening = String::new();
    out.read_line(&mut listening).expect("reads");
    let url = listening.trim().rsplit("listening on ").next().expect("url").to_owned();
    (Server { child, url }, said)
}

fn snapshot_files(data: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(data.join("snapshots"))
        .map(|d| d.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|e| e == "snapshot"));
    files.sort();
    files
}

/// Snapshots end to end with the real binary: the server makes them as it
/// goes, a restart starts from the latest, a damaged one is refused with a
/// log line and the restart replays instead, and the audit checks every
/// snapshot's digest against its own replay.
#[tokio::test(flavor = "multi_thread")]
async fn restarts_start_from_a_snapshot_and_refuse_a_damaged_one() {
    let log = init();
    let ops = ops_key(&log);
    let every = ["--snapshot-every-entries", "5"];
    let (server, _) = serve_reporting(&log.data, &every);
    let batch: Vec<Value> = (0..12).map(|i| message(&ops, &format!("s{i}"))).collect();
    std::fs::write(log.dir.join("batch.json"), serde_json::to_vec(&batch).expect("json")).expect("writes");
    ok(&["submit", "--server", &server.url, "batch.json"], &log.dir);
    // The server looks at the log every half second; wait for its snapshot.
    let deadline = std::time::Duration::from_secs(30);
    let waited = std::time::Instant::now();
    while snapshot_files(&log.data).is_empty() && waited.elapsed() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(!snapshot_files(&log.data).is_empty(), "the server made a snapshot");
    let later: Vec<Value> = (0..3).map(|i| message(&ops, &format!("t{i}"))).collect();
    std::fs::write(log.dir.join("later.json"), serde_json::to_vec(&later).expect("json")).expect("writes");
    ok(&["submit", "--server", &server.url, "later.json"], &log.dir);
    let digest = get_json(&format!("{}/v1/state/digest", server.url)).await;
    drop(server);

    let data = log.data.to_str().expect("utf8");
    ok(&["snapshot", "--data", data], &log.dir);
    let latest = snapshot_files(&log.data).pop().expect("a snapshot");
    assert!(latest.ends_with("00000000000000000016.snapshot"), "{latest:?}");
    let audited = ok(&["audit", "--data", data], &log.dir);
    assert!(audited.contains("2 snapshots"), "{audited}");

    let (server, said) = serve_reporting(&log.data, &["--no-snapshots"]);
    assert!(!said.contains("recovering from a snapshot"), "--no-snapshots uses none: {said}");
    drop(server);
    let (server, said) = serve_reporting(&log.data, &[]);
    assert!(said.contains("recovering from a snapshot size=16"), "{said}");
    assert_eq!(get_json(&format!("{}/v1/state/digest", server.url)).await, digest);
    drop(server);

    // Damaged by hand: refused, with why, and the older snapshot used.
    let pristine = std::fs::read(&latest).expect("reads");
    let mut damaged = pristine.clone();
    let mid = damaged.len() / 2;
    damaged[mid] ^= 0x40;
    std::fs::write(&latest, &damaged).expect("writes");
    let (server, said) = serve_reporting(&log.data, &[]);
    assert!(said.contains("snapshot refused") && said.contains("is damaged"), "{said}");
    assert_eq!(get_json(&format!("{}/v1/state/digest", server.url)).await, digest);
    drop(server);
    let audited = ok(&["audit", "--data", data], &log.dir);
    assert!(audited.contains("snapshot not checked") && audited.contains("1 snapshots"), "{audited}");

    // A snapshot whose recorded digest is not its state's (checksum redone)
    // is refused by recovery, and named as not checked by the audit.
    let resum = |bytes: &mut Vec<u8>| {
        let body = bytes.len() - 32;
        let sum: [u8; 32] = *blake3::hash(&bytes[..body]).as_bytes();
        bytes[body..].copy_from_slice(&sum);
    };
    let mut lying = pristine.clone();
    lying[70] ^= 1;
    resum(&mut lying);
    std::fs::write(&latest, &lying).expect("writes");
    let (server, said) = serve_reporting(&log.data, &[]);
    assert!(said.contains("snapshot refused") && said.contains("digest"), "{said}");
    drop(server);
    let audited = ok(&["audit", "--data", data], &log.dir);
    assert!(audited.contains("snapshot not checked") && audited.contains("digest"), "{audited}");

    // A whole snapshot of another log says nothing about this one: the
    // audit names it as not checked, as recovery would refuse it, and passes.
    std::fs::write(&latest, &pristine).expect("writes");
    let other = init();
    ok(&["snapshot", "--data", other.data.to_str().expect("utf8")], &other.dir);
    let foreign = snapshot_files(&other.data).pop().expect("the other log's snapshot");
    let planted = log.data.join("snapshots").join(foreign.file_name().expect("a file name"));
    assert!(!planted.exists(), "{planted:?}");
    std::fs::copy(&foreign, &planted).expect("copies");
    let audited = ok(&["audit", "--data", data], &log.dir);
    assert!(audited.contains("snapshot not checked") && audited.contains("but the log"), "{audited}");
    assert!(audited.contains("2 snapshots"), "{audited}");
    std::fs::remove_file(&planted).expect("removes");

    // A consistent forgery: the newest snapshot's parts with the older
    // one's messages, the digest of that, and this log's tree and root.
    // Recovery cannot tell (every check it makes passes); the audit can.
    let older = snapshot_files(&log.data).first().cloned().expect("an older snapshot");
    let parts_of = |path: &std::path::Path| {
        let bytes = std::fs::read(path).expect("reads");
        let mut input = &bytes[18 + 4 + 8 + 32 + 32..];
        corridor_state::snapshot::Part::ALL
            .map(|p| corridor_state::State::decode_part(p, &mut input, 0).expect("decodes"))
    };
    let [head, statements, _, acks, objects] = parts_of(&latest);
    let [_, _, messages, _, _] = parts_of(&older);
    let (state, _) = corridor_state::State::from_parts(vec![head, statements, messages, acks, objects])
        .expect("assembles");
    let good = corridor_service::Snapshots::load(&latest).expect("loads");
    let dir = corridor_service::Snapshots::new(log.data.join("snapshots"));
    dir.write(&state, &good.tree, good.root).expect("written");
    let (server, said) = serve_reporting(&log.data, &[]);
    assert!(said.contains("recovering from a snapshot size=16"), "{said}");
    drop(server);
    let (passed, _, stderr) = corridor(&["audit", "--data", data], &log.dir);
    assert!(!passed && stderr.contains("records a state digest the log does not fold to"), "{stderr}");

    // So does one whose tree holds a leaf hash the log does not: recovery
    // checks only the tree's root (16 leaves: one hash, not the leaf's).
    let mut forged = pristine;
    let table = forged.len() - 32 - 6 * 8;
    let tree_len = u64::from_le_bytes(forged[table + 5 * 8..table + 6 * 8].try_into().expect("8 bytes"));
    forged[table - usize::try_from(tree_len).expect("small")] ^= 1;
    resum(&mut forged);
    std::fs::write(&latest, &forged).expect("writes");
    let (server, said) = serve_reporting(&log.data, &[]);
    assert!(said.contains("recovering from a snapshot size=16"), "{said}");
    drop(server);
    let (passed, _, stderr) = corridor(&["audit", "--data", data], &log.dir);
    assert!(!passed && stderr.contains("holds a tree hash the log's tree does not have"), "{stderr}");
}
