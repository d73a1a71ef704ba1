//! A small world for the fold target: five registered parties and a
//! stranger, and statements of every common type built from templates whose
//! holes (parties, references, times, numbers, geometry) the fuzzer fills.
//!
//! Statements are plausible rather than random so that the fuzzer spends its
//! time in the fold's rules, not in the JSON reader (the statement target
//! covers that). Each is signed, logged as an entry, read back as replay reads
//! it, and folded: admission and check either accept it (and it is committed)
//! or reject it. A rejection must change nothing: replaying only the accepted
//! entries must reach the same state digest.

use std::sync::OnceLock;

use corridor_note::{SignerKey, VerifierKey};
use corridor_state::{LoggedEntry, State};
use corridor_statement::{build_entry, parse_entry, sign, CanonicalEnvelope};

const PARTIES: [(&str, &str); 5] = [
    ("ops", "coordination"),
    ("aid", "agency"),
    ("mil", "armed_force"),
    ("auth", "authority"),
    ("mon", "monitor"),
];
/// Parties a hole may name: the registered ones and one that never is.
const NAMES: [&str; 6] = ["ops", "aid", "mil", "auth", "mon", "nobody"];
const IDS: [&str; 6] = ["s1", "m1", "z1", "a1", "i1", "c1"];
const TIMES: [&str; 7] = [
    "2026-11-22T10:00:00.000Z",
    "2026-11-23T00:00:00.000Z",
    "2027-01-01T00:00:00.000Z",
    "2026-11-22T10:00:00Z",
    "1970-01-01T00:00:00.000Z",
    "9999-12-31T23:59:59.999Z",
    "2026-11-21T23:59:59.999Z",
];
const NUMBERS: [&str; 12] =
    ["0", "1", "2", "5", "100", "-1", "0.5", "1e300", "9007199254740991", "40000", "250", "2.5e-7"];
const ITEMS: [&str; 3] = ["food", "water", "kits"];

/// (type, body template). Holes: `{P}` a party, `{R}` a reference, `{T}` a
/// time, `{N}` a number, `{G}` a geometry, `{C}` a consignment, `{I}` an item.
const TEMPLATES: [(&str, &str); 16] = [
    ("zone.declare", r#"{"name":"z","geometry":{G},"window":{"from":{T},"to":{T}}}"#),
    (
        "site.notify",
        r#"{"name":"s","category":"clinic","geometry":{G},"buffer_m":{N},"window":{"from":{T}},"people":{N}}"#,
    ),
    (
        "movement.request",
        r#"{"purpose":"aid_delivery","route":{G},"corridor_m":{N},"window":{"from":{T},"to":{T}},"origin":"A","destination":"B","vehicles":{N},"people":{N},"escort_from":[{P}],"manifest":[{"item":{I},"unit":"u","quantity":{N}}],"consignment":{C}}"#,
    ),
    ("movement.respond", r#"{"movement":{R},"decision":"approve"}"#),
    ("acknowledge", r#"{"refs":[{R}]}"#),
    (
        "operation.notify",
        r#"{"name":"o","geometry":{G},"window":{"from":{T},"to":{T}},"standoff_m":{N},"notified":[{P}]}"#,
    ),
    (
        "agreement.declare",
        r#"{"name":"a","kind":"ceasefire","parties":[{P},{P}],"geometry":{G},"window":{"from":{T}},"terms":["t"]}"#,
    ),
    ("agreement.accede", r#"{"agreement":{R}}"#),
    (
        "custody.transfer",
        r#"{"consignment":{C},"from":{P},"to":{P},"items":[{"item":{I},"unit":"u","quantity":{N}}],"lost":[{"item":{I},"unit":"u","quantity":{N}}]}"#,
    ),
    (
        "distribution.report",
        r#"{"site":{R},"consignment":{C},"round":"R1","period":{"from":{T},"to":{T}},"items":[{"item":{I},"unit":"u","quantity":{N}}],"households":{N},"people":{N},"planned_per_person":[{"item":{I},"unit":"u","quantity":{N}}]}"#,
    ),
    (
        "incident.report",
        r#"{"kind":"shelling","window":{"from":{T},"to":{T}},"geometry":{G},"precision_m":{N},"casualties":{"killed":{"min":{N},"max":{N}},"children_injured":{"min":{N}}},"affected_sites":[{R}],"alleged_perpetrator":{P},"sources":[{"outlet":"o"}]}"#,
    ),
    (
        "incident.assess",
        r#"{"incident":{R},"occurrence":"confirmed","attribution":"likely","attributed_to":[{P}],"rationale":"r"}"#,
    ),
    (
        "claim.record",
        r#"{"speaker":"s","outlet":"o","published":{T},"stance":"denial","text":"t","subjects":[{R}],"figures":[{"what":"w","min":{N},"unit":"u"}]}"#,
    ),
    ("claim.link", r#"{"claim":{R},"evidence":{R},"relation":"supports"}"#),
    ("message.send", r#"{"to":[{P}],"subject":"s","text":"t","refs":[{R}]}"#),
    ("party.key.revoke", r#"{"vkey":{V}}"#),
];

fn key(name: &str) -> SignerKey {
    let seed = name.bytes().fold([7u8; 32], |mut s, b| {
        s[usize::from(b) % 32] ^= b;
        s
    });
    SignerKey::from_seed(name, seed).expect("a valid key name")
}

/// The log key the note target opens notes with.
pub fn log_vkey() -> &'static VerifierKey {
    static KEY: OnceLock<VerifierKey> = OnceLock::new();
    KEY.get_or_init(|| key("fuzz.corridor.local/log").verifier())
}

/// A tree of 16 leaves whose first 5 the witness target holds as cosigned.
pub fn held_tree() -> &'static corridor_tlog::Tree {
    static TREE: OnceLock<corridor_tlog::Tree> = OnceLock::new();
    TREE.get_or_init(|| {
        let mut t = corridor_tlog::Tree::new();
        (0..16u8).for_each(|i| t.push(corridor_tlog::leaf_hash(&[i])));
        t
    })
}

/// Reads choices from the fuzzer's bytes; zeros once they run out.
struct Choices<'a>(&'a [u8]);

impl Choices<'_> {
    fn byte(&mut self) -> u8 {
        let (first, rest) = self.0.split_first().map_or((0, &[][..]), |(f, r)| (*f, r));
        self.0 = rest;
        first
    }

    fn pick<'t>(&mut self, options: &[&'t str]) -> &'t str {
        options[usize::from(self.byte()) % options.len()]
    }

    /// A longitude or latitude: mostly inside a small area (so objects meet),
    /// sometimes anywhere, sometimes at or past the edges.
    fn degrees(&mut self, centre: f64, max: f64) -> f64 {
        match self.byte() % 8 {
            0 => max,
            1 => -max,
            2 => f64::from(self.byte() as i8) * max / 100.0,
            _ => centre + f64::from(self.byte() as i8) / 200.0,
        }
    }

    fn position(&mut self) -> String {
        format!("[{},{}]", self.degrees(36.5, 180.0), self.degrees(33.5, 90.0))
    }

    fn geometry(&mut self) -> String {
        match self.byte() % 4 {
            0 => format!(r#"{{"type":"Point","coordinates":{}}}"#, self.position()),
            1 => {
                let n = 2 + usize::from(self.byte() % 3);
                let line: Vec<String> = (0..n).map(|_| self.position()).collect();
                format!(r#"{{"type":"LineString","coordinates":[{}]}}"#, line.join(","))
            }
            2 => {
                let (lon, lat) = (self.degrees(36.5, 180.0), self.degrees(33.5, 90.0));
                let d = f64::from(self.byte() % 50 + 1) / 100.0;
                let ring = [(lon, lat), (lon + d, lat), (lon + d, lat + d), (lon, lat + d), (lon, lat)];
                let ring: Vec<String> = ring.iter().map(|(x, y)| format!("[{x},{y}]")).collect();
                format!(r#"{{"type":"Polygon","coordinates":[[{}]]}}"#, ring.join(","))
            }
            _ => {
                let ring: Vec<String> = (0..4).map(|_| self.position()).collect();
                format!(r#"{{"type":"Polygon","coordinates":[[{},{}]]}}"#, ring.join(","), ring[0])
            }
        }
    }

    fn reference(&mut self) -> String {
        format!("\"{}/{}\"", self.pick(&NAMES), self.pick(&IDS))
    }

    /// Fills every hole of `template`.
    fn fill(&mut self, template: &str) -> String {
        let mut out = String::with_capacity(template.len() * 2);
        let mut rest = template;
        while let Some(start) = rest.find('{') {
            let hole = rest.get(start..start + 3).filter(|h| h.ends_with('}'));
            let Some(hole) = hole else {
                out.push_str(&rest[..=start]);
                rest = &rest[start + 1..];
                continue;
            };
            out.push_str(&rest[..start]);
            let filled = match hole {
                "{P}" => format!("\"{}\"", self.pick(&NAMES)),
                "{R}" => self.reference(),
                "{T}" => format!("\"{}\"", self.pick(&TIMES)),
                "{N}" => self.pick(&NUMBERS).to_owned(),
                "{G}" => self.geometry(),
                "{C}" => format!("\"{}\"", self.pick(&["EX-1", "EX-2"])),
                "{I}" => format!("\"{}\"", self.pick(&ITEMS)),
                _ => format!("\"{}\"", key(self.pick(&NAMES)).verifier().to_vkey()),
            };
            out.push_str(&filled);
            rest = &rest[start + 3..];
        }
        out.push_str(rest);
        out
    }
}

/// A state with the parties registered, and their keys.
#[derive(Debug, Clone)]
pub struct World {
    state: State,
    keys: Vec<SignerKey>,
    /// The entries accepted since the registrations.
    accepted: Vec<LoggedEntry>,
}

impl World {
    /// The registered world; built once, then cloned for each input.
    pub fn new() -> Self {
        static BASE: OnceLock<World> = OnceLock::new();
        BASE.get_or_init(Self::build).clone()
    }

    fn build() -> Self {
        let keys: Vec<SignerKey> = NAMES.iter().map(|n| key(n)).collect();
        let mut world = Self { state: State::new(), keys, accepted: Vec::new() };
        for (i, (party, kind)) in PARTIES.iter().enumerate() {
            let vkey = world.keys[i].verifier().to_vkey();
            let body = format!(r#"{{"id":"{party}","name":"{party}","kind":"{kind}","keys":["{vkey}"]}}"#);
            let payload =
                statement("party.register", "ops", &format!("r-{party}"), "2026-11-22T09:00:00.000Z", &body);
            let ops = world.keys[0].clone();
            assert!(world.fold_one(&payload, &[&ops]), "registering {party}");
        }
        world.accepted.clear();
        world
    }

    /// Builds and folds statements until the bytes run out.
    pub fn fold_all(&mut self, data: &[u8]) {
        let mut choices = Choices(data);
        while !choices.0.is_empty() {
            let (kind, template) = TEMPLATES[usize::from(choices.byte()) % TEMPLATES.len()];
            let issuer = usize::from(choices.byte()) % NAMES.len();
            let id = choices.pick(&IDS);
            let time = choices.pick(&TIMES);
            let body = choices.fill(template);
            let payload = statement(kind, NAMES[issuer], id, time, &body);
            let co_signer = usize::from(choices.byte()) % NAMES.len();
            let (first, second) = (self.keys[issuer].clone(), self.keys[co_signer].clone());
            let signers: Vec<&SignerKey> = match choices.byte() % 4 {
                0 => vec![&second],
                1 if issuer != co_signer => vec![&first, &second],
                _ => vec![&first],
            };
            self.fold_one(&payload, &signers);
        }
        // Replaying only what was accepted must reach the same state: had a
        // rejection changed anything, the digests would differ. (One digest
        // per input rather than two per statement keeps the target fast.)
        let mut replayed = World::new();
        for entry in &self.accepted {
            replayed.state.apply(entry.clone()).expect("an accepted entry replays");
        }
        assert_eq!(replayed.state.digest(), self.state.digest(), "a rejected statement changed the state");
    }

    /// Logs `payload` signed by `signers` as replay would read it, and folds
    /// it; whether it was accepted.
    fn fold_one(&mut self, payload: &str, signers: &[&SignerKey]) -> bool {
        let envelope = sign(payload.as_bytes(), signers);
        let at_us = 1_763_805_600_000_000 + 1_000 * i64::try_from(self.state.size()).unwrap_or(0);
        let Ok(bytes) = build_entry(at_us, &CanonicalEnvelope::of(&envelope)) else { return false };
        let Ok(read) = parse_entry(&bytes) else { return false };
        let entry = LoggedEntry {
            index: self.state.size(),
            sequenced_at_us: read.sequenced_at_us,
            signed: read.signed,
        };
        let admitted = self.state.admit(&entry.signed.statement);
        match admitted.and_then(|()| self.state.check(entry.clone())) {
            Ok(plan) => {
                self.state.commit(plan);
                self.accepted.push(entry);
                true
            }
            Err(_) => false,
        }
    }
}

impl Default for World {
    fn default() -> Self {
        Self::new()
    }
}

fn statement(kind: &str, issuer: &str, id: &str, time: &str, body: &str) -> String {
    format!(r#"{{"type":"{kind}","issuer":"{issuer}","id":"{id}","issued_at":"{time}","body":{body}}}"#)
}
