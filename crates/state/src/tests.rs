//! Fold rules, one test each, and a property test that a rejected entry changes
//! nothing and that replay is deterministic.

use corridor_note::SignerKey;
use corridor_statement::{sign, SignedEnvelope};
use proptest::prelude::*;
use serde_json::{json, Value};

use super::*;

fn key(party: &str, n: u8) -> SignerKey {
    SignerKey::from_seed(party, [n; 32]).expect("name")
}

fn envelope(kind: &str, issuer: &str, id: &str, body: Value, keys: &[&SignerKey]) -> SignedEnvelope {
    let st =
        json!({"type": kind, "issuer": issuer, "id": id, "issued_at": "2026-11-22T10:00:00Z", "body": body});
    let env = sign(st.to_string().as_bytes(), keys);
    SignedEnvelope::from_envelope(env).expect("valid envelope")
}

struct Log {
    state: State,
    ops: SignerKey,
}

impl Log {
    fn new() -> Self {
        let ops = key("ops", 1);
        let mut log = Self { state: State::new(), ops };
        let genesis = register("ops", "coordination", &log.ops.clone(), &log.ops.clone(), "g");
        log.apply(&genesis).expect("genesis accepted");
        log
    }

    fn apply(&mut self, e: &SignedEnvelope) -> Result<(), Rejection> {
        let index = self.state.size();
        e.verify(|r| self.state.key_for(r, e)).map_err(|err| Rejection::Unauthorized(err.to_string()))?;
        self.state.apply(EntryContext { index, sequenced_at_us: 1_000 * index as i64, signed: e }).map(|_| ())
    }
}

fn register(id: &str, kind: &str, party_key: &SignerKey, signer: &SignerKey, sid: &str) -> SignedEnvelope {
    let body =
        json!({"id": id, "name": id.to_uppercase(), "kind": kind, "keys": [party_key.verifier().to_vkey()]});
    envelope("party.register", signer.name(), sid, body, &[signer])
}

fn message(from: &SignerKey, id: &str, to: &str) -> SignedEnvelope {
    envelope("message.send", from.name(), id, json!({"to": [to], "subject": "s", "text": "t"}), &[from])
}

#[test]
fn genesis_makes_the_operator() {
    let log = Log::new();
    assert_eq!(log.state.operator(), Some("ops"));
    // A log cannot start with anything else.
    let mut empty = State::new();
    let stray = message(&key("ops", 1), "m", "ops");
    let err = empty.apply(EntryContext { index: 0, sequenced_at_us: 0, signed: &stray }).unwrap_err();
    assert_eq!(err.code(), "unauthorized");
}

#[test]
fn only_the_operator_registers() {
    let mut log = Log::new();
    let aid = key("aid", 2);
    log.apply(&register("aid", "agency", &aid, &log.ops.clone(), "r1")).expect("operator registers");
    let before = log.state.digest();
    let err = log.apply(&register("mil", "armed_force", &key("mil", 3), &aid, "r2")).unwrap_err();
    assert_eq!(err.code(), "unauthorized");
    assert_eq!(log.state.digest(), before, "a rejection changes nothing");
}

#[test]
fn a_revoked_key_signs_nothing_after_its_revocation() {
    let mut log = Log::new();
    let aid = key("aid", 2);
    log.apply(&register("aid", "agency", &aid, &log.ops.clone(), "r1")).expect("registered");
    log.apply(&message(&aid, "m1", "ops")).expect("live key signs");
    let revoke =
        envelope("party.key.revoke", "aid", "k1", json!({"vkey": aid.verifier().to_vkey()}), &[&aid]);
    log.apply(&revoke).expect("a party revokes its own key");
    assert_eq!(log.apply(&message(&aid, "m2", "ops")).unwrap_err().code(), "revoked_key");
    // The operator adds a new key for the party; it signs.
    let aid2 = key("aid", 9);
    let add = envelope(
        "party.key.add",
        "ops",
        "k2",
        json!({"vkey": aid2.verifier().to_vkey(), "party": "aid"}),
        &[&log.ops.clone()],
    );
    log.apply(&add).expect("operator adds a key");
    log.apply(&message(&aid2, "m2", "ops")).expect("new key signs");
}

#[test]
fn another_party_cannot_change_keys() {
    let mut log = Log::new();
    let (aid, mil) = (key("aid", 2), key("mil", 3));
    log.apply(&register("aid", "agency", &aid, &log.ops.clone(), "r1")).expect("registered");
    log.apply(&register("mil", "armed_force", &mil, &log.ops.clone(), "r2")).expect("registered");
    let revoke = envelope(
        "party.key.revoke",
        "mil",
        "x",
        json!({"vkey": aid.verifier().to_vkey(), "party": "aid"}),
        &[&mil],
    );
    assert_eq!(log.apply(&revoke).unwrap_err().code(), "unauthorized");
}

#[test]
fn duplicate_ids_and_resubmissions() {
    let mut log = Log::new();
    let m = message(&log.ops.clone(), "m1", "ops");
    log.apply(&m).expect("first");
    assert_eq!(log.apply(&m).unwrap_err(), Rejection::Resubmission { index: 1 });
    let other = envelope(
        "message.send",
        "ops",
        "m1",
        json!({"to": ["ops"], "subject": "other", "text": ""}),
        &[&log.ops.clone()],
    );
    assert_eq!(log.apply(&other).unwrap_err(), Rejection::DuplicateId { index: 1 });
}

#[test]
fn acknowledgements_attach_to_messages() {
    let mut log = Log::new();
    let aid = key("aid", 2);
    log.apply(&register("aid", "agency", &aid, &log.ops.clone(), "r1")).expect("registered");
    log.apply(&message(&log.ops.clone(), "m1", "aid")).expect("sent");
    let ack = envelope("acknowledge", "aid", "a1", json!({"refs": ["ops/m1"]}), &[&aid]);
    log.apply(&ack).expect("acknowledged");
    let msgs: Vec<_> = log.state.messages_to("aid", None).collect();
    assert_eq!(msgs.len(), 1);
    assert_eq!(log.state.acks_of(msgs[0])[0].party, "aid");
    let bad = envelope("acknowledge", "aid", "a2", json!({"refs": ["ops/nope"]}), &[&aid]);
    assert_eq!(log.apply(&bad).unwrap_err().code(), "unknown_ref");
    let future = envelope("acknowledge", "aid", "a3", json!({"refs": [99]}), &[&aid]);
    assert_eq!(log.apply(&future).unwrap_err().code(), "unknown_ref");
}

/// A random operation against a small cast of parties, valid or not.
fn op_strategy() -> impl Strategy<Value = (u8, u8, u8, u8)> {
    (0u8..6, 0u8..4, 0u8..4, 0u8..8)
}

fn build_op(op: (u8, u8, u8, u8), n: usize) -> SignedEnvelope {
    let names = ["ops", "aid", "mil", "mon"];
    let (kind, who, whom, id) = op;
    let signer = key(names[who as usize], who + 1);
    let target = names[whom as usize];
    let sid = format!("s{id}");
    match kind {
        0 => register(target, "agency", &key(target, whom + 1), &signer, &sid),
        1 => message(&signer, &sid, target),
        2 => envelope("acknowledge", signer.name(), &sid, json!({"refs": [n as u64 / 2]}), &[&signer]),
        3 => envelope(
            "party.key.revoke",
            signer.name(),
            &sid,
            json!({"vkey": key(target, whom + 1).verifier().to_vkey(), "party": target}),
            &[&signer],
        ),
        4 => envelope(
            "party.key.add",
            signer.name(),
            &sid,
            json!({"vkey": key(target, whom + 20).verifier().to_vkey(), "party": target}),
            &[&signer],
        ),
        _ => envelope(
            "acknowledge",
            signer.name(),
            &sid,
            json!({"refs": [format!("{target}/s{id}")]}),
            &[&signer],
        ),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn rejections_change_nothing_and_replay_is_deterministic(ops in proptest::collection::vec(op_strategy(), 1..60)) {
        let mut log = Log::new();
        let mut accepted = vec![];
        for (n, op) in ops.into_iter().enumerate() {
            let e = build_op(op, n);
            let before = log.state.digest();
            match log.apply(&e) {
                Ok(()) => accepted.push(e),
                Err(_) => prop_assert_eq!(log.state.digest(), before),
            }
        }
        // Replaying only the accepted entries, without signature checks, gives the same state.
        let mut replay = Log::new();
        for e in &accepted {
            let index = replay.state.size();
            replay.state.apply(EntryContext { index, sequenced_at_us: 1_000 * index as i64, signed: e }).expect("accepted before");
        }
        prop_assert_eq!(replay.state.digest(), log.state.digest());
    }
}
