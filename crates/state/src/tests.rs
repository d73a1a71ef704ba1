//! Fold rules, one test each, and a property test that a rejected entry changes
//! nothing and that replay is deterministic.

use corridor_note::SignerKey;
use corridor_statement::{build_entry, parse_entry, sign, CanonicalEnvelope, SignedEnvelope};
use proptest::prelude::*;
use serde_json::{json, Value};

use super::*;

fn key(party: &str, n: u8) -> SignerKey {
    SignerKey::from_seed(party, [n; 32]).expect("name")
}

/// A signed envelope as the fold takes it: read back from a log entry, as
/// replay reads it (the fold's rules, not a submission's; see
/// [`corridor_statement::Reading`]).
fn envelope(kind: &str, issuer: &str, id: &str, body: Value, keys: &[&SignerKey]) -> SignedEnvelope {
    let st =
        json!({"type": kind, "issuer": issuer, "id": id, "issued_at": "2026-11-22T10:00:00Z", "body": body});
    let env = sign(st.to_string().as_bytes(), keys);
    let bytes = build_entry(0, &CanonicalEnvelope::of(&env)).expect("fits an entry");
    parse_entry(&bytes).expect("valid envelope").signed
}

fn entry(index: u64, e: &SignedEnvelope) -> LoggedEntry {
    LoggedEntry { index, sequenced_at_us: 1_000 * index as i64, signed: e.clone() }
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
        self.state.apply(entry(index, e)).map(|_| ())
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
    let err = empty.apply(entry(0, &stray)).unwrap_err();
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
    assert_eq!(msgs[0].0.to_string(), "ops/m1", "the sender and id, from the statements");
    let acks = log.state.acks_of(msgs[0].1);
    assert_eq!((acks[0].party, acks[0].index), ("aid", 3));
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
            replay.state.apply(entry(index, e)).expect("accepted before");
        }
        prop_assert_eq!(replay.state.digest(), log.state.digest());
        // The digests kept as the state grew are those of the parts encoded afresh.
        for part in crate::canonical::Part::ALL {
            let mut e = crate::canonical::Encoder::new(Vec::new());
            crate::canonical::encode_part(&log.state, part, &mut e);
            let fresh: [u8; 32] = sha2::Digest::finalize(<sha2::Sha256 as sha2::Digest>::new_with_prefix(e.finish())).into();
            prop_assert_eq!(crate::canonical::part_digest(&log.state, part), fresh, "{:?}", part);
        }
    }
}

mod clearance {
    use super::*;
    use corridor_geo::{within, Geometry as Geom};

    fn square(lon: f64, lat: f64, half: f64) -> Value {
        json!({"type": "Polygon", "coordinates": [[[lon - half, lat - half], [lon + half, lat - half], [lon + half, lat + half], [lon - half, lat + half], [lon - half, lat - half]]]})
    }

    fn day(d: u32) -> String {
        format!("2026-12-{:02}T00:00:00Z", d)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        /// Required approvers are exactly the other parties with a zone within the
        /// corridor during the window, plus escorts; amendments reset responses;
        /// only approvers may respond.
        #[test]
        fn approvers_are_exactly_the_crossed_zones(
            zones in proptest::collection::vec((0usize..3, 35.0f64..40.0, 30.0f64..35.0, 0.01f64..0.5, 1u32..20, 2u32..10), 1..12),
            route in proptest::collection::vec((35.0f64..40.0, 30.0f64..35.0), 2..5),
            corridor_m in 0.0f64..30_000.0,
            from in 1u32..20,
            escort in proptest::option::of(0usize..3),
        ) {
            let mut log = Log::new();
            let names = ["alpha", "bravo", "agency"];
            let kinds = ["authority", "armed_force", "agency"];
            let keys: Vec<SignerKey> = names.iter().enumerate().map(|(i, n)| key(n, 10 + i as u8)).collect();
            for (i, k) in keys.iter().enumerate() {
                let body = json!({"id": names[i], "name": names[i], "kind": kinds[i], "keys": [k.verifier().to_vkey()]});
                log.apply(&envelope("party.register", "ops", &format!("r{i}"), body, &[&log.ops.clone()])).expect("registered");
            }
            let mut declared = vec![];
            for (n, &(owner, lon, lat, half, start, len)) in zones.iter().enumerate() {
                let owner = owner % 2; // only authorities and armed forces hold zones
                let body = json!({"name": "z", "geometry": square(lon, lat, half), "window": {"from": day(start), "to": day((start + len).min(28))}});
                if log.apply(&envelope("zone.declare", names[owner], &format!("z{n}"), body.clone(), &[&keys[owner]])).is_ok() {
                    declared.push((names[owner], body));
                }
            }
            let coords: Vec<[f64; 2]> = route.iter().map(|&(x, y)| [x, y]).collect();
            let window = json!({"from": day(from), "to": day(from + 1)});
            let escort_from: Vec<&str> = escort.map(|e| names[e]).into_iter().collect();
            let plan = json!({"purpose": "aid_delivery", "route": {"type": "LineString", "coordinates": coords}, "corridor_m": corridor_m,
                "window": window, "origin": "a", "destination": "b", "escort_from": escort_from, "manifest": []});
            // The preview, before filing, changes nothing and names what filing gives.
            let ctx = corridor_statement::body::Ctx { reading: corridor_statement::Reading::Log, issuer: "agency" };
            let body = corridor_statement::Body::parse_with(corridor_statement::StatementType::MovementRequest, &plan.to_string(), &ctx).expect("a plan");
            let size = log.state.size();
            let preview = log.state.preview_movement("agency", &body, 0).expect("previewed");
            prop_assert_eq!(log.state.size(), size);
            log.apply(&envelope("movement.request", "agency", "m", plan.clone(), &[&keys[2]])).expect("filed");
            let filed = &log.state.access().movement(&ObjectRef::parse("agency/m").expect("ref")).expect("filed").approvers;
            let filed: BTreeMap<String, Vec<crate::access::Reason>> = filed.iter().map(|(p, a)| (p.clone(), a.reasons.clone())).collect();
            prop_assert_eq!(&preview.approvers, &filed);

            let route_geom = Geom::from_geojson(&plan["route"]).expect("route");
            let mw = corridor_statement::access::parse_window("w", &window.to_string(), corridor_statement::Reading::Log).expect("window");
            let mut want: std::collections::BTreeSet<String> = declared.iter().filter(|(_, z)| {
                let zw = corridor_statement::access::parse_window("w", &z["window"].to_string(), corridor_statement::Reading::Log).expect("window");
                zw.overlaps(&mw) && within(&route_geom, &Geom::from_geojson(&z["geometry"]).expect("zone"), corridor_m)
            }).map(|(p, _)| p.to_string()).collect();
            want.extend(escort_from.iter().filter(|p| **p != "agency").map(|p| p.to_string()));
            let r = ObjectRef::parse("agency/m").expect("ref");
            let got: std::collections::BTreeSet<String> = log.state.access().movement(&r).expect("movement").approvers.keys().cloned().collect();
            prop_assert_eq!(&got, &want);

            // Someone who is not an approver cannot respond.
            let outsider = names.iter().enumerate().find(|(_, n)| !want.contains(**n) && **n != "agency");
            if let Some((i, n)) = outsider {
                let resp = envelope("movement.respond", n, "x", json!({"movement": "agency/m", "decision": "approve"}), &[&keys[i]]);
                prop_assert_eq!(log.apply(&resp).map_err(|e| e.code()), Err("unauthorized"));
            }
            // Every approver approves; then an amendment resets them all.
            for p in &want {
                let i = names.iter().position(|n| n == p).expect("known");
                let resp = envelope("movement.respond", p, "ok", json!({"movement": "agency/m", "decision": "approve"}), &[&keys[i]]);
                log.apply(&resp).expect("approver responds");
            }
            let m = log.state.access().movement(&r).expect("movement");
            prop_assert_eq!(m.status(0), crate::access::MovementStatus::Cleared);
            log.apply(&envelope("movement.amend", "agency", "a", json!({"movement": "agency/m", "people": 3}), &[&keys[2]])).expect("amended");
            let m = log.state.access().movement(&r).expect("movement");
            prop_assert!(m.approvers.values().all(|a| a.response.is_none()));
            prop_assert_eq!(m.status(0), if want.is_empty() { crate::access::MovementStatus::Cleared } else { crate::access::MovementStatus::Pending });
        }
    }
}

mod canonical_encoding {
    use super::*;
    use crate::canonical::{encode_part, Encode, Encoder, Part, DOMAIN_TAG};
    use corridor_geo::Window;

    fn bytes(v: &impl Encode) -> Vec<u8> {
        let mut e = Encoder::new(Vec::new());
        v.encode(&mut e);
        e.finish()
    }

    fn be(n: u64) -> [u8; 8] {
        n.to_be_bytes()
    }

    /// Each primitive, written out by hand from the rules in `canonical`.
    #[test]
    fn primitives_encode_as_documented() {
        let stamp = Stamp { index: 1, at_us: -2 };
        assert_eq!(bytes(&stamp), [be(1), (-2i64).to_be_bytes()].concat());
        let r = ObjectRef { issuer: "ops".into(), id: "m-1".into() };
        assert_eq!(bytes(&r), [&be(3)[..], b"ops", &be(3), b"m-1"].concat());
        let w = Window::starting(5);
        assert_eq!(bytes(&w), [&[1u8][..], &be(5), &[0]].concat());
        assert_eq!(bytes(&Target::Entry(7)), [&[1u8][..], &be(7)].concat());
        assert_eq!(bytes(&Target::Object(r.clone())), [&[0u8][..], &bytes(&r)].concat());
        let point = corridor_geo::Geometry::point(36.5, -33.25).expect("point");
        let expected = [
            &be(5)[..],
            b"Point",
            &be(1),
            &be(1),
            &be(1),
            &36.5f64.to_bits().to_be_bytes(),
            &(-33.25f64).to_bits().to_be_bytes(),
        ]
        .concat();
        assert_eq!(bytes(&point), expected);
    }

    /// A log with every kind of statement: every record of the state, a
    /// conflict, approvers, acknowledgements, grades and links in it.
    fn every_kind() -> Log {
        let mut log = Log::new();
        let ops = log.ops.clone();
        let (aid, mil, mon) = (key("aid", 2), key("mil", 3), key("mon", 4));
        for (id, kind, k, sid) in [
            ("aid", "agency", &aid, "r1"),
            ("mil", "armed_force", &mil, "r2"),
            ("mon", "monitor", &mon, "r3"),
        ] {
            log.apply(&register(id, kind, k, &ops, sid)).expect("registered");
        }
        let square = json!({"type": "Polygon", "coordinates": [[[36.0, 33.0], [37.0, 33.0], [37.0, 34.0], [36.0, 34.0], [36.0, 33.0]]]});
        let window = json!({"from": "2026-12-01T00:00:00Z", "to": "2026-12-31T00:00:00Z"});
        let point = json!({"type": "Point", "coordinates": [36.5, 33.5]});
        let route = json!({"type": "LineString", "coordinates": [[35.5, 33.5], [37.5, 33.5]]});
        let steps: Vec<(&str, &str, &str, Value, Vec<&SignerKey>)> = vec![
            (
                "zone.declare",
                "mil",
                "z1",
                json!({"name": "z", "geometry": square, "window": window}),
                vec![&mil],
            ),
            (
                "site.notify",
                "aid",
                "s1",
                json!({"name": "clinic", "category": "clinic", "geometry": point, "buffer_m": 200, "window": window, "people": 40}),
                vec![&aid],
            ),
            (
                "movement.request",
                "aid",
                "m1",
                json!({"purpose": "aid_delivery", "route": route, "corridor_m": 500, "window": window,
                "origin": "a", "destination": "b", "origin_site": "aid/s1", "vehicles": 3, "people": 9, "escort_from": ["mil"],
                "manifest": [{"item": "flour", "unit": "kg", "quantity": 1000, "weight_kg": 1000}], "consignment": "C1"}),
                vec![&aid],
            ),
            ("acknowledge", "mil", "a1", json!({"refs": ["aid/m1", 5]}), vec![&mil]),
            (
                "movement.respond",
                "mil",
                "rs1",
                json!({"movement": "aid/m1", "decision": "approve_with_conditions", "conditions": ["escort"]}),
                vec![&mil],
            ),
            (
                "operation.notify",
                "mil",
                "o1",
                json!({"name": "op", "geometry": square, "window": window, "standoff_m": 100, "notified": ["aid"]}),
                vec![&mil],
            ),
            (
                "agreement.declare",
                "ops",
                "ag1",
                json!({"name": "pause", "kind": "humanitarian_pause", "parties": ["mil", "aid"], "geometry": square,
                "window": window, "terms": ["no fire"], "corridors": [{"name": "road", "route": route, "corridor_m": 300, "window": window}]}),
                vec![&ops],
            ),
            ("agreement.accede", "mil", "ac1", json!({"agreement": "ops/ag1"}), vec![&mil]),
            (
                "custody.transfer",
                "aid",
                "c1",
                json!({"consignment": "C1", "from": "aid", "to": "mil", "items": [{"item": "flour", "unit": "kg", "quantity": 1000}],
                "place": {"name": "gate", "geometry": point}, "lost": [{"item": "flour", "unit": "kg", "quantity": 5}]}),
                vec![&aid, &mil],
            ),
            (
                "distribution.report",
                "aid",
                "d1",
                json!({"site": "aid/s1", "consignment": "C1", "round": "R1", "period": window,
                "items": [{"item": "flour", "unit": "kg", "quantity": 900}], "households": 10, "people": 40,
                "planned_per_person": [{"item": "flour", "unit": "kg", "quantity": 25}]}),
                vec![&aid],
            ),
            (
                "incident.report",
                "aid",
                "i1",
                json!({"kind": "shelling", "window": window, "geometry": point, "precision_m": 50,
                "alleged_perpetrator": "mil", "perpetrator_text": "unknown unit", "casualties": {"killed": {"min": 1, "max": 3}, "injured": {"min": 2},
                "children_killed": {"max": 1}}, "affected_sites": ["aid/s1"], "affected_movements": ["aid/m1"],
                "sources": [{"outlet": "paper", "url": "https://example.org/a", "published": "2026-12-02", "quote": "shells fell"}]}),
                vec![&aid],
            ),
            (
                "incident.assess",
                "mon",
                "x1",
                json!({"incident": "aid/i1", "occurrence": "likely", "attribution": "contested", "attributed_to": ["mil"], "rationale": "two sources"}),
                vec![&mon],
            ),
            (
                "claim.record",
                "ops",
                "cl1",
                json!({"speaker": "a spokesman", "affiliation": "ministry", "outlet": "paper", "url": "https://example.org/b",
                "published": "2026-12-03T10:00:00Z", "text": "nothing happened", "stance": "denial", "figures": [{"what": "killed", "min": 0, "max": 0, "unit": "people"}],
                "subjects": ["aid/i1"]}),
                vec![&ops],
            ),
            (
                "claim.link",
                "mon",
                "l1",
                json!({"claim": "ops/cl1", "evidence": "aid/i1", "relation": "contradicts", "note": "graded likely"}),
                vec![&mon],
            ),
            (
                "message.send",
                "aid",
                "msg1",
                json!({"to": ["mil"], "subject": "convoy", "text": "tomorrow", "refs": ["aid/m1"]}),
                vec![&aid],
            ),
            (
                "movement.amend",
                "aid",
                "am1",
                json!({"movement": "aid/m1", "people": 12, "origin_site": null}),
                vec![&aid],
            ),
            (
                "movement.update",
                "aid",
                "u1",
                json!({"movement": "aid/m1", "status": "departed", "geometry": point, "note": "on time"}),
                vec![&aid],
            ),
            (
                "party.key.add",
                "ops",
                "k1",
                json!({"vkey": key("aid", 9).verifier().to_vkey(), "party": "aid"}),
                vec![&ops],
            ),
            ("zone.withdraw", "mil", "zw1", json!({"zone": "mil/z1", "reason": "handed over"}), vec![&mil]),
            ("site.withdraw", "aid", "sw1", json!({"site": "aid/s1"}), vec![&aid]),
        ];
        for (kind, issuer, id, body, keys) in steps {
            log.apply(&envelope(kind, issuer, id, body, &keys))
                .unwrap_or_else(|e| panic!("{kind} {id}: {e}"));
        }
        log
    }

    /// The digest of a log with every kind of statement is pinned: any change
    /// to the encoding, the fold or the records it keeps changes it, and must
    /// change the tag.
    #[test]
    fn the_digest_of_a_log_of_every_kind_is_pinned() {
        let log = every_kind();
        let s = &log.state;
        let (a, acc) = (s.access(), s.accountability());
        let counts = [
            a.zones().count(),
            a.sites().count(),
            a.movements().count(),
            a.operations().count(),
            a.agreements().count(),
            a.conflicts().len(),
            acc.consignments().count(),
            acc.distributions().count(),
            acc.incidents().map(|i| i.assessments.len()).sum(),
            acc.claims_after(None).map(|c| c.links.len()).sum(),
        ];
        assert!(counts.iter().all(|&n| n > 0), "every record kind is in the log: {counts:?}");
        let hex: String = s.digest().iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, "7146c955121de861c92a57d0df93d2800216e9373720d26a4209c32132d421b2");
    }

    /// A snapshot decodes to the state it was taken of: the same digest,
    /// the same index, and the same answers to every later entry.
    #[test]
    fn a_snapshot_decodes_to_the_state_it_was_taken_of() {
        let mut log = every_kind();
        let mut bytes = Vec::new();
        log.state.encode_snapshot(&mut bytes).expect("encoded");
        let (decoded, digest) = State::decode_snapshot(&mut bytes.as_slice()).expect("decoded");
        assert_eq!(digest, log.state.digest(), "the parts' digests, taken as they are read");
        assert_eq!(decoded.digest(), log.state.digest());
        assert_eq!(decoded.index.objects(), log.state.index.objects());
        for (r, o) in decoded.index.objects() {
            let site = decoded.access().sites().find(|s| &s.reference == r);
            if let Some(s) = site {
                assert!(
                    std::sync::Arc::ptr_eq(&s.geometry, &o.geometry),
                    "the index shares the record's geometry"
                );
            }
        }
        // Both go on alike: an operation over the site and movement, a
        // movement through the zones, a message.
        let mut copy = Log { state: decoded, ops: log.ops.clone() };
        let mil = key("mil", 3);
        let aid = key("aid", 2);
        let later = [
            envelope(
                "operation.notify",
                "mil",
                "o9",
                json!({"name": "later",
                "geometry": {"type": "Polygon", "coordinates": [[[36.4, 33.4], [36.6, 33.4], [36.6, 33.6], [36.4, 33.6], [36.4, 33.4]]]},
                "window": {"from": "2026-12-01T00:00:00Z", "to": "2026-12-31T00:00:00Z"}, "standoff_m": 5000, "notified": ["aid"]}),
                &[&mil],
            ),
            envelope(
                "movement.request",
                "aid",
                "m9",
                json!({"purpose": "aid_delivery",
                "route": {"type": "LineString", "coordinates": [[35.5, 33.6], [37.5, 33.6]]}, "corridor_m": 500,
                "window": {"from": "2026-12-02T00:00:00Z", "to": "2026-12-03T00:00:00Z"}, "origin": "a", "destination": "b",
                "vehicles": 1, "people": 2, "manifest": [{"item": "flour", "unit": "kg", "quantity": 10, "weight_kg": 10}]}),
                &[&aid],
            ),
            message(&log.ops.clone(), "m99", "aid"),
        ];
        for e in &later {
            let (a, b) = (log.apply(e), copy.apply(e));
            assert!(a.is_ok() && b.is_ok(), "{a:?} / {b:?}");
        }
        assert_eq!(copy.state.size(), log.state.size());
        assert_eq!(copy.state.digest(), log.state.digest());
    }

    /// Bytes cut short are refused, wherever the cut.
    #[test]
    fn a_cut_snapshot_is_refused() {
        let log = every_kind();
        let mut bytes = Vec::new();
        log.state.encode_snapshot(&mut bytes).expect("encoded");
        for len in (0..bytes.len()).step_by(97) {
            assert!(State::decode_snapshot(&mut &bytes[..len]).is_err(), "cut at {len}");
        }
    }

    /// The parts decode alone and assemble in any order to the state and
    /// its digest; a part given twice, or statements out of log order, are
    /// refused.
    #[test]
    fn snapshot_parts_decode_alone_in_any_order() {
        let log = every_kind();
        let decoded = |p: Part| {
            let mut bytes = Vec::new();
            log.state.encode_part(p, &mut bytes).expect("encoded");
            State::decode_part(p, &mut bytes.as_slice(), bytes.len() as u64).expect("decodes")
        };
        let parts = Part::ALL.iter().rev().map(|&p| decoded(p)).collect();
        let (state, digest) = State::from_parts(parts).expect("assembles");
        assert_eq!(digest, log.state.digest());
        assert_eq!(state.digest(), digest);
        let twice = Part::ALL.iter().chain([&Part::Head]).map(|&p| decoded(p)).collect();
        assert!(State::from_parts(twice).is_err(), "the head twice");
        let missing = Part::ALL[1..].iter().map(|&p| decoded(p)).collect();
        assert!(State::from_parts(missing).is_err(), "no head");
        let mut swapped = Vec::new();
        borsh::BorshSerialize::serialize(&2u32, &mut swapped).expect("encoded");
        for (id, index) in [("b", 5u64), ("a", 3)] {
            let r = ObjectRef { issuer: "ops".into(), id: id.into() };
            borsh::BorshSerialize::serialize(&r, &mut swapped).expect("encoded");
            let rec = StatementRecord { index, envelope_digest: [0; 32] };
            borsh::BorshSerialize::serialize(&rec, &mut swapped).expect("encoded");
        }
        let refused = State::decode_part(Part::Statements, &mut swapped.as_slice(), 0);
        assert!(refused.is_err_and(|e| e.to_string().contains("log order")));
        let repeated = statements_part(&[("a", 3), ("a", 5)]);
        let refused = State::decode_part(Part::Statements, &mut repeated.as_slice(), 0);
        assert!(refused.is_err_and(|e| e.to_string().contains("repeated")));
    }

    /// The statements part of these (id, entry index), issued by `ops`.
    fn statements_part(items: &[(&str, u64)]) -> Vec<u8> {
        let mut bytes = Vec::new();
        borsh::BorshSerialize::serialize(&(items.len() as u32), &mut bytes).expect("encoded");
        for &(id, index) in items {
            let r = ObjectRef { issuer: "ops".into(), id: id.into() };
            borsh::BorshSerialize::serialize(&r, &mut bytes).expect("encoded");
            let rec = StatementRecord { index, envelope_digest: [0; 32] };
            borsh::BorshSerialize::serialize(&rec, &mut bytes).expect("encoded");
        }
        bytes
    }

    /// A state's parts whose statements are not one per entry of its size
    /// (one missing, one more, or the last at another index) are refused:
    /// the next entry's commit would otherwise find its index taken.
    #[test]
    fn snapshot_statements_must_match_the_size() {
        let log = every_kind();
        let size = log.state.size();
        let part = |p: Part| {
            let mut bytes = Vec::new();
            log.state.encode_part(p, &mut bytes).expect("encoded");
            bytes
        };
        let with_statements = |statements: Vec<u8>| {
            let parts = Part::ALL.iter().map(|&p| {
                let bytes = if p == Part::Statements { statements.clone() } else { part(p) };
                State::decode_part(p, &mut bytes.as_slice(), bytes.len() as u64).expect("decodes")
            });
            State::from_parts(parts.collect())
        };
        assert!(with_statements(part(Part::Statements)).is_ok(), "its own statements");
        let ids: Vec<String> = (0..size + 1).map(|i| format!("s{i}")).collect();
        let items = |n: u64, shift: u64| -> Vec<(&str, u64)> {
            (0..n).map(|i| (ids[i as usize].as_str(), i + shift)).collect()
        };
        assert!(with_statements(statements_part(&items(size, 0))).is_ok(), "one per entry");
        for (n, shift) in [(size - 1, 0), (size + 1, 0), (size, 1), (size - 1, 1)] {
            let refused = with_statements(statements_part(&items(n, shift)));
            assert!(refused.is_err_and(|e| e.to_string().contains("one per entry")), "{n} from {shift}");
        }
    }

    /// The digest of a two-entry log is pinned: any change to the encoding,
    /// the fold or the records it keeps changes it, and must change the tag.
    #[test]
    fn the_digest_of_a_known_log_is_pinned() {
        let mut log = Log::new();
        log.apply(&message(&log.ops.clone(), "m1", "ops")).expect("message");
        use sha2::Digest;
        let part = |p| {
            let mut e = Encoder::new(Vec::new());
            encode_part(&log.state, p, &mut e);
            e.finish()
        };
        assert!(part(Part::Head).starts_with(&be(2)), "the head opens with the size");
        let mut encoded = [&be(DOMAIN_TAG.len() as u64)[..], DOMAIN_TAG.as_bytes()].concat();
        for p in Part::ALL {
            encoded.extend(sha2::Sha256::digest(part(p)));
        }
        let digest: [u8; 32] = sha2::Sha256::digest(&encoded).into();
        assert_eq!(log.state.digest(), digest, "the digest is SHA-256 of the tag and the parts' SHA-256");
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, "d863b8ebbbdae8031fb3e57d6d4aaaf2369a2f010b4c762f1b7efd7fcf1beec5");
    }
}

#[test]
fn admission_refuses_a_public_key_another_party_holds() {
    let mut log = Log::new();
    let aid = key("aid", 2);
    log.apply(&register("aid", "agency", &aid, &log.ops.clone(), "r-aid")).expect("aid registers");
    // The same secret under another party's name: its public key is aid's.
    let twin = key("mil", 2);
    let reg = register("mil", "armed_force", &twin, &log.ops.clone(), "r-mil");
    assert_eq!(log.state.admit(&reg.statement).map_err(|e| e.code()), Err("key_in_use"));
    let add = envelope(
        "party.key.add",
        "ops",
        "k-ops",
        json!({"vkey": key("ops", 2).verifier().to_vkey()}),
        &[&log.ops],
    );
    assert_eq!(log.state.admit(&add.statement).map_err(|e| e.code()), Err("key_in_use"));
    // A key of one's own, or a fresh one, is admitted.
    let own = envelope(
        "party.key.add",
        "aid",
        "k-aid",
        json!({"vkey": key("aid", 2).verifier().to_vkey()}),
        &[&aid],
    );
    assert_eq!(log.state.admit(&own.statement).map_err(|e| e.code()), Ok(()), "the fold says key_exists");
    let fresh = register("mil", "armed_force", &key("mil", 3), &log.ops.clone(), "r-mil2");
    assert_eq!(log.state.admit(&fresh.statement).map_err(|e| e.code()), Ok(()));
}

#[test]
fn admission_refuses_moving_before_every_approver_cleared() {
    let mut log = Log::new();
    let (aid, mil) = (key("aid", 2), key("mil", 3));
    log.apply(&register("aid", "agency", &aid, &log.ops.clone(), "r-aid")).expect("aid registers");
    log.apply(&register("mil", "armed_force", &mil, &log.ops.clone(), "r-mil")).expect("mil registers");
    let square = json!({"type": "Polygon", "coordinates": [[[36.0, 33.0], [37.0, 33.0], [37.0, 34.0], [36.0, 34.0], [36.0, 33.0]]]});
    let window = json!({"from": "2026-12-01T00:00:00Z", "to": "2026-12-31T00:00:00Z"});
    log.apply(&envelope(
        "zone.declare",
        "mil",
        "z",
        json!({"name": "z", "geometry": square, "window": window}),
        &[&mil],
    ))
    .expect("zone");
    let plan = json!({"purpose": "aid_delivery", "route": {"type": "LineString", "coordinates": [[36.2, 33.5], [36.8, 33.5]]},
        "corridor_m": 500, "window": {"from": "2026-12-02T00:00:00Z", "to": "2026-12-03T00:00:00Z"},
        "origin": "a", "destination": "b", "manifest": []});
    log.apply(&envelope("movement.request", "aid", "m", plan, &[&aid])).expect("requested");
    let update = |id: &str, status: &str| {
        envelope("movement.update", "aid", id, json!({"movement": "aid/m", "status": status}), &[&aid])
    };
    let admitted = |log: &Log, id: &str, status: &str| {
        log.state.admit(&update(id, status).statement).map_err(|e| e.code())
    };
    // Pending: only an abort may be reported.
    assert_eq!(admitted(&log, "u1", "departed"), Err("not_cleared"));
    assert_eq!(admitted(&log, "u2", "arrived"), Err("not_cleared"));
    assert_eq!(admitted(&log, "u3", "aborted"), Ok(()));
    // Denied: still not.
    let respond = |id: &str, decision: &str| {
        envelope("movement.respond", "mil", id, json!({"movement": "aid/m", "decision": decision}), &[&mil])
    };
    log.apply(&respond("r1", "deny")).expect("denied");
    assert_eq!(admitted(&log, "u4", "departed"), Err("not_cleared"));
    // Cleared: it may move, and once under way it may report on.
    log.apply(&respond("r2", "approve")).expect("approved");
    assert_eq!(admitted(&log, "u5", "departed"), Ok(()));
    log.apply(&update("u5", "departed")).expect("departed");
    assert_eq!(admitted(&log, "u6", "position"), Ok(()));
}
