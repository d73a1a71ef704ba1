//! The current state of the record: a deterministic fold over the log.
//!
//! [`State::apply`] either accepts an entry, changing the state, or rejects it
//! with a [`Rejection`] and changes nothing. It is two steps:
//! [`State::check`] decides, without changing anything, and returns a [`Plan`]
//! that holds everything the change needs (the typed statement and what the
//! check resolved: the amended movement plan, the party a key change is for,
//! the objects acknowledged); [`State::commit`] carries the plan out and
//! cannot fail. Check and commit therefore cannot disagree, and nothing in
//! the fold parses: statements arrive typed ([`corridor_statement`]).
//!
//! Time comes only from the entry's `sequenced_at`, so whoever replays the log
//! gets the same state and the same [`State::digest`].
//!
//! Authorization lives here, because it depends on the log so far:
//! - the first entry of a log is the operator registering itself (genesis);
//! - only the operator registers parties;
//! - only a live key of a party signs for it, and a key revoked at entry i signs
//!   nothing after i;
//! - the issuer must be among the signers;
//! - (issuer, id) is logged once: an identical envelope is a resubmission, a
//!   different one is `duplicate_id`.
//!
//! Signatures themselves are checked before the fold ([`State::key_for`] gives
//! the key to check each with), so replay can skip them and audit can redo them.
//!
//! Nothing here is shaped for presentation: the API's data transfer types
//! (crate `corridor-api`) are the only JSON, and the digest has its own
//! canonical encoding ([`canonical`]).

pub mod access;
pub mod accountability;
mod admission;
pub mod canonical;
mod chunked;
mod notice;
mod party;
mod recipients;
mod rejection;
mod statements;
use chunked::{Chunked, Sharded};
use statements::Statements;
pub mod snapshot;
mod spatial;
pub mod views;

use std::collections::BTreeMap;

use corridor_note::VerifierKey;
use corridor_statement::body::{Acknowledge, Body, KeyChange, MessageSend, PartyRegister};
use corridor_statement::{KeyRef, ObjectRef, Signature, SignedEnvelope, Statement, Target};

pub use access::Access;
pub use accountability::Accountability;
pub use notice::{ClearanceEvent, Notice, NoticeKind};
pub use party::{KeyStatus, Party, PartyKey};
pub use recipients::Recipients;
pub use rejection::Rejection;

/// Hash maps of the state: iteration order never matters (the digest sorts).
type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;

/// Most parties a log may hold; a bound on memory and on every per-party scan.
pub const MAX_PARTIES: usize = 10_000;

/// One log entry as the fold takes it: its position, its sequencing time, and
/// its envelope, parsed once.
#[derive(Debug, Clone)]
pub struct LoggedEntry {
    pub index: u64,
    pub sequenced_at_us: i64,
    pub signed: SignedEnvelope,
}

/// A position in the log and its sequencing time: when something happened.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, borsh::BorshSerialize, borsh::BorshDeserialize,
)]
pub struct Stamp {
    pub index: u64,
    pub at_us: i64,
}

/// Where an accepted statement lives in the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, borsh::BorshSerialize, borsh::BorshDeserialize)]
pub struct StatementRecord {
    pub index: u64,
    /// SHA-256 of the canonical envelope JSON.
    pub envelope_digest: [u8; 32],
}

/// A message on the structured deconfliction channel. Its sender and id
/// are its statement's reference, held once, with the statements
/// ([`State::logged_at`]): 48 bytes less for each of millions of messages.
#[derive(Debug, Clone, PartialEq, Eq, borsh::BorshSerialize, borsh::BorshDeserialize)]
pub struct Message {
    pub index: u64,
    pub sequenced_at_us: i64,
    /// The recipients, joined (inline when short, [`Recipients`]), and a
    /// subject line, inline up to 24 bytes.
    pub to: Recipients,
    pub subject: compact_str::CompactString,
    /// Boxed, not a `Vec` and a `String`: no spare capacity to record, 16
    /// bytes less per message (their borsh encoding is the same).
    pub text: Box<str>,
    pub refs: Box<[ObjectRef]>,
}

/// The kinds of record a map view asks for by box ([`State::box_candidates`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BoxKind {
    Site,
    Zone,
    Operation,
}

/// One party's acknowledgement of something, as held: the party is its
/// statement's issuer, held once with the statements ([`Acked`] names it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, borsh::BorshSerialize, borsh::BorshDeserialize)]
pub struct Ack {
    pub index: u64,
    pub sequenced_at_us: i64,
}

/// An acknowledgement with the party that made it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Acked<'a> {
    pub party: &'a str,
    /// The acknowledgement's entry.
    pub index: u64,
    pub sequenced_at_us: i64,
}

/// Its snapshot encoding is by parts (`snapshot`), the index left out
/// (rebuilt from the records).
#[derive(Debug, Clone, Default)]
pub struct State {
    size: u64,
    last_sequenced_at_us: i64,
    operator: Option<String>,
    parties: BTreeMap<String, Party>,
    /// In log order, found by reference (`statements`).
    statements: Statements,
    messages: Chunked<Message>,
    acks: Sharded<Target, Vec<Ack>>,
    access: Access,
    accountability: Accountability,
    /// The statements' and the messages' parts of the digest, kept as they
    /// grow ([`canonical::Running`]).
    statements_digest: canonical::Running,
    messages_digest: canonical::Running,
    /// Every zone, site, movement, operation and incident ever filed, by
    /// reference; whether one still applies is the records' business.
    index: spatial::Index,
}

/// What [`State::check`] decided: everything [`State::commit`] needs, owned.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The state size the plan was checked against; commit asserts it.
    checked_at_size: u64,
    stamp: Stamp,
    reference: ObjectRef,
    envelope_digest: [u8; 32],
    action: Action,
}

impl Plan {
    /// The statement's reference (`issuer/id`).
    pub fn reference(&self) -> &ObjectRef {
        &self.reference
    }
}

/// A checked statement, with what the check resolved.
#[derive(Debug, Clone)]
enum Action {
    Genesis(PartyRegister),
    Register(PartyRegister),
    /// A key added to, or revoked from, `party`.
    KeyAdd {
        party: String,
        vkey: VerifierKey,
    },
    KeyRevoke {
        party: String,
        vkey: VerifierKey,
    },
    Message(MessageSend),
    /// Each target with the movement it names, if any (an entry index may name one).
    Acknowledge(Vec<(Target, Option<ObjectRef>)>),
    Access(access::Action),
    Accountability(accountability::Action),
}

impl State {
    pub fn new() -> Self {
        Self::default()
    }

    /// Makes room for `entries` more statements at once (a replay knows how
    /// many follow), rather than growing the (issuer, id) map step by step.
    pub fn reserve(&mut self, entries: usize) {
        self.statements.reserve(entries);
    }

    /// How many entries have been folded.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The `sequenced_at` of the last folded entry (0 before the first).
    pub fn last_sequenced_at_us(&self) -> i64 {
        self.last_sequenced_at_us
    }

    pub fn operator(&self) -> Option<&str> {
        self.operator.as_deref()
    }

    pub fn parties(&self) -> impl Iterator<Item = &Party> {
        self.parties.values()
    }

    /// Zones, sites, movements, operations, agreements and conflicts.
    pub fn access(&self) -> &Access {
        &self.access
    }

    /// Custody, distributions, incidents and claims.
    pub fn accountability(&self) -> &Accountability {
        &self.accountability
    }

    pub fn party(&self, id: &str) -> Option<&Party> {
        self.parties.get(id)
    }

    /// The record of the statement `r` (`issuer/id`), if logged.
    pub fn statement(&self, r: &ObjectRef) -> Option<StatementRecord> {
        self.statements.get(r).copied()
    }

    /// The reference of the statement logged at entry `index`.
    ///
    /// Panics if no entry `index` was folded: callers pass the index of a
    /// record the fold made, and every folded entry holds its statement.
    pub fn logged_at(&self, index: u64) -> &ObjectRef {
        self.statements.logged_at(index).expect("every folded entry holds its statement")
    }

    /// Messages addressed to `party`, each with its reference (sender and
    /// id), oldest first, from `after_index` (exclusive).
    pub fn messages_to<'a>(
        &'a self,
        party: &'a str,
        after_index: Option<u64>,
    ) -> impl Iterator<Item = (&'a ObjectRef, &'a Message)> + 'a {
        let start = after_index.map_or(0, |i| self.messages.partition_point(|m| m.index <= i));
        let to_party = self.messages.iter_from(start).filter(move |m| m.to.iter().any(|t| t == party));
        to_party.map(|m| (self.logged_at(m.index), m))
    }

    /// For a map view's box `[min_lon, min_lat, max_lon, max_lat]`: the
    /// sites, zones or operations (`kind`) that may lie in it, sorted by
    /// reference, a superset that the caller filters exactly.
    pub fn box_candidates(&self, kind: BoxKind, b: [f64; 4]) -> Vec<&ObjectRef> {
        let kind = match kind {
            BoxKind::Site => spatial::Kind::Site,
            BoxKind::Zone => spatial::Kind::Zone,
            BoxKind::Operation => spatial::Kind::Operation,
        };
        self.index.box_candidates(kind, b)
    }

    /// Acknowledgements of an object, by its reference or by the index of the
    /// entry that created it, oldest first.
    pub fn acknowledgements_of(&self, r: &ObjectRef, index: u64) -> Vec<Acked<'_>> {
        let targets = [Target::Object(r.clone()), Target::Entry(index)];
        let acked = |a: &Ack| Acked {
            party: self.logged_at(a.index).issuer.as_str(),
            index: a.index,
            sequenced_at_us: a.sequenced_at_us,
        };
        let mut out: Vec<Acked<'_>> =
            targets.iter().filter_map(|t| self.acks.get(t)).flatten().map(acked).collect();
        out.sort_by_key(|a| a.index);
        out
    }

    /// Acknowledgements of a message, by its reference or by its entry index.
    pub fn acks_of(&self, m: &Message) -> Vec<Acked<'_>> {
        self.acknowledgements_of(self.logged_at(m.index), m.index)
    }

    /// The key that must have made a signature: a registered key of the named
    /// party (live or revoked: whether it may sign is the fold's decision), or,
    /// before genesis, a key the genesis registration itself carries.
    pub fn key_for(&self, key_ref: &KeyRef, signed: &SignedEnvelope) -> Option<VerifierKey> {
        if let Some(party) = self.parties.get(&key_ref.name) {
            return party.key(key_ref.key_id).map(|k| k.vkey.clone());
        }
        if self.operator.is_some() {
            return None;
        }
        let Body::PartyRegister(reg) = &signed.statement.body else { return None };
        reg.keys.iter().find(|k| k.name() == key_ref.name && k.key_id() == key_ref.key_id).cloned()
    }

    /// Applies one entry: [`State::check`], then [`State::commit`]. On `Err`,
    /// nothing changed. On `Ok`, the notices to push to parties once the entry
    /// is durable.
    pub fn apply(&mut self, entry: LoggedEntry) -> Result<Vec<Notice>, Rejection> {
        let plan = self.check(entry)?;
        Ok(self.commit(plan))
    }

    /// Decides whether `entry` may be logged next, changing nothing.
    pub fn check(&self, entry: LoggedEntry) -> Result<Plan, Rejection> {
        if entry.index != self.size {
            return Err(Rejection::OutOfOrder { expected: self.size, got: entry.index });
        }
        let LoggedEntry { index, sequenced_at_us, signed } = entry;
        if self.statements.len() >= statements::MAX_STATEMENTS {
            return Err(Rejection::LimitReached("statements in one log"));
        }
        if let Some(rec) = self.statement(&signed.statement.reference) {
            return Err(if rec.envelope_digest == signed.digest {
                Rejection::Resubmission { index: rec.index }
            } else {
                Rejection::DuplicateId { index: rec.index }
            });
        }
        let SignedEnvelope { statement, signatures, digest, .. } = signed;
        let Statement { reference, body, .. } = statement;
        let action = if self.operator.is_none() {
            Action::Genesis(Self::check_genesis(&reference.issuer, body, &signatures)?)
        } else {
            self.authorize_signers(&reference.issuer, &signatures)?;
            self.check_body(&reference, body, index, &signatures)?
        };
        let stamp = Stamp { index, at_us: sequenced_at_us };
        Ok(Plan { checked_at_size: self.size, stamp, reference, envelope_digest: digest, action })
    }

    /// Carries out a plan that [`State::check`] returned for this state.
    ///
    /// # Panics
    /// If the state changed since the check: a plan is committed to the state
    /// it was checked against, or not at all.
    pub fn commit(&mut self, plan: Plan) -> Vec<Notice> {
        assert_eq!(
            plan.checked_at_size, self.size,
            "a plan is committed to the state it was checked against"
        );
        let Plan { stamp, reference, envelope_digest, action, .. } = plan;
        let notices = self.commit_action(&reference, action, stamp);
        let record = StatementRecord { index: stamp.index, envelope_digest };
        self.statements_digest.push(|e| canonical::encode_statement(&reference, &record, e));
        let pushed = self.statements.push(reference, record);
        assert!(pushed.is_ok(), "a checked statement is new and next in log order: {pushed:?}");
        self.size += 1;
        self.last_sequenced_at_us = stamp.at_us;
        notices
    }

    /// Checks that every signer's key is live and that the issuer signed.
    fn authorize_signers(&self, issuer: &str, signatures: &[Signature]) -> Result<(), Rejection> {
        for Signature { key: key_ref, .. } in signatures {
            let party =
                self.parties.get(&key_ref.name).ok_or_else(|| Rejection::UnknownKey(key_ref.to_string()))?;
            let key = party.key(key_ref.key_id).ok_or_else(|| Rejection::UnknownKey(key_ref.to_string()))?;
            if let Some(at) = key.revoked_at_index {
                return Err(Rejection::RevokedKey { key: key_ref.to_string(), revoked_at_index: at });
            }
        }
        if !signatures.iter().any(|s| s.key.name == issuer) {
            return Err(Rejection::Unauthorized(format!("issuer {issuer} did not sign")));
        }
        Ok(())
    }

    /// The first entry must be the operator registering itself, signed only
    /// by keys it registers (the signatures were checked with those keys).
    fn check_genesis(issuer: &str, body: Body, signatures: &[Signature]) -> Result<PartyRegister, Rejection> {
        let Body::PartyRegister(reg) = body else {
            return Err(Rejection::Unauthorized(
                "the log starts with the operator registering itself".into(),
            ));
        };
        if reg.id != issuer || signatures.iter().any(|s| s.key.name != issuer) {
            return Err(Rejection::Unauthorized("genesis must register its own issuer".into()));
        }
        Ok(reg)
    }

    /// Type-specific authorization against the state: the one dispatch of the check.
    fn check_body(
        &self,
        own: &ObjectRef,
        body: Body,
        index: u64,
        signatures: &[Signature],
    ) -> Result<Action, Rejection> {
        use access::Action as A;
        use accountability::Action as B;
        let issuer = own.issuer.as_str();
        Ok(match body {
            Body::PartyRegister(reg) => {
                self.check_register(issuer, &reg)?;
                Action::Register(reg)
            }
            Body::PartyKeyAdd(kc) => {
                let party = self.check_key_add(issuer, &kc)?;
                Action::KeyAdd { party, vkey: kc.vkey }
            }
            Body::PartyKeyRevoke(kc) => {
                let party = self.check_key_revoke(issuer, &kc)?;
                Action::KeyRevoke { party, vkey: kc.vkey }
            }
            Body::MessageSend(m) => {
                self.check_message(&m)?;
                Action::Message(m)
            }
            Body::Acknowledge(a) => Action::Acknowledge(self.check_ack(index, a)?),
            Body::ZoneDeclare(z) => Action::Access(A::Zone(self.check_zone(issuer, z)?)),
            Body::ZoneWithdraw(w) => Action::Access(A::ZoneWithdraw(self.check_zone_withdraw(issuer, w)?)),
            Body::SiteNotify(s) => Action::Access(A::Site(self.check_site(s)?)),
            Body::SiteWithdraw(w) => Action::Access(A::SiteWithdraw(self.check_site_withdraw(issuer, w)?)),
            Body::MovementRequest(p) => Action::Access(A::Request(self.check_request(p)?)),
            Body::MovementAmend(am) => {
                let plan = self.check_amend(issuer, &am)?;
                Action::Access(A::Amend { movement: am.movement, plan })
            }
            Body::MovementCancel(c) => Action::Access(A::Cancel(self.check_cancel(issuer, c)?)),
            Body::MovementRespond(r) => Action::Access(A::Respond(self.check_respond(issuer, r)?)),
            Body::MovementUpdate(u) => Action::Access(A::Update(self.check_update(issuer, u)?)),
            Body::OperationNotify(o) => Action::Access(A::Operation(self.check_operation(issuer, o)?)),
            Body::OperationWithdraw(w) => {
                Action::Access(A::OperationWithdraw(self.check_operation_withdraw(issuer, w)?))
            }
            Body::AgreementDeclare(ag) => Action::Access(A::Agreement(self.check_agreement(ag)?)),
            Body::AgreementAccede(r) => Action::Access(A::Accede(self.check_accede(issuer, r)?)),
            Body::CustodyTransfer(t) => {
                Action::Accountability(B::Custody(self.check_custody(issuer, signatures, t)?))
            }
            Body::DistributionReport(d) => {
                Action::Accountability(B::Distribution(self.check_distribution(d)?))
            }
            Body::IncidentReport(i) => Action::Accountability(B::Incident(self.check_incident(i)?)),
            Body::IncidentAssess(x) => Action::Accountability(B::Assess(self.check_assess(issuer, x)?)),
            Body::ClaimRecord(c) => Action::Accountability(B::Claim(self.check_claim(c)?)),
            Body::ClaimLink(l) => Action::Accountability(B::Link(self.check_link(l, index)?)),
        })
    }

    /// Records a checked action: the one dispatch of the commit.
    fn commit_action(&mut self, own: &ObjectRef, action: Action, at: Stamp) -> Vec<Notice> {
        match action {
            Action::Genesis(reg) => {
                self.operator = Some(reg.id.clone());
                self.parties.insert(reg.id.clone(), Party::register(reg, at));
                vec![]
            }
            Action::Register(reg) => {
                self.parties.insert(reg.id.clone(), Party::register(reg, at));
                vec![]
            }
            Action::KeyAdd { party, vkey } => {
                self.parties.get_mut(&party).into_iter().for_each(|p| p.add_key(vkey.clone(), at));
                vec![]
            }
            Action::KeyRevoke { party, vkey } => {
                self.parties.get_mut(&party).into_iter().for_each(|p| p.revoke_key(&vkey, at));
                vec![]
            }
            Action::Message(m) => {
                let MessageSend { to, subject, text, refs } = m;
                let message = Message {
                    index: at.index,
                    sequenced_at_us: at.at_us,
                    // Registered parties, as the check found: party ids.
                    to: Recipients::new(to.iter().map(String::as_str)).expect("recipients are party ids"),
                    subject: subject.into(),
                    text: text.into(),
                    refs: refs.into(),
                };
                self.messages_digest.push(|e| canonical::Encode::encode(&message, e));
                self.messages.push(message);
                vec![]
            }
            Action::Acknowledge(targets) => {
                for (target, movement) in targets {
                    let ack = Ack { index: at.index, sequenced_at_us: at.at_us };
                    self.acks.get_or_insert_with(target, Vec::new).push(ack);
                    if let Some(m) = movement {
                        self.access.acknowledge(&own.issuer, &m, at);
                    }
                }
                vec![]
            }
            Action::Access(a) => self.commit_access(own, a, at),
            Action::Accountability(a) => {
                self.commit_accountability(own, a, at);
                vec![]
            }
        }
    }

    fn is_operator(&self, party: &str) -> bool {
        self.operator.as_deref() == Some(party)
    }

    /// Refuses the first of `ids` that is not a registered party.
    fn all_registered<'a>(&self, ids: impl IntoIterator<Item = &'a String>) -> Result<(), Rejection> {
        match ids.into_iter().find(|p| !self.parties.contains_key(*p)) {
            Some(p) => Err(Rejection::UnknownParty(p.clone())),
            None => Ok(()),
        }
    }

    fn check_register(&self, issuer: &str, reg: &PartyRegister) -> Result<(), Rejection> {
        if !self.is_operator(issuer) {
            return Err(Rejection::Unauthorized("only the operator registers parties".into()));
        }
        if self.parties.contains_key(&reg.id) {
            return Err(Rejection::PartyExists(reg.id.clone()));
        }
        if self.parties.len() >= MAX_PARTIES {
            return Err(Rejection::LimitReached("parties"));
        }
        Ok(())
    }

    /// The party a key change is for: the issuer's own, or the operator acting for another.
    fn key_change_target(&self, issuer: &str, kc: &KeyChange) -> Result<&Party, Rejection> {
        let target = kc.party.as_deref().unwrap_or(issuer);
        if target != issuer && !self.is_operator(issuer) {
            return Err(Rejection::Unauthorized("only the operator changes another party's keys".into()));
        }
        self.parties.get(target).ok_or_else(|| Rejection::UnknownParty(target.to_owned()))
    }

    fn check_key_add(&self, issuer: &str, kc: &KeyChange) -> Result<String, Rejection> {
        let party = self.key_change_target(issuer, kc)?;
        if kc.vkey.name() != party.id {
            return Err(Rejection::InvalidBody(format!("key is not named after party {}", party.id)));
        }
        if party.key(kc.vkey.key_id()).is_some() {
            return Err(Rejection::KeyExists(kc.vkey.key_ref()));
        }
        if party.keys.len() >= corridor_statement::body::MAX_KEYS_PER_PARTY {
            return Err(Rejection::LimitReached("keys per party"));
        }
        Ok(party.id.clone())
    }

    fn check_key_revoke(&self, issuer: &str, kc: &KeyChange) -> Result<String, Rejection> {
        let party = self.key_change_target(issuer, kc)?;
        match party.keys.iter().find(|k| k.vkey == kc.vkey) {
            None => Err(Rejection::UnknownKey(kc.vkey.key_ref())),
            Some(PartyKey { revoked_at_index: Some(at), .. }) => {
                Err(Rejection::RevokedKey { key: kc.vkey.key_ref(), revoked_at_index: *at })
            }
            Some(_) => Ok(party.id.clone()),
        }
    }

    fn check_message(&self, m: &MessageSend) -> Result<(), Rejection> {
        self.all_registered(&m.to)
    }

    fn check_ack(&self, index: u64, a: Acknowledge) -> Result<Vec<(Target, Option<ObjectRef>)>, Rejection> {
        let mut out = Vec::with_capacity(a.refs.len());
        for target in a.refs {
            let known = match &target {
                Target::Entry(i) => *i < index,
                Target::Object(r) => self.statements.contains_key(r),
            };
            if !known {
                return Err(Rejection::UnknownRef(target.to_string()));
            }
            let movement = match &target {
                Target::Object(r) => Some(r.clone()),
                Target::Entry(i) => self.access.movement_at_index(*i),
            };
            out.push((target, movement));
        }
        Ok(out)
    }

    /// A SHA-256 digest of the whole state in the canonical encoding of
    /// [`canonical`]: two replicas that folded the same log have the same
    /// digest, and no change of presentation can alter it.
    pub fn digest(&self) -> [u8; 32] {
        canonical::digest(self)
    }
}

#[cfg(test)]
mod tests;
